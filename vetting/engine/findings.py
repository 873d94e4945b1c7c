"""Findings from an engine's decisions: the Chinese reason rendered with the row's values, the
evidence (file, row, the cells the rule read or the agency text that set them), the legal basis,
the pending/review split for undecided rows and the weak-identity downgrade. Shared by every
engine, so that only the yes/no/undecided per rule and candidate differs between them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike
from pandas.api.types import union_categoricals

from vetting.datachecks import AGENCY_SILENT, DATA_CHECKS
from vetting.engine.derive import FROM_BIRTH
from vetting.engine.evaluator import Columns, Evaluator
from vetting.engine.owed import Waiting
from vetting.engine.text import format_vec, joined
from vetting.normalize.dates import two_readings
from vetting.normalize.records import evidence_objects
from vetting.normalize.roles import roles_match
from vetting.normalize.roster import Candidates, column_label, in_files_lacking
from vetting.normalize.silence import SILENT_CODE, Silence
from vetting.objarrays import repeated
from vetting.result import FINDING_COLUMNS
from vetting.ruleset import condition as C
from vetting.ruleset.model import Rule
from vetting.textbytes import spread
from vetting.vocab import EDUCATION_LEVELS

WEAK_IDENTITY_NOTE = "（公民身份号码无法核验，比对依据不足，降为人工复核）"
#: Cells never spelled out in evidence: with the masked ID number they would reveal the hidden digits.
HIDDEN_VALUES = ("birth_date", "id_number")
NO_BIRTH_DATE = "无可用的出生日期（身份证号无效或缺失，且未填出生年月）"


def _evidence(columns: Columns, rows: np.ndarray, fields: tuple[str, ...]) -> np.ndarray:
    """'文件 第N行：「列」=值；…' for the roster fields a rule read (ID numbers never spelled out);
    the agency text that set several of them is quoted once."""
    candidates = columns.candidates
    raw = candidates.raw
    text = _where(raw, rows)
    parts = []
    if any(f in FROM_BIRTH for f in fields):
        from_id = columns.get("id_valid").lo[rows]
        known = columns.get("birth_used").known[rows]
        parts.append(np.where(from_id, "年龄据公民身份号码推算",
                              np.where(known, "年龄据填报的出生年月推算", NO_BIRTH_DATE))
                     .astype(object))
    for name in fields:
        if columns.ruleset.fields[name].derived:
            continue
        label, source = candidates.headers.get(name), candidates.provenance.get(name)
        missing = f"无「{columns.ruleset.fields[name].label}」列"
        if label is None and name not in raw:
            parts.append(repeated(missing, len(rows)))
            continue
        cells = np.asarray(raw[name].array.take(rows).astype("string"), dtype=object)
        blank = columns.blank(name)[rows]
        values = np.where(blank, "（空）", cells).astype(object)
        if name in HIDDEN_VALUES:
            values = np.where(values == "（空）", values, "（已隐去）").astype(object)
        field_label = columns.ruleset.fields[name].label
        text_part = _quoted(column_label(candidates, name, field_label, rows) if label else field_label) + "=" + values
        if label is None:   # a column only an agency's answers filled: the others' rows have none
            text_part = np.where(blank, missing, text_part).astype(object)
        elif (without := in_files_lacking(candidates, name, rows)) is not None:
            text_part = np.where(blank & without, missing, text_part).astype(object)   # a file without it
        if source is not None:
            said = evidence_objects(source, rows)
            text_part = np.where(pd.isna(said), text_part, said).astype(object)
        parts.append(text_part)
    shown: list[np.ndarray] = []
    for part in parts:
        said_before = np.zeros(len(rows), dtype=bool)
        for earlier in shown:
            said_before |= part == earlier
        text = text + np.where(said_before, "", ("；" if shown else "：") + part)
        shown.append(part)
    return text


def _quoted(label: str | np.ndarray) -> str | np.ndarray:
    """「header」, or each row's."""
    return f"「{label}」" if isinstance(label, str) else ("「" + label + "」").astype(object)


