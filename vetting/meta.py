"""The audit block of a run's report (`meta`), built in one place: tool and ruleset versions and
hashes, as-of date, inputs, what the run could not read, the joint-review state, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vetting import __version__
from vetting.engine.coverage import Coverage, coverage_sentence, not_covered
from vetting.normalize.roster import Candidates
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset
from vetting.vocab import VERDICTS, Severity


def build_meta(result: VettingResult, ruleset: Ruleset, candidates: Candidates, as_of: dt.date, engine: str,
               generated_at: str | None = None, coverage: Coverage | None = None) -> dict[str, Any]:
    """The meta block of a finished evaluation (`generated_at` is given by the caller: nothing
    below the CLI reads the clock); `coverage` states once what the run did not cover."""
    findings = result.findings
    tally = RunCounts(
        verdicts=result.candidates["verdict"].value_counts().to_dict(),
        candidates=int(len(result.candidates)), findings=int(len(findings)),
        unchecked=result.unchecked["rule"].value_counts().to_dict() if coverage is not None else {},
        pending=counted(findings.loc[findings["severity"] == Severity.PENDING.value, "rule"])
        if coverage is not None else {})
    return meta_from_counts(tally, result.group_summary, ruleset, candidates, as_of, engine, generated_at, coverage)


def counted(values: pd.Series) -> dict:
    """How many times each value occurs, for the values that occur: a findings column held as
    categories would also list its categories that no finding of these has, at 0."""
    counts = values.value_counts()
    return counts[counts > 0].to_dict()


@dataclass
class RunCounts:
    """What the meta block counts, gathered whole or chunk by chunk (vetting.chunked): candidates
    per verdict, candidates, findings, and per rule the candidates not checked and left pending."""

    verdicts: dict[str, int] = field(default_factory=dict)
    candidates: int = 0
    findings: int = 0
    unchecked: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)


def meta_from_counts(tally: RunCounts, group_summary: list, ruleset: Ruleset, candidates: Candidates,
                     as_of: dt.date, engine: str, generated_at: str | None = None,
                     coverage: Coverage | None = None) -> dict[str, Any]:
    """`build_meta` from the run's counts rather than its whole findings table."""
    counts = tally.verdicts
    meta: dict[str, Any] = {
        "tool_version": __version__,
        "engine": engine,
        "ruleset": {"id": ruleset.id, "title": ruleset.title, "version": ruleset.version,
                    "sha256": ruleset.sha256, "files": [{"file": f, "sha256": s} for f, s in ruleset.sources]},
        "as_of": as_of.isoformat(),
        "inputs": [{k: v for k, v in i.items() if k != "path"} for i in candidates.inputs],
        "blank_rows_skipped": sum(i["blank_rows_skipped"] for i in candidates.inputs),
        "unmapped_columns": [f"{table}: {header}" for table, header in candidates.unmapped],
        "warnings": [],
        **candidates.joint,
    }
    if group_summary:
        meta["group_summary"] = group_summary
    meta.update({
        "candidate_count": tally.candidates,
        "finding_count": tally.findings,
        "verdict_counts": {v: int(counts.get(v, 0)) for v in VERDICTS},
    })
    if coverage is not None:
        entries = not_covered(ruleset, coverage, tally.unchecked, tally.pending)
        meta["coverage"] = {"mode": coverage.mode, "not_covered": entries, "note": coverage_sentence(entries)}
    if generated_at is not None:
        meta["generated_at"] = generated_at
    return meta
