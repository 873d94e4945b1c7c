"""Applying recorded human decisions (复核结论) to a finished run: pure, after the engine, for
every engine alike. Nothing here reads a file or the clock.

Each decision is matched to a person (ID number, else file + row + name) and to that person's
finding of its rule whose 复核依据码 it carries:

* applied: the finding stays in the report, marked 已复核 (who, when, document, why), and counts
  towards the verdict as the decision says (vetting.decisions.model.decided_severity);
* stale: the person has a finding of that rule but with another code (the facts changed since
  the decision): listed, not applied;
* unmatched: nobody on the roster, or no finding of that rule for them: listed, not applied.

A decision may not clear what no human review can settle: a `disqualify` finding of a rule the
pack does not mark `reviewable: true`, or a `pending` one (an agency still owes its answer; a
decision cannot stand in for it). Such a decision is an error naming its row (exit 2): the
decisions file is the signed record of what a committee decided, and a report must not go out
while that record says something the law does not allow.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd

from vetting.datachecks import DATA_CHECKS
from vetting.decisions.model import APPLIED, CLEARING, STALE, UNMATCHED, Decision, decided_severity
from vetting.decisions.read import DecisionFileError
from vetting.engine.verdicts import verdicts
from vetting.result import DECISION_COLUMNS, VettingResult
from vetting.reviewcode import finding_code
from vetting.ruleset.model import Ruleset
from vetting.vocab import SEVERITY_LABELS, VERDICTS, Severity

#: Finding columns a decided run adds (NA where no decision applies): the Chinese 已复核 mark and
#: its parts, for the report formats that show them as fields.
REVIEW_COLUMNS = ["review", "review_decision", "review_by", "review_on", "review_document", "review_note",
                  "severity_before"]


def apply_decisions(result: VettingResult, decisions: Sequence[Decision], ruleset: Ruleset,
                    audit: dict) -> VettingResult:
    """The run with `decisions` applied (a new result; `result` is unchanged): findings marked,
    verdicts recomputed, meta.verdict_counts updated and meta.decisions saying what was applied,
    what is stale and what matched nobody. Raises DecisionFileError naming every decision that
    tries to clear a finding no decision may clear."""
    candidates = result.candidates
    people = _People(candidates, decisions)
    by_rule = _findings_by_person_rule(result.findings, people.wanted(), candidates)
    outcomes: list[dict] = []
    refused: list[str] = []
    decided_by: dict[int, Decision] = {}
    severity = result.findings["severity"]
    for d in decisions:
        rows, missing = people.rows(d)
        if not rows:
            outcomes.append(_outcome(d, None, UNMATCHED, missing))
            continue
        for row in rows:
            found = by_rule.get((row, d.rule), [])
            hit = [i for i, code in found if code == d.code]
            if not found:
                outcomes.append(_outcome(d, row, UNMATCHED, f"该人选本次没有「{d.rule}」问题"))
            elif not hit:
                now = "、".join(code for _, code in found)
                outcomes.append(_outcome(d, row, STALE, f"该人选「{d.rule}」问题的事实已有变化（复核依据码现为{now}），"
                                                        "复核结论未适用，请重新复核"))
            elif hit[0] in decided_by:
                refused.append(f"{d.where}：与{decided_by[hit[0]].where}是对同一问题的复核结论，请只保留一行")
            elif problem := _refusal(d, severity.at[hit[0]], ruleset):
                refused.append(problem)
            else:
                decided_by[hit[0]] = d
                before = severity.at[hit[0]]
                outcomes.append(_outcome(d, row, APPLIED, "", before, decided_severity(d.decision, before)))
    if refused:
        raise DecisionFileError(decisions[0].file, list(dict.fromkeys(refused)))
    findings = _marked(result.findings, decided_by)
    before = candidates["verdict"]
    after = verdicts(len(candidates), findings)
    table = _outcome_table(outcomes, before.to_numpy(dtype=object), after)
    meta = dict(result.meta)
    counts = pd.Series(after).value_counts()
    meta["verdict_counts"] = {v: int(counts.get(v, 0)) for v in VERDICTS}
    meta["decisions"] = _meta_block(table, audit)
    return replace(result, candidates=candidates.assign(verdict=after), findings=findings, meta=meta,
                   decisions=table)


class _People:
    """Who on the roster a decision names: by ID number (every row with that number: a person
    listed twice is decided for twice), else by file + row, checked against the name. Only the
    candidates some decision names are indexed (one vectorised pass over the roster)."""

    def __init__(self, candidates: pd.DataFrame, decisions: Sequence[Decision]) -> None:
        ids = {d.id_number for d in decisions if d.id_number}
        positions = {(_file_key(d.source_file), d.source_row) for d in decisions if not d.id_number}
        row_ids = candidates["row_id"].to_numpy()
        self._ids: dict[str, list[int]] = {}
        if ids:     # the roster's ID numbers compared as the decisions file's are (read.id_text)
            normalised = (candidates["id_number"].astype("string").fillna("").str.normalize("NFKC")
                          .str.replace(r"[\s\-]", "", regex=True).str.upper())
            for at in np.flatnonzero(normalised.isin(ids).to_numpy(dtype=bool)):
                self._ids.setdefault(normalised.iat[at], []).append(int(row_ids[at]))
        lines = pd.to_numeric(candidates["source_row"], errors="coerce")
        near = np.flatnonzero(lines.isin({line for _, line in positions}).to_numpy(dtype=bool))
        self._positions: dict[tuple, list[int]] = {}
        self._names: dict[int, str] = {}
        for at in near:
            key = (_file_key(candidates["source_file"].iat[at]), int(lines.iat[at]))
            if key in positions:
                self._positions.setdefault(key, []).append(int(row_ids[at]))
                name = candidates["name"].iat[at]
                self._names[int(row_ids[at])] = "" if pd.isna(name) else str(name)
        self._decisions = decisions

    def wanted(self) -> set[int]:
        """Every row_id some decision names."""
        return {row for d in self._decisions for row in self.rows(d)[0]}

    def rows(self, d: Decision) -> tuple[list[int], str]:
        """The row_ids `d` names, or [] and why nobody."""
        if d.id_number:
            rows = self._ids.get(d.id_number, [])
            return rows, "" if rows else f"花名册中没有公民身份号码为{d.id_number}的人选"
        rows = self._positions.get((_file_key(d.source_file), d.source_row), [])
        if not rows:
            return [], f"花名册中没有 {d.source_file} 第{d.source_row}行"
        same = [row for row in rows if self._names[row] == d.name]
        if not same:
            return [], f"{d.source_file} 第{d.source_row}行的人选是「{self._names[rows[0]]}」，不是「{d.name}」"
        return same, ""


def _findings_by_person_rule(findings: pd.DataFrame, rows: set[int], candidates: pd.DataFrame
                             ) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(row_id, rule) -> [(finding index, 复核依据码)] for the people some decision names."""
    wanted = findings[findings["row_id"].isin(rows)]
    by_row = candidates.set_index("row_id")
    out: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for index, row, rule, reason, evidence in zip(wanted.index, wanted["row_id"], wanted["rule"], wanted["reason"],
                                                  wanted["evidence"]):
        where = f"{by_row.at[row, 'source_file']} 第{by_row.at[row, 'source_row']}行"
        out.setdefault((int(row), str(rule).upper()), []).append((index, finding_code(rule, reason, evidence, where)))
    return out


