"""The audit block of a run's report (`meta`), built in one place: tool and ruleset versions and
hashes, as-of date, inputs, what the run could not read, the joint-review state, counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vetting import __version__
from vetting.normalize.roster import Candidates
from vetting.result import VettingResult
from vetting.ruleset import condition as C
from vetting.ruleset.model import Ruleset
from vetting.vocab import VERDICTS, Severity

#: How a warning about a rule left without its roster column starts.
MISSING_COLUMN_WARNING = "花名册中没有「"


def build_meta(result: VettingResult, ruleset: Ruleset, candidates: Candidates, as_of: dt.date, engine: str,
               generated_at: str | None = None) -> dict[str, Any]:
    """The meta block of a finished evaluation (`generated_at` is given by the caller: nothing
    below the CLI reads the clock)."""
    counts = result.candidates["verdict"].value_counts()
    meta: dict[str, Any] = {
        "tool_version": __version__,
        "engine": engine,
        "ruleset": {"id": ruleset.id, "title": ruleset.title, "version": ruleset.version,
                    "sha256": ruleset.sha256, "files": [{"file": f, "sha256": s} for f, s in ruleset.sources]},
        "as_of": as_of.isoformat(),
        "inputs": [{k: v for k, v in i.items() if k != "path"} for i in candidates.inputs],
        "blank_rows_skipped": sum(i["blank_rows_skipped"] for i in candidates.inputs),
        "unmapped_columns": [f"{table}: {header}" for table, header in candidates.unmapped],
        "warnings": missing_column_warnings(result, ruleset, candidates),
        **candidates.joint,
    }
    if result.group_summary:
        meta["group_summary"] = result.group_summary
    meta.update({
        "candidate_count": int(len(result.candidates)),
        "finding_count": int(len(result.findings)),
        "verdict_counts": {v: int(counts.get(v, 0)) for v in VERDICTS},
    })
    if generated_at is not None:
        meta["generated_at"] = generated_at
    return meta


def missing_column_warnings(result: VettingResult, ruleset: Ruleset, candidates: Candidates) -> list[str]:
    """One line per rule that left people pending because the roster has no column it needs."""
    findings = result.findings
    pending = findings.loc[findings["severity"] == Severity.PENDING.value, "rule"].value_counts()
    warnings = []
    for rule in ruleset.rules:
        missing = [ruleset.fields[f].label for f in C.decisive_fields(rule.condition)
                   if f not in candidates.present and not ruleset.fields[f].derived]
        if missing and pending.get(rule.code, 0):
            warnings.append(f"{MISSING_COLUMN_WARNING}{'」「'.join(missing)}」列：规则 {rule.code}（{rule.name}）"
                            f"对 {pending[rule.code]} 名人选无法判定，结论为待反馈")
    return warnings
