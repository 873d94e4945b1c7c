"""Merge agency answers (opinion columns and reply files) into the roster's fact columns.

A finding sets the facts it names; an answer ("无", a finding, or a reply file that does not
list the person) clears the agency's other facts; no answer leaves them blank, so rules that
need them stay `pending`. Every value set here keeps its evidence: agency, file, row, text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from vetting.fields import Field
from vetting.joint.classify import BLANK, CLEAR, FINDING, PENDING, UNCLASSIFIED, classify_opinions
from vetting.joint.replies import Reply, match_rows
from vetting.normalize.roles import parse_roles, roles_match
from vetting.fields import header_key
from vetting.normalize.text import clean_name
from vetting.reports.common import mask_ids
from vetting.ruleset.model import Agency, OpinionRules

OPINION_PREFIX = "opinion::"
_SUFFIXES = ("意见(签字盖章)", "核查意见", "审查意见", "联审意见", "审核意见", "反馈意见", "核查结果", "意见")
_PREFIXES = ("县", "市", "区", "乡镇", "县级")
QUOTE_LIMIT = 200
AWAITING_LIST_LIMIT = 500


def agency_of_header(header: str, agencies: Mapping[str, Agency]) -> str | None:
    """The agency an opinion column belongs to ("公安机关意见" -> 公安), or None."""
    key = header_key(header)
    for suffix in _SUFFIXES:
        if key.endswith(header_key(suffix)) and len(key) > len(suffix):
            key = key[: -len(header_key(suffix))]
            break
    candidates = {key} | {key[len(p):] for p in _PREFIXES if key.startswith(p)}
    for name, agency in agencies.items():
        if candidates & {header_key(a) for a in (name, *agency.aliases)}:
            return name
    return None


def clear_value(spec: Field) -> str | None:
    """The text meaning 'nothing found' for a fact field, or None when the field has none."""
    if spec.type == "flag":
        return "否"
    if spec.type == "enum" and "无" in spec.values:
        return "无"
    return None


@dataclass
class JointOutcome:
    """What the merge learned besides the facts: evidence, issues, weak matches, who is awaited."""

    provenance: dict[str, np.ndarray] = field(default_factory=dict)
    issues: list[pd.DataFrame] = field(default_factory=list)
    weak: dict[str, np.ndarray] = field(default_factory=dict)  # field -> rows set from a weak match
    awaiting: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)


class _Merger:
    def __init__(self, raw: pd.DataFrame, fields: Mapping[str, Field], agencies: Mapping[str, Agency],
                 rules: OpinionRules) -> None:
        self.raw, self.fields, self.agencies, self.rules = raw, fields, agencies, rules
        self.n = len(raw)
        self.out = JointOutcome()
        self.found: dict[str, np.ndarray] = {}
        self._blank_cache: dict[str, np.ndarray] = {}
        self.clears: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.answered = {name: self._structured_answer(a) for name, a in agencies.items()}
        self.awaited = {name: np.zeros(self.n, dtype=bool) for name in agencies}
        self.silent_column: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}

    def _structured_answer(self, agency: Agency) -> np.ndarray:
        answered = np.zeros(self.n, dtype=bool)
        for name in agency.supplies:
            if name in self.raw:
                answered |= ~self._blank(name)
        return answered

    def _blank(self, name: str) -> np.ndarray:
        """Rows whose cell for a field is empty (cached until the column is changed)."""
        if name not in self._blank_cache:
            self._blank_cache[name] = (self.raw[name].astype("string").fillna("").str.strip() == "").to_numpy(
                dtype=bool) if name in self.raw else np.ones(self.n, dtype=bool)
        return self._blank_cache[name]

    def _column(self, name: str) -> np.ndarray:
        if name not in self.raw:
            self.raw[name] = ""
        return self.raw[name].to_numpy(dtype=object).copy()

    def _set(self, name: str, rows: np.ndarray, values: np.ndarray, evidence: np.ndarray) -> None:
        column = self._column(name)
        column[rows] = values
        self.raw[name] = column
        self._blank_cache.pop(name, None)
        self.found.setdefault(name, np.zeros(self.n, dtype=bool))[rows] = True
        self.out.provenance.setdefault(name, np.full(self.n, None, dtype=object))[rows] = evidence

    def _issue(self, rows: np.ndarray, code: str, column: str, problems, evidence=None) -> None:
        if len(rows) == 0:
            return
        self.out.issues.append(pd.DataFrame({
            "row_id": rows, "code": code, "field": "", "column": column, "value": "",
            "problem": problems, "evidence": evidence if evidence is not None else None}))

    def opinions(self, column: str, agency: str) -> None:
        """Classify one opinion column and apply what it says."""
        header = column[len(OPINION_PREFIX):].split("::", 1)[-1]
        table = classify_opinions(self.raw[column], self.rules)
        status = table["status"].to_numpy(dtype=object)
        quoted = _quote(table["text"])
        evidence = f"「{header}」（{agency}）：" + quoted
        where = self._where()
        for name in table.columns.difference(["status", "patterns", "text"]):
            rows = np.flatnonzero((status == FINDING) & table[name].notna().to_numpy())
            self._set(name, rows, table[name].to_numpy(dtype=object)[rows], (where + evidence)[rows])
        self.answered[agency] |= np.isin(status, [CLEAR, FINDING, UNCLASSIFIED])
        self.clears.append((agency, np.isin(status, [CLEAR, FINDING]), where + evidence))
        unclear = np.flatnonzero(status == UNCLASSIFIED)
        self._issue(unclear, "J02", header, "无法自动识别的联审意见「" + quoted[unclear] + "」，需人工研判")
        silent = np.isin(status, [BLANK, PENDING])
        said = np.where(status == PENDING, "「" + quoted + "」", "意见为空") + f"：{agency}尚未反馈联审意见"
        if agency in self.silent_column:  # a second column of the same agency: silent only if both are
            before, before_said, before_header = self.silent_column[agency]
            silent &= before
            said, header = before_said, before_header
        self.silent_column[agency] = (silent, said.astype(object), header)

    def _where(self) -> np.ndarray:
        return (self.raw["source_file"].astype(str).to_numpy(dtype=object) + " 第"
                + self.raw["source_row"].astype(str).to_numpy(dtype=object) + "行")

    def reply(self, reply: Reply) -> None:
        """Apply one reply file: listed people get its findings; everyone else is clear for it."""
        roster_ids = self.raw["id_number"].to_numpy(dtype=object) if "id_number" in self.raw else \
            np.full(self.n, None, dtype=object)
        valid = _valid_ids(roster_ids)
        names = clean_name(self.raw["name"]).to_numpy(dtype=object, na_value=None) if "name" in self.raw \
            else np.full(self.n, None, dtype=object)
        pairs = match_rows(reply, valid, names)
        table = classify_opinions(reply.text, self.rules)
        status = table["status"].to_numpy(dtype=object)
        source = f"{reply.file} 第" + reply.rows.astype(str).astype(object) + f"行（{reply.agency}回复）："
        quoted = _quote(table["text"])
        doc = np.where(reply.doc != "", "（文号：" + reply.doc.astype(str) + "）", "").astype(object)
        evidence = source + quoted + doc
        pairs = pairs.iloc[np.argsort(_event_days(table, reply)[pairs["reply"].to_numpy()], kind="stable")]
        rows, idx = pairs["row"].to_numpy(dtype=np.int64), pairs["reply"].to_numpy(dtype=np.int64)
        for name in table.columns.difference(["status", "patterns", "text"]):  # latest event written last
            hit = (status[idx] == FINDING) & table[name].notna().to_numpy()[idx]
            values = table[name].to_numpy(dtype=object)[idx[hit]]
            if self.fields[name].type == "date":
                values = np.where(pd.isna(values), reply.date[idx[hit]], values)
            self._set(name, rows[hit], values, evidence[idx[hit]])
        weak = pairs["name_differs"].to_numpy(dtype=bool) | (pairs["how"].to_numpy() == "name")
        for name in table.columns.difference(["status", "patterns", "text"]):
            self.out.weak.setdefault(name, np.zeros(self.n, dtype=bool))[rows[weak]] = True
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
        self.answered[reply.agency] = np.ones(self.n, dtype=bool)
        listed = np.zeros(self.n, dtype=bool)
        listed[rows] = True
        self.clears.append((reply.agency, np.ones(self.n, dtype=bool),
                            np.where(listed, "", f"{reply.file}（{reply.agency}回复）未列此人").astype(object)))
        unmatched = np.setdiff1d(np.arange(len(status)), idx)
        self.out.unmatched += [{"agency": reply.agency, "file": reply.file, "row": int(reply.rows[i]),
                                "name": reply.name[i], "id_number": mask_ids(reply.id_number[i]),
                                "text": quoted[i]}
                               for i in unmatched]
        self.out.replies.append({"agency": reply.agency, "file": reply.file, "sha256": reply.table.sha256,
                                 "rows": int(len(status)), "matched": int(len(status) - len(unmatched)),
                                 "unmatched": int(len(unmatched))})

    def finish(self, roles: pd.Series | None) -> JointOutcome:
        """Clear what answering agencies did not find, then list who is still awaited."""
        for agency, rows, evidence in self.clears:
            for name in self.agencies[agency].supplies:
                value = clear_value(self.fields[name])
                if value is None:
                    continue
                blank = self._blank(name)
                target = np.flatnonzero(rows & blank & ~self.found.get(name, np.zeros(self.n, dtype=bool)))
                self._set_clear(name, target, value, evidence)
        parsed = parse_roles(roles)["role"] if roles is not None else None
        for name, agency in self.agencies.items():
            silent, said, header = self.silent_column.get(name, (np.zeros(self.n, dtype=bool), None, name))
            missing = silent & ~self.answered[name]
            self._issue(np.flatnonzero(missing), "J01", header, said[missing] if said is not None else [])
            if agency.required:
                needed = np.ones(self.n, dtype=bool)
                if agency.roles and parsed is not None:
                    needed = (roles_match(parsed, agency.roles) | parsed.isna()).to_numpy(dtype=bool)
                unanswered = needed & ~self.answered[name] & ~missing
                self._issue(np.flatnonzero(unanswered), "J01", name,
                            f"{name}尚未出具联审意见（本规则集要求{name}对此类人选出具意见）")
                missing |= unanswered
            self.awaited[name] = missing
        self._awaiting_list()
        return self.out

    def _set_clear(self, name: str, rows: np.ndarray, value: str, evidence: np.ndarray) -> None:
        if not len(rows):
            return
        column = self._column(name)
        column[rows] = value
        self.raw[name] = column
        self._blank_cache.pop(name, None)
        prov = self.out.provenance.setdefault(name, np.full(self.n, None, dtype=object))
        prov[rows] = np.where(evidence[rows] == "", None, evidence[rows])

    def _awaiting_list(self) -> None:
        for name, rows in self.awaited.items():
            count = int(rows.sum())
            if not count:
                continue
            listed = np.flatnonzero(rows)[:AWAITING_LIST_LIMIT]
            people = [{"file": str(self.raw["source_file"].iloc[i]), "row": int(self.raw["source_row"].iloc[i]),
                       "name": str(self.raw["name"].iloc[i]) if "name" in self.raw else "",
                       "village": str(self.raw["village"].iloc[i]) if "village" in self.raw else ""}
                      for i in listed]
            self.out.awaiting.append({"agency": name, "count": count, "candidates": people,
                                      "truncated": count > len(listed)})


def _valid_ids(ids: np.ndarray) -> np.ndarray:
    from vetting.normalize.idcard import parse_id_numbers
    parsed = parse_id_numbers(pd.Series(ids, dtype=object))
    valid = (parsed["id_status"] == "valid").fillna(False).to_numpy(dtype=bool)
    return np.where(valid, parsed["id_number"].to_numpy(dtype=object, na_value=None), None)


_ID_LIKE = r"(\d{6})\d{5,8}(\d{3}[\dXx])"


def _event_days(table: pd.DataFrame, reply: Reply) -> np.ndarray:
    """Per reply row, the day of the event it reports (earliest possible; NaT sorts first), so that
    of several records on one person the latest is applied last."""
    from vetting.normalize.dates import parse_dates
    text = pd.Series(reply.date, dtype=object)
    for name in [c for c in table.columns if c.endswith("_date")]:
        text = text.where(table[name].isna().to_numpy(), table[name].to_numpy(dtype=object))
    days = parse_dates(text.astype("string"))["lo"].to_numpy(dtype="datetime64[D]")
    return np.where(np.isnat(days), np.datetime64("0001-01-01"), days)


def _quote(texts: pd.Series) -> np.ndarray:
    """Opinion texts cut to a quotable length ('' for blank), ID-like numbers masked as in reports."""
    quoted = texts.astype("string").fillna("").str.slice(0, QUOTE_LIMIT)
    return quoted.str.replace(_ID_LIKE, r"\1********\2", regex=True).to_numpy(dtype=object)


def apply_joint(raw: pd.DataFrame, fields: Mapping[str, Field], agencies: Mapping[str, Agency],
                rules: OpinionRules, replies: Sequence[Reply] = ()) -> JointOutcome:
    """Fill fact columns of `raw` (in place) from opinion columns and reply files."""
    merger = _Merger(raw, fields, agencies, rules)
    for column in [c for c in raw.columns if str(c).startswith(OPINION_PREFIX)]:
        merger.opinions(column, column[len(OPINION_PREFIX):].split("::", 1)[0])
    for reply in replies:
        if reply.agency not in agencies:
            continue
        merger.reply(reply)
    return merger.finish(raw["role"] if "role" in raw else None)