def _refusal(d: Decision, severity: str, ruleset: Ruleset) -> str:
    """Why `d` may not be applied to a finding of `severity` ('' when it may)."""
    if d.decision not in CLEARING:
        return ""
    if severity == Severity.PENDING.value:
        return (f"{d.where}：「{d.rule}」为待反馈（尚有部门或信息未答复），不能以「{d.decision}」代替答复；"
                "请待相关部门出具意见后重新审查")
    if severity == Severity.DISQUALIFY.value and not _reviewable(d.rule, ruleset):
        return (f"{d.where}：「{d.rule}」为取消资格，规则集「{ruleset.id}」未将该规则列为可复核（reviewable），"
                f"复核结论不能「{d.decision}」；如确属错判，请更正花名册或联审意见后重新审查")
    return ""


def _reviewable(code: str, ruleset: Ruleset) -> bool:
    rule = next((r for r in ruleset.rules if r.code.upper() == code), None)
    return bool(rule and rule.reviewable) or code in DATA_CHECKS


def _marked(findings: pd.DataFrame, decided: dict[int, Decision]) -> pd.DataFrame:
    """The findings with REVIEW_COLUMNS added: for each decided finding (index -> decision) the
    severity it now counts with, the one it had, and the 已复核 mark and its parts; NA elsewhere."""
    out = findings.copy()
    for column in REVIEW_COLUMNS:
        out[column] = pd.Series(pd.NA, index=out.index, dtype=object)
    if not decided:
        return out
    at = list(decided)
    out["severity"] = out["severity"].astype(object)     # a decided severity may be one no finding had
    before = out.loc[at, "severity"].tolist()
    values = {
        "severity": [decided_severity(d.decision, b) for d, b in zip(decided.values(), before)],
        "severity_before": before,
        "review": [d.review_text(b, SEVERITY_LABELS) for d, b in zip(decided.values(), before)],
        "review_decision": [d.decision for d in decided.values()],
        "review_by": [d.decided_by for d in decided.values()],
        "review_on": [d.decided_on for d in decided.values()],
        "review_document": [d.document or pd.NA for d in decided.values()],
        "review_note": [d.note or pd.NA for d in decided.values()],
    }
    for column, column_values in values.items():
        out.loc[at, column] = pd.Series(column_values, index=at, dtype=object)
    return out


