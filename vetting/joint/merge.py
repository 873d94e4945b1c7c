"""The joint review stage: agency answers (opinion columns and reply files) read into a candidate
set, returned as new columns and records (the candidate set is never changed).

Every record an agency gives is kept as a record of its own (each reply row matched to the
person, each event an opinion reports), to be weighed beside the candidate's own row; an answer
("无", a finding, or a reply file that does not list the person) clears the agency's facts on the
candidate's own row; no answer leaves them blank, so rules that need them stay `pending`. Every
value set here keeps its evidence: agency, file, row, text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from vetting.errors import InputError
from vetting.fields import Field, header_key
from vetting.inputs.scope import same_file
from vetting.joint.chase import awaiting_list
from vetting.joint.classify import BLANK, CLEAR, FINDING, PENDING, UNCLASSIFIED, classify_opinions
from vetting.joint.replies import Reply, match_rows
from vetting.normalize.records import combine, evidence_column
from vetting.normalize.roster import Candidates, in_files_lacking, with_columns
from vetting.normalize.silence import Silence, SilentBlock, said_per_row
from vetting.normalize.text import blank_mask
from vetting.objarrays import repeated
from vetting.privacy import cut_text_series
from vetting.ruleset.model import Agency, OpinionRules
from vetting.vocab import roles_selected

_SUFFIXES = ("意见(签字盖章)", "核查意见", "审查意见", "联审意见", "审核意见", "反馈意见", "核查结果", "意见")
#: Where an agency sits ("县委统战部", "市公安局"): left off when its name is looked up.
_PREFIXES = ("县委", "市委", "区委", "县级", "市级", "县", "市", "区", "乡镇")
#: What kind of body it is ("统战部门", "公安机关"): left off when the rest names an agency.
_BODY_SUFFIXES = ("部门", "机关", "单位", "局", "委", "部")
QUOTE_LIMIT = 200


def _opinion_subject(header: str) -> str | None:
    """The header's key without its opinion suffix ("统战部门意见" -> "统战部门"), or None when
    the header is not an opinion column's."""
    key = header_key(header)
    for suffix in _SUFFIXES:
        if key.endswith(header_key(suffix)) and len(key) > len(header_key(suffix)):
            return key[: -len(header_key(suffix))]
    return None


def _name_forms(key: str) -> set[str]:
    """`key` as written, without where the body sits, and without what kind of body it is."""
    forms = {key} | {key[len(p):] for p in _PREFIXES if key.startswith(p) and len(key) > len(p)}
    return forms | {f[: -len(s)] for f in forms for s in _BODY_SUFFIXES if f.endswith(s) and len(f) > len(s)}


def agency_of_header(header: str, agencies: Mapping[str, Agency]) -> str | None:
    """The agency an opinion column belongs to ("公安机关意见", "县委统战部门意见" -> 统战), or None.
    Names are matched as written, without a county/city prefix and without 部门/机关/局/委/部."""
    key = _opinion_subject(header)
    key = header_key(header) if key is None else key
    forms = _name_forms(key)
    for name, agency in agencies.items():
        names = {header_key(a) for a in (name, *agency.aliases)}
        if forms & (names | {n for each in names for n in _name_forms(each)}):
            return name
    return None


#: A group title over agency columns ("联审部门意见", "部门联审意见", "各部门意见").
_OPINION_GROUP_WORDS = ("意见", "联审")


def is_opinion_header(header: str, group: str = "") -> bool:
    """A column whose header ends in 意见 (or 核查结果), or that sits under a 联审 / 部门意见 group
    title: some body's answer, whoever it is."""
    return _opinion_subject(header) is not None or any(w in group for w in _OPINION_GROUP_WORDS)


def clear_value(spec: Field) -> str | None:
    """The text meaning 'nothing found' for a fact field, or None when the field has none."""
    if spec.type == "flag":
        return "否"
    if spec.type == "enum" and "无" in spec.values:
        return "无"
    return None


@dataclass
class JointSpec:
    """What the joint review needs: the ruleset's agencies and opinion patterns, and reply files."""

    agencies: Mapping[str, Agency]
    opinions: OpinionRules
    replies: Sequence[Reply] = ()