def _where(raw: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """'文件 第N行' for the given rows."""
    return (raw["source_file"].iloc[rows].to_numpy(dtype=object).astype(str) + " 第"
            + raw["source_row"].iloc[rows].to_numpy().astype(str) + "行")


def _imprecise(columns: Columns, rows: np.ndarray, fields: tuple[str, ...]) -> np.ndarray:
    """'「列」仅为2025-10' for date fields a rule read whose value is a month or year, not a day;
    '「列」可能是2025年1月或2025年10月' for a number cell 2025.1 (Excel drops the zero of 2025.10)."""
    out = np.full(len(rows), "", dtype=object)
    for name in fields:
        vec = columns.get(name)
        if vec.kind != "date":
            continue
        vec = vec.take(rows)
        vague = vec.known & (vec.lo != vec.hi)
        label = _quoted(column_label(columns.candidates, name, columns.ruleset.fields[name].label, rows))
        verb = np.where(two_readings(vec.lo, vec.hi), "可能是", "仅为")
        out = np.where(vague, out + np.where(out == "", "", "、") + label + verb + format_vec(vec), out)
    return out


def _render_reason(rule: Rule, evaluator: Evaluator) -> np.ndarray:
    out = np.full(evaluator.n, "", dtype=object)
    for part in rule.reason:
        out = out + (part if isinstance(part, str) else _display(part, evaluator))
    return out


def _display(node: C.Node, evaluator: Evaluator) -> np.ndarray:
    """A placeholder's text; an education level shows as its name (高中), not its rank."""
    vec = evaluator.eval(node)
    fields = evaluator.columns.ruleset.fields
    if isinstance(node, C.FieldRef) and fields[node.name].type == "education":
        names = pd.Series(vec.lo).map(EDUCATION_LEVELS).to_numpy(dtype=object)
        return np.where(vec.known & (vec.lo == vec.hi), names, format_vec(vec)).astype(object)
    return format_vec(vec)


def applicability(rule: Rule, candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Rows a rule surely applies to, and rows where that is unknown (role blank or unreadable)."""
    n = len(candidates)
    if not rule.roles:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if "role" not in candidates.frame:
        return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    role = candidates.frame["role"]
    return roles_match(role, rule.roles).to_numpy(dtype=bool), role.isna().to_numpy(dtype=bool)


def _downgrade_weak(rule: Rule, rows: np.ndarray, candidates: Candidates, weak: np.ndarray,
                    severity: np.ndarray, reason: np.ndarray) -> None:
    """A strong verdict resting on a weak match (unverifiable ID, name-only or name-mismatch record) → review."""
    if rule.severity not in ("disqualify", "unsuitable"):
        return
    downgrade = weak[rows]
    for name in rule.fields:
        if name in candidates.weak:
            downgrade = downgrade | candidates.weak[name][rows]
    severity[downgrade] = "review"
    reason[downgrade] = reason[downgrade] + WEAK_IDENTITY_NOTE


def _blank_facts(rule: Rule, rows: np.ndarray, columns: Columns, role_unknown: np.ndarray,
                 skip: frozenset = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose decisive cells (other than the facts in `skip`) are blank, and '「列」、「列」' naming them."""
    names = [f for f in C.decisive_fields(rule.condition) if not columns.ruleset.fields[f].derived and f not in skip]
    if rule.roles:
        names.append("role")
    blank = np.zeros(len(rows), dtype=bool)
    missing = np.full(len(rows), "", dtype=object)
    for name in dict.fromkeys(names):
        is_blank = columns.blank(name)[rows]
        if name == "role":
            is_blank &= role_unknown[rows]
        label = _quoted(column_label(columns.candidates, name, columns.ruleset.fields[name].label, rows))
        missing = np.where(is_blank, missing + np.where(missing == "", "", "、") + label, missing)
        blank |= is_blank
    return blank, missing


def not_checked(rule: Rule, evaluator: Evaluator, candidates: Candidates, unsettled: np.ndarray,
                skip: frozenset) -> np.ndarray:
    """Undecided rows that only facts in `skip` (which this run does not carry) leave open: no other
    decisive cell blank, no date vague, and the rule still open with every fact the run does carry
    read as "nothing found". A row where a carried fact points at the rule (a sentence whose end
    date is missing) stays undecided: that is someone's `pending`, not a gap in the run. A blank
    拟任职务 does not keep it open: whatever the post, the rule could not be checked (the blank
    post is a finding of its own)."""
    rows = np.flatnonzero(unsettled)
    blank, _ = _blank_facts(rule, rows, evaluator.columns, np.zeros(len(unsettled), dtype=bool), skip)
    vague = _imprecise(evaluator.columns, rows, tuple(f for f in rule.fields if f not in skip))
    rows = rows[~blank & (vague == "")]
    carried = [f for f in rule.fields if f not in skip]
    cleared = Evaluator(evaluator.columns.cleared(carried), evaluator.params, evaluator.as_of.astype(dt.date), rows)
    result = cleared.eval(rule.condition)
    out = np.zeros(len(unsettled), dtype=bool)
    out[rows[~(result.known & ~result.lo)]] = True
    return out


def _undecided(rule: Rule, rows: np.ndarray, evaluator: Evaluator, role_unknown: np.ndarray) -> Part:
    """Findings for rows the evidence does not settle: `pending` when a decisive cell is blank, else `review`."""
    columns = evaluator.columns
    blank, missing = _blank_facts(rule, rows, columns, role_unknown)
    severity = np.where(blank, "pending", "review").astype(object)
    vague = _imprecise(columns, rows, rule.fields)
    unclear = np.where(vague == "", "现有信息", vague + "，")
    reason = np.where(blank, "尚无" + missing + "信息，无法判定是否属于「" + rule.name + "」",
                      unclear + "不足以判定截至" + str(evaluator.as_of) + "是否属于「" + rule.name
                      + "」，需核实具体日期或情况")
    return _frame(rows, rule, severity, reason.astype(object), _evidence(columns, rows, rule.fields))


def rule_findings(rule: Rule, evaluator: Evaluator, candidates: Candidates, weak: np.ndarray,
                  fires: np.ndarray, unsettled: np.ndarray,
                  role_unknown: np.ndarray | None = None) -> list[Part]:
    """Findings for one rule from an engine's decision (shared by every engine); `role_unknown`
    (rows whose post is unknown, from `applicability`) may be given when it is already known."""
    if role_unknown is None:
        _, role_unknown = applicability(rule, candidates)
    out = []
    fired = np.flatnonzero(fires)
    if len(fired):
        severity = repeated(rule.severity, len(fired))
        reason = _render_reason(rule, evaluator.subset(fired))
        _downgrade_weak(rule, fired, candidates, weak, severity, reason)
        out.append(_frame(fired, rule, severity, reason, _evidence(evaluator.columns, fired, rule.fields)))
    undecided = np.flatnonzero(unsettled)
    if len(undecided) and rule.severity != "notice":
        out.append(_undecided(rule, undecided, evaluator, role_unknown))
    return out


#: One rule's findings, column by column: the rules' parts are stacked into one frame (`stacked`),
#: as a DataFrame per rule costs more than its findings (~0.5 ms, 50-odd rules a slice). A rule's
#: code, name and basis are one value for the whole part.
Part = dict[str, object]

#: Finding columns that hold a few texts shared by many findings (a rule's code, name and legal
#: basis, the severity): categorical, so that no text is made, copied or compared per finding.
#: Before the agencies answer a candidate has nine findings with one basis and one severity.
SHARED_COLUMNS = ("rule", "rule_name", "severity", "basis")


def _frame(rows: np.ndarray, rule: Rule, severity: ArrayLike, reason: ArrayLike, evidence: ArrayLike) -> Part:
    return {"row_id": np.asarray(rows, dtype=np.int64), "rule": rule.code, "rule_name": rule.name,
            "severity": np.asarray(severity, dtype=object), "reason": np.asarray(reason, dtype=object),
            "evidence": np.asarray(evidence, dtype=object), "basis": rule.basis_text()}


def shared(texts: ArrayLike, at: np.ndarray) -> pd.Series:
    """The column `texts[at]` as a categorical (SHARED_COLUMNS) with its categories sorted, so that
    it sorts, groups and compares as the texts themselves would."""
    categories, code = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    return pd.Series(pd.Categorical.from_codes(code.reshape(-1)[at], categories=pd.Index(categories, dtype="str")))


def shared_of(values: ArrayLike) -> pd.Series:
    """A text column (SHARED_COLUMNS) of few distinct values as `shared` gives it (a missing value
    stays missing)."""
    values = np.asarray(values, dtype=object)
    if pd.isna(values).any():
        return pd.Series(pd.Categorical(pd.Series(values, dtype="str")))
    categories, at = np.unique(values, return_inverse=True)
    return shared(categories, at.reshape(-1))


def stacked(parts: list[Part], owner: np.ndarray | None = None) -> pd.DataFrame:
    """Rule parts (at least one) as one findings frame, in the order given; with `owner` (the candidate of each
    layout row, when agencies gave several records) the rows become their candidates', each
    part's in candidate order. Reasons and evidence are text columns, as a frame of one part
    would infer them."""
    sizes = [len(p["row_id"]) for p in parts]
    part = np.repeat(np.arange(len(parts), dtype=np.int64), sizes)
    rows = np.concatenate([p["row_id"] for p in parts])
    order = slice(None)
    if owner is not None:
        mapped = owner[rows]
        order = np.argsort(part * (int(owner.max(initial=0)) + 1) + mapped, kind="stable")
        rows, part = mapped[order], part[order]
    severity = np.concatenate([p["severity"] for p in parts])[order]
    return pd.DataFrame({
        "row_id": rows, "rule": shared([p["rule"] for p in parts], part),
        "rule_name": shared([p["rule_name"] for p in parts], part), "severity": shared_of(severity),
        **{c: pd.Series(np.concatenate([p[c] for p in parts])[order], dtype="str") for c in ("reason", "evidence")},
        "basis": shared([p["basis"] for p in parts], part)})[FINDING_COLUMNS]


def concat_findings(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Findings frames (FINDING_COLUMNS) one under another, SHARED_COLUMNS kept categorical (pandas'
    concat makes a text per row of categories that differ)."""
    frames = [f[FINDING_COLUMNS] for f in frames if len(f)]
    if len(frames) <= 1:
        return frames[0].reset_index(drop=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)
    columns = {}
    for name in FINDING_COLUMNS:
        pieces = [f[name] for f in frames]
        if name in SHARED_COLUMNS:
            columns[name] = pd.Series(union_categoricals([_categorical(p) for p in pieces], sort_categories=True))
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


def _categorical(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.dtype == "str":
        return values
    return shared_of(values.to_numpy(dtype=object))


def silent_findings(silence: Silence, waiting: Waiting, lo: int, hi: int, candidates: Candidates) -> pd.DataFrame:
    """The J01 findings of candidates lo..hi-1: what `data_findings` gives for one J01 issue per
    block and owed candidate (block by block, candidates in order; the agency named, the block's
    column and problem text with the agency's waiting rules, `Waiting.suffix_codes`, after it). Before
    the agencies answer these are nine in ten findings, so no text is made per finding in Python:
    the reasons are a few distinct texts taken per row, the evidence joined in Arrow."""
    check = DATA_CHECKS[SILENT_CODE]
    texts: dict[str, int] = {}
    reason_at, where_rows, labels, label_at, names, counts = [], [], [], [], [], []
    for block in silence.blocks:
        rows = block.rows(lo, hi)
        if not len(rows):
            continue
        if isinstance(block.problem, str):
            problems, problem_at = np.array([block.problem], dtype=object), np.zeros(len(rows), dtype=np.int64)
        else:
            problems = np.asarray(block.problem.categories, dtype=object)
            problem_at = block.problem.codes[rows].astype(np.int64)
        suffix_at, suffixes = waiting.suffix_codes(block.agency, rows - lo)
        pairs, pair_at = np.unique(problem_at * len(suffixes) + suffix_at, return_inverse=True)
        own = np.array([texts.setdefault(f"「{block.column}」：{problems[p // len(suffixes)]}{suffixes[p % len(suffixes)]}",
                                         len(texts)) for p in pairs], dtype=np.int64)
        reason_at.append(own[pair_at.reshape(-1)])
        where_rows.append(rows)
        label_at.append(np.full(len(rows), len(labels), dtype=np.int64))
        labels.append(f"「{block.column}」列")
        names.append(block.agency + AGENCY_SILENT)
        counts.append(len(rows))
    if not counts:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    rows = np.concatenate(where_rows)
    unique_rows, row_at = np.unique(rows, return_inverse=True)
    where = pa.array(_where(candidates.raw, unique_rows), type=pa.large_string()).take(row_at.reshape(-1))
    label = pa.array(labels, type=pa.large_string()).take(np.concatenate(label_at))
    reason = spread(pa.array(list(texts), type=pa.large_string()), np.concatenate(reason_at))
    size = len(rows)
    once = np.zeros(size, dtype=np.int64)
    return pd.DataFrame({
        "row_id": rows, "rule": shared([SILENT_CODE], once),
        "rule_name": shared(names, np.repeat(np.arange(len(names)), counts)),
        "severity": shared([check.severity], once), "reason": pd.array(reason, dtype="str"),
        "evidence": pd.array(pc.binary_join_element_wise(where, label, pa.scalar("", pa.large_string())), dtype="str"),
        "basis": shared([check.basis], once)})


def data_findings(issues: pd.DataFrame, candidates: Candidates) -> pd.DataFrame:
    """Findings for data issues (V-, J-codes): the check's name, severity and basis per code, the
    reason 「列」：problem, and the evidence 'file 第N行「列」列' unless the issue brings its own. Shape
    (b) gives nine J01 per candidate, so texts are made per distinct code, (column, problem) pair
    and candidate, then spread: one Python string per distinct text, not one per finding."""
    if issues.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    rows = issues["row_id"].to_numpy(dtype=np.int64)
    column_codes, columns = pd.factorize(issues["column"].astype(str).to_numpy(dtype=object))
    columns = np.asarray(columns, dtype=object)
    where_rows, where_at = np.unique(rows, return_inverse=True)
    evidence = _where(candidates.raw, where_rows)[where_at.reshape(-1)] + ("「" + columns + "」列")[column_codes]
    if "evidence" in issues:
        own = issues["evidence"].to_numpy(dtype=object)
        evidence = np.where(pd.isna(own), evidence, own).astype(object)
    code_at, codes = pd.factorize(issues["code"].to_numpy(dtype=object))
    checks = [DATA_CHECKS[c] for c in codes]
    names = np.array([c.name for c in checks], dtype=object)[code_at]
    silent = (np.asarray(codes, dtype=object) == "J01")[code_at]
    if silent.any():
        names[silent] = joined(issues["field"].to_numpy(dtype=object)[silent], AGENCY_SILENT)
    reason = joined("「", columns[column_codes], "」：", issues["problem"].astype(str).to_numpy(dtype=object))

    return pd.DataFrame({"row_id": rows, "rule": shared(list(codes), code_at), "rule_name": shared_of(names),
                         "severity": shared([c.severity for c in checks], code_at),
                         "reason": pd.Series(reason, dtype="str"), "evidence": pd.Series(evidence, dtype="str"),
                         "basis": shared([c.basis for c in checks], code_at)})