def _outcome(d: Decision, row: int | None, status: str, why: str, before: str | None = None,
             after: str | None = None) -> dict:
    return {"row_id": row, "file": d.file, "file_row": d.row, "rule": d.rule, "code": d.code,
            "decision": d.decision, "status": status, "why": why, "severity_before": before,
            "severity_after": after, "decided_by": d.decided_by, "decided_on": d.decided_on,
            "document": d.document, "note": d.note, "id_number": d.id_number or None,
            "name": d.name or None, "position": None if d.id_number else f"{d.source_file} 第{d.source_row}行"}


def _outcome_table(outcomes: list[dict], before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """The outcomes as DECISION_COLUMNS, with each named person's verdict before and after."""
    table = pd.DataFrame(outcomes, columns=DECISION_COLUMNS).astype(object)
    rows = table["row_id"]
    known = rows.notna().to_numpy()
    at = rows[known].to_numpy(dtype=np.int64)
    table["verdict_before"] = pd.Series(pd.NA, index=table.index, dtype=object)
    table["verdict_after"] = pd.Series(pd.NA, index=table.index, dtype=object)
    table.loc[known, "verdict_before"] = before[at]
    table.loc[known, "verdict_after"] = after[at]
    return table


def _meta_block(table: pd.DataFrame, audit: dict) -> dict:
    """meta.decisions: the file, counts, and every decision not applied with why (never dropped)."""
    def entries(status: str) -> list[dict]:
        part = table[table["status"] == status]
        return [{"row": int(r.file_row), "rule": r.rule, "decision": r.decision, "name": _plain(r.name),
                 "id_number": _plain(r.id_number), "position": _plain(r.position), "why": r.why}
                for r in part.itertuples()]

    applied = table[table["status"] == APPLIED]
    changed = applied[applied["verdict_before"] != applied["verdict_after"]]
    return {**audit, "applied": int(len(applied)), "verdicts_changed": int(changed["row_id"].nunique()),
            "stale": entries(STALE), "unmatched": entries(UNMATCHED)}


def _plain(value: object) -> object:
    """A table value as JSON holds it: None for a missing one (never NaN)."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _file_key(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().lower()