@dataclass
class JointOutcome:
    """What the review learned: fact text per field on the candidates' own rows (what answering
    agencies cleared) and its evidence, every record the agencies gave (frames for
    vetting.normalize.records.combine), data issues, reply rows matching nobody,
    the opinion columns it read, and the agencies still owing answers (J01, compact blocks)."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    provenance: dict[str, np.ndarray] = field(default_factory=dict)
    issues: list[pd.DataFrame] = field(default_factory=list)
    records: list[pd.DataFrame] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    opinion_columns: list[str] = field(default_factory=list)
    consulted: list[str] = field(default_factory=list)
    silence: list[SilentBlock] = field(default_factory=list)


class _Merger:
    def __init__(self, candidates: Candidates, fields: Mapping[str, Field], agencies: Mapping[str, Agency],
                 rules: OpinionRules) -> None:
        self.candidates, self.raw, self.fields, self.agencies, self.rules = \
            candidates, candidates.raw, fields, agencies, rules
        self.n = len(candidates)
        self.out = JointOutcome()
        self._blank_cache: dict[str, np.ndarray] = {}
        self.clears: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.answered = {name: self._structured_answer(a) for name, a in agencies.items()}
        self.silent_columns: dict[str, list[tuple]] = {}   # agency -> (header, silent, said, asked) per column
        self.replied: dict[str, np.ndarray] = {}           # agency -> the candidates its reply files answer for

    def _structured_answer(self, agency: Agency) -> np.ndarray:
        answered = np.zeros(self.n, dtype=bool)
        for name in agency.supplies:
            if name in self.raw:
                answered |= ~self._blank(name)
        return answered

    def _blank(self, name: str) -> np.ndarray:
        """Rows whose cell for a field is empty (cached until the column is changed)."""
        if name not in self._blank_cache:
            if name in self.out.columns:
                text = pd.Series(self.out.columns[name], dtype="string")
            elif name in self.raw:
                text = self.raw[name]
            else:
                self._blank_cache[name] = np.ones(self.n, dtype=bool)
                return self._blank_cache[name]
            self._blank_cache[name] = blank_mask(text)
        return self._blank_cache[name]

    def _write(self, name: str, rows: np.ndarray, values: ArrayLike) -> None:
        """Set cells of a fact column in the outcome (the candidates' own raw text stays as it was)."""
        if name not in self.out.columns:
            self.out.columns[name] = self.raw[name].to_numpy(dtype=object).copy() if name in self.raw \
                else np.full(self.n, "", dtype=object)
        self.out.columns[name][rows] = values
        self._blank_cache.pop(name, None)

    def _records(self, records: pd.DataFrame, owners: np.ndarray, evidence: np.ndarray, weak: np.ndarray,
                 dates: np.ndarray | None = None) -> None:
        """Keep records (one per row of `records`, fields as its columns) for their candidates; a
        date a record names but does not state is taken from `dates` (a reply's date column).
        Where one text reports several records, each one's evidence says which it is."""
        if not len(records):
            return
        cells = records["cell"].to_numpy(dtype=np.int64)
        table = records.drop(columns="cell").reset_index(drop=True)
        if dates is not None:
            for name in table.columns:
                if self.fields[name].type == "date":
                    unstated = (table[name] == "").to_numpy(dtype=bool)
                    table.loc[unstated, name] = dates[unstated]
        said = np.full(len(table), "", dtype=object)
        for name in [f for f in self.fields if f in table.columns]:
            values = table[name].to_numpy(dtype=object)
            stated = np.flatnonzero(~pd.isna(values) & (values != ""))
            lead = np.where(said[stated] == "", "", "，").astype(object)
            said[stated] = said[stated] + lead + f"{self.fields[name].label}=" + values[stated].astype(str)
        several = np.bincount(cells)[cells] > 1
        evidence = np.where(several, evidence + "（其中一项：" + said + "）", evidence).astype(object)
        self.out.records.append(table.assign(owner=owners, evidence=evidence, weak=weak))

    def _issue(self, rows: np.ndarray, code: str, column: str, problems: ArrayLike,
               evidence: ArrayLike | None = None) -> None:
        """A data issue (an agency's silence is not one: see `_silent`)."""
        if len(rows) == 0:
            return
        self.out.issues.append(pd.DataFrame({
            "row_id": rows, "code": code, "field": "", "column": column, "value": "",
            "problem": problems, "evidence": evidence if evidence is not None else None}))

    def _silent(self, agency: str, column: str, owed: np.ndarray, problem: pd.Categorical | str) -> None:
        """An agency's silence (J01) for the `owed` candidates, kept as a mask (vetting.normalize.silence)."""
        if owed.any():
            self.out.silence.append(SilentBlock(agency, column, owed, problem))

    def opinions(self, header: str, agency: str) -> None:
        """Classify one opinion column and apply what it says. Each distinct text is read, quoted
        and cited once, then spread to the rows holding it: a column repeats 无, 未反馈 and
        blanks a hundred thousand times."""
        codes, texts = _distinct(self.candidates.extra[header])
        table, records = classify_opinions(texts, self.rules)
        self.out.opinion_columns.append(header)
        self._consulted(agency)
        status = table["status"].to_numpy(dtype=object)
        quoted = _quote(table["verbatim"])
        evidence = (f"「{header}」（{agency}）：" + quoted).astype(object)
        records = _rows_holding(records, codes, len(texts))
        cells = records["cell"].to_numpy(dtype=np.int64)
        self._records(records, cells, evidence[codes[cells]], np.zeros(len(cells), dtype=bool))
        self.answered[agency] |= np.isin(status, [CLEAR, FINDING, UNCLASSIFIED])[codes]
        self.clears.append((agency, np.isin(status, [CLEAR, FINDING])[codes], evidence[codes]))
        unclear = np.flatnonzero((status == UNCLASSIFIED)[codes])
        self._issue(unclear, "J02", header, "无法自动识别的联审意见「" + quoted[codes[unclear]] + "」，需人工研判")
        unread = table["unread"].to_numpy(dtype=object)
        partly = np.flatnonzero((unread != "")[codes])
        if len(partly):                 # each candidate's "file 第N行" made only when quoted
            self._issue(partly, "J02", header, _unread_reason(unread[codes[partly]]),
                        self._where[partly] + "：" + evidence[codes[partly]])
        asked = self._asked(header)
        silent = np.isin(status, [BLANK, PENDING])[codes] & asked
        said = said_per_row("意见为空", quoted, status == PENDING, f"：{agency}尚未反馈联审意见")
        said = pd.Categorical.from_codes(said.codes[codes], dtype=said.dtype)
        self.silent_columns.setdefault(agency, []).append((header, silent, said, asked))

    def _asked(self, header: str) -> np.ndarray:
        """The candidates whose roster file has this column: the people of a file without it
        were not asked of its agency by it (several files can ask different things)."""
        lacking = in_files_lacking(self.candidates, header)
        return np.ones(self.n, dtype=bool) if lacking is None else ~lacking

    def _column(self, header: str) -> pd.Series:
        """An unmapped column's cells as text objects (the candidate set keeps them as categoricals)."""
        return self.candidates.extra[header].astype(object)

    def _consulted(self, agency: str) -> None:
        if agency not in self.out.consulted:
            self.out.consulted.append(agency)

    def unknown_opinions(self, header: str) -> None:
        """An opinion column of a body the pack does not name: nobody owes it an answer, but any
        text that is not a clear "无" goes to a person (J02), quoted with its column."""
        table, _ = classify_opinions(self._column(header), self.rules)
        self.out.opinion_columns.append(header)
        status = table["status"].to_numpy(dtype=object)
        quoted = _quote(table["verbatim"])
        said = np.flatnonzero(np.isin(status, [FINDING, UNCLASSIFIED]))
        self._issue(said, "J02", header, f"「{header}」（本规则集未列出的部门）的意见「" + quoted[said]
                    + "」不是“无”，需人工研判", self._where[said] + f"：「{header}」：" + quoted[said])

    @cached_property
    def _where(self) -> np.ndarray:
        """Each candidate's "file 第N行" (made once: every opinion column quotes it)."""
        return (self.raw["source_file"].astype(str).to_numpy(dtype=object) + " 第"
                + self.raw["source_row"].astype(str).to_numpy(dtype=object) + "行")

    def reply(self, reply: Reply) -> None:
        """Apply one reply file: listed people get its findings; everyone else is clear for it."""
        self._consulted(reply.agency)
        pairs = match_rows(reply, self._valid_ids(), self._typed("name"))
        table, records = classify_opinions(reply.text, self.rules)
        status = table["status"].to_numpy(dtype=object)
        source = f"{reply.file} 第" + reply.rows.astype(str).astype(object) + f"行（{reply.agency}回复）："
        quoted = _quote(table["verbatim"])
        dated = np.where(reply.date != "", "（日期：" + reply.date.astype(str) + "）", "").astype(object)
        doc = np.where(reply.doc != "", "（文号：" + reply.doc.astype(str) + "）", "").astype(object)
        evidence = source + quoted + dated + doc
        rows, idx = pairs["row"].to_numpy(dtype=np.int64), pairs["reply"].to_numpy(dtype=np.int64)
        weak = pairs["name_differs"].to_numpy(dtype=bool) | (pairs["how"].to_numpy() == "name")
        matched = pairs.reset_index(drop=True).assign(weak=weak).merge(
            records.reset_index(names="record"), left_on="reply", right_on="cell")
        chosen = records.iloc[matched["record"].to_numpy(dtype=np.int64)]
        cells = chosen["cell"].to_numpy(dtype=np.int64)
        self._records(chosen, matched["row"].to_numpy(dtype=np.int64), evidence[cells],
                      matched["weak"].to_numpy(dtype=bool), reply.date[cells].astype(object))
        differs = pairs["name_differs"].to_numpy(dtype=bool)
        self._issue(rows[differs], "J03", reply.file,
                    f"{reply.agency}回复文件中同一身份证号的姓名为「" + reply.name[idx[differs]].astype(str)
                    + "」，与花名册不一致，需核实是否同一人", evidence[idx[differs]])
        by_name = pairs["how"].to_numpy() == "name"
        self._issue(rows[by_name], "J04", reply.file,
                    f"{reply.agency}回复记录的身份证号无法核验，仅凭姓名匹配，需核实是否同一人", evidence[idx[by_name]])
        unclear = (status[idx] == UNCLASSIFIED)
        self._issue(rows[unclear], "J02", reply.file,
                    "无法自动识别的回复内容「" + quoted[idx[unclear]] + "」，需人工研判", evidence[idx[unclear]])
        unstated = np.isin(status[idx], [BLANK, PENDING])
        self._issue(rows[unstated], "J02", reply.file,
                    f"{reply.agency}回复文件列出了此人，但未写明具体情况（或未能识别情况列），需人工核实",
                    evidence[idx[unstated]])
        unread = table["unread"].to_numpy(dtype=object)[idx]
        partly = unread != ""
        self._issue(rows[partly], "J02", reply.file, _unread_reason(unread[partly]), evidence[idx[partly]])
        scope = self._scope(reply)
        self.answered[reply.agency] |= scope
        self.replied[reply.agency] = self.replied.get(reply.agency, np.zeros(self.n, dtype=bool)) | scope
        listed = np.zeros(self.n, dtype=bool)
        listed[rows] = True
        within = f"（答复范围：{reply.scope}）" if reply.scope else ""
        unlisted = repeated(f"{reply.file}（{reply.agency}回复{within}）未列此人", self.n)
        unlisted[listed] = ""   # one shared string for everyone the reply does not list
        self.clears.append((reply.agency, scope, unlisted))
        unmatched = np.setdiff1d(np.arange(len(status)), idx)
        self.out.unmatched += [{"agency": reply.agency, "file": reply.file, "row": int(reply.rows[i]),
                                "name": reply.name[i], "id_number": reply.id_number[i],
                                "text": quoted[i]}
                               for i in unmatched]
        self.out.replies.append({"agency": reply.agency, "file": reply.file, "sha256": reply.table.sha256,
                                 "rows": int(len(status)), "matched": int(len(status) - len(unmatched)),
                                 "unmatched": int(len(unmatched)), "scope": reply.scope,
                                 "answers_for": int(scope.sum())})

    def _scope(self, reply: Reply) -> np.ndarray:
        """The candidates a reply answers for: everyone, those of one roster file of the run, or
        those of one township; a scope that names neither is refused."""
        if not reply.scope:
            return np.ones(self.n, dtype=bool)
        files = scope_files(self.candidates.inputs, reply.scope)
        paths = {str(i.get("path", "")) for i in self.candidates.inputs if str(i["file"]) in files}
        if len(paths) > 1:      # a name several roster files share: which one the reply means is not said
            raise InputError(f"回复文件的答复范围「{reply.scope}」对应多个花名册文件（{'、'.join(sorted(files))}），"
                             "请写明其中一个（如上列名称，或文件路径）", reply.table.path)
        if files:
            return self.raw["source_file"].astype(str).isin(files).to_numpy(dtype=bool)
        townships = self.raw["township"].astype(str).str.strip() if "township" in self.raw else pd.Series(dtype=str)
        inside = (townships == reply.scope).to_numpy(dtype=bool)
        if not inside.any():
            known = "、".join(sorted(set(townships) - {""})[:10]) or "（花名册没有乡镇列）"
            raise InputError(f"回复文件的答复范围「{reply.scope}」既不是本次审查的花名册文件，也不是花名册中的乡镇"
                             f"（花名册中的乡镇：{known}）", reply.table.path)
        return inside

    def _typed(self, name: str) -> np.ndarray:
        frame = self.candidates.frame
        return frame[name].to_numpy(dtype=object, na_value=None) if name in frame else np.full(self.n, None, dtype=object)

    def _valid_ids(self) -> np.ndarray:
        """The roster's normalised ID numbers where valid, else None (only these match a reply by ID)."""
        frame = self.candidates.frame
        if "id_status" not in frame:
            return np.full(self.n, None, dtype=object)
        valid = (frame["id_status"] == "valid").fillna(False).to_numpy(dtype=bool)
        return np.where(valid, self._typed("id_number"), None)

    def finish(self) -> JointOutcome:
        """Clear what answering agencies did not find, then note who is still awaited."""
        for agency, rows, evidence in self.clears:
            for name in self.agencies[agency].supplies:
                value = clear_value(self.fields[name])
                if value is None:
                    continue
                target = np.flatnonzero(rows & self._blank(name))
                self._set_clear(name, target, value, evidence)
        parsed = self.candidates.frame["role"] if "role" in self.candidates.frame else None
        for name, agency in self.agencies.items():
            missing = self._owed(name)
            if name in self.replied and not agency.required:    # its replies answer for part of the run
                rest = ~self.replied[name] & ~self.answered[name] & ~missing
                self._silent(name, name, rest, f"{name}的回复文件只答复了部分人选，尚未就此人出具联审意见")
                missing |= rest
            if agency.required:
                needed = np.ones(self.n, dtype=bool)
                if agency.roles and parsed is not None:
                    needed = (parsed.isin(roles_selected(agency.roles)).fillna(False) | parsed.isna()).to_numpy(dtype=bool)
                unanswered = needed & ~self.answered[name] & ~missing
                self._silent(name, name, unanswered,
                             f"{name}尚未出具联审意见（本规则集要求{name}对此类人选出具意见）")
        return self.out

    def _owed(self, agency: str) -> np.ndarray:
        """Who still owes `agency` an answer through its opinion columns: silent in every one of
        its columns their roster file has (公安机关意见 and 派出所意见 both), each quoted by the
        first of them in their own file's order; their silence is kept per column quoted."""
        columns = self.silent_columns.get(agency, [])
        if not columns:
            return np.zeros(self.n, dtype=bool)
        asked = np.vstack([c[3] for c in columns])
        owed = (np.vstack([c[1] for c in columns]) | ~asked).all(axis=0) & asked.any(axis=0) & ~self.answered[agency]
        first = asked.argmax(axis=0)
        headers = [c[0] for c in columns]
        if len(columns) > 1:
            files = self.raw["source_file"].astype(str).to_numpy(dtype=object)
            for name, own in self.candidates.file_columns.items():
                order = [headers.index(h) for h in own.others if h in headers]
                if order:
                    first[files == name] = order[0]
        for k, (header, _, said, _) in enumerate(columns):
            self._silent(agency, header, owed & (first == k), said)
        return owed

    def _set_clear(self, name: str, rows: np.ndarray, value: str, evidence: np.ndarray) -> None:
        if not len(rows):
            return
        self._write(name, rows, value)
        prov = self.out.provenance.setdefault(name, np.full(self.n, None, dtype=object))
        prov[rows] = np.where(evidence[rows] == "", None, evidence[rows])



def scope_files(inputs: Sequence[Mapping], scope: str) -> set[str]:
    """The roster files of a run (as `Candidates.inputs` names them) a reply's scope names: by
    path, by the name reports give it ("a/名册.csv" when files share a name), else by file name
    (every file so named); none when it names a township."""
    exact = {str(i["file"]) for i in inputs if same_file(str(i.get("path", "")), scope)
             or str(i["file"]) == scope or str(i["file"]).startswith(scope + "[")}
    return exact or {str(i["file"]) for i in inputs if Path(str(i.get("path", ""))).name == scope}


def _unread_reason(clauses: np.ndarray) -> np.ndarray:
    """J02's reason for the parts of a finding text that no pattern reads."""
    return ("联审意见中「" + cut_text_series(pd.Series(clauses, dtype=object), QUOTE_LIMIT).to_numpy(dtype=object)
            + "」未能自动审查（同一意见中的其他内容已按规则审查），需人工研判").astype(object)


def _distinct(cells: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each cell's position among the column's distinct texts, and those texts (objects, in the
    order they first appear; a missing cell is one of them)."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object)


def _rows_holding(records: pd.DataFrame, codes: np.ndarray, distinct: int) -> pd.DataFrame:
    """Records of distinct texts (`cell`: the text's position) as records of every row holding
    the text (`cell`: the row), rows in order and a row's records in the order its text gives them."""
    if not len(records):
        return records
    counts = np.bincount(codes, minlength=distinct)
    holders = np.argsort(codes, kind="stable")          # the rows of each text, text after text
    texts = records["cell"].to_numpy(dtype=np.int64)
    per_record = counts[texts]
    record = np.repeat(np.arange(len(records)), per_record)
    within = np.arange(len(record)) - np.repeat(np.cumsum(per_record) - per_record, per_record)
    rows = holders[(np.cumsum(counts) - counts)[texts][record] + within]
    order = np.lexsort((record, rows))
    return records.iloc[record[order]].reset_index(drop=True).assign(cell=rows[order])


def _quote(texts: pd.Series) -> np.ndarray:
    """Opinion texts cut to a quotable length ('' for blank), never through a number (reports mask
    ID numbers in whole); each distinct text once."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    quoted = cut_text_series(pd.Series(uniques, dtype=object), QUOTE_LIMIT).fillna("").to_numpy(dtype=object)
    return np.append(quoted, "").astype(object)[codes]


def opinion_columns(candidates: Candidates, agencies: Mapping[str, Agency]) -> list[tuple[str, str]]:
    """(header, agency) for every column of `candidates.extra` that is an agency's opinion column
    (two columns of one agency, e.g. 公安机关意见 and 派出所意见, are both read)."""
    found = [(str(h), agency_of_header(str(h), agencies)) for h in candidates.extra.columns]
    return [(h, a) for h, a in found if a]


def unknown_opinion_columns(candidates: Candidates, agencies: Mapping[str, Agency]) -> list[str]:
    """Opinion columns (header ending in 意见, or under a 联审部门意见 group) of a body the pack does
    not name: still read."""
    return [str(h) for h in candidates.extra.columns
            if is_opinion_header(str(h), candidates.groups.get(str(h), ""))
            and agency_of_header(str(h), agencies) is None]


def review(candidates: Candidates, fields: Mapping[str, Field], spec: JointSpec) -> JointOutcome:
    """What the agencies' opinion columns and reply files say about each candidate."""
    merger = _Merger(candidates, fields, spec.agencies, spec.opinions)
    for header, agency in opinion_columns(candidates, spec.agencies):
        merger.opinions(header, agency)
    for header in unknown_opinion_columns(candidates, spec.agencies):
        merger.unknown_opinions(header)
    for reply in spec.replies:
        if reply.agency in spec.agencies:
            merger.reply(reply)
    return merger.finish()


def apply(candidates: Candidates, outcome: JointOutcome, fields: Mapping[str, Field],
          required: Sequence[str] = (), room: int | Mapping[str, int] | None = None) -> Candidates:
    """A new candidate set with the review's facts, evidence and issues, and its chase list naming
    at most `room` people per agency (vetting.joint.chase.awaiting_list); the opinion columns it
    read are no longer listed as unmapped."""
    updated = with_columns(candidates, fields, required, outcome.columns)
    read = set(outcome.opinion_columns)
    updated = replace(updated, provenance={k: evidence_column(v) for k, v in outcome.provenance.items()},
                      records=combine(outcome.records),
                      unmapped=[(table, header) for table, header in updated.unmapped if header not in read],
                      issues=pd.concat([updated.issues, *outcome.issues], ignore_index=True),
                      silence=Silence(tuple(outcome.silence)))
    return replace(updated, joint={"awaiting": awaiting_list(updated, room), "unmatched_replies": outcome.unmatched,
                                   "replies": outcome.replies, "consulted_agencies": outcome.consulted})


def joint_review(candidates: Candidates, fields: Mapping[str, Field], required: Sequence[str],
                 spec: JointSpec | None, room: int | Mapping[str, int] | None = None) -> Candidates:
    """The joint review stage: the candidate set with every agency's answers read in (`room`: see
    `apply`)."""
    if spec is None:
        return candidates
    return apply(candidates, review(candidates, fields, spec), fields, required, room)
