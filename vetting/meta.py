"""The audit block of a run's report (`meta`), built in one place: tool and ruleset versions and
hashes, as-of date, inputs, what the run could not read, the joint-review state, counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
        "warnings": [],
        **candidates.joint,
    }
    if result.group_summary:
        meta["group_summary"] = result.group_summary
    meta.update({
        "candidate_count": int(len(result.candidates)),
        "finding_count": int(len(result.findings)),
        "verdict_counts": {v: int(counts.get(v, 0)) for v in VERDICTS},
    })
    if coverage is not None:
        unchecked = result.unchecked["rule"].value_counts().to_dict()
        findings = result.findings
        pending = findings.loc[findings["severity"] == Severity.PENDING.value, "rule"].value_counts().to_dict()
        entries = not_covered(ruleset, coverage, unchecked, pending)
        meta["coverage"] = {"mode": coverage.mode, "not_covered": entries, "note": coverage_sentence(entries)}
    if generated_at is not None:
        meta["generated_at"] = generated_at
    return meta
