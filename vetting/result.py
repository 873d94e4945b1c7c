"""The outcome of a vetting run: candidates, findings (fixed columns) and the meta block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vetting.vocab import SEVERITIES, SEVERITY_LABELS, SEVERITY_VERDICT, VERDICT_LABELS, VERDICTS

#: The vocabulary of severities and verdicts lives in vetting.vocab; re-exported for callers of results.
__all__ = ["CANDIDATE_COLUMNS", "DECISION_COLUMNS", "FINDING_COLUMNS", "GROUP_COLUMNS", "PROFILE_COLUMNS",
           "RATING_COLUMNS", "SEVERITIES", "SEVERITY_LABELS", "SEVERITY_VERDICT", "VERDICTS", "VERDICT_LABELS",
           "VettingResult"]

#: One row per finding. `row_id` joins to CANDIDATE_COLUMNS.row_id.
FINDING_COLUMNS = ["row_id", "rule", "rule_name", "severity", "reason", "evidence", "basis"]
#: One row per village-level finding (slate structure, reserve quotas): they belong to the village, not a person.
GROUP_COLUMNS = ["township", "village", "rule", "rule_name", "severity", "reason", "evidence", "basis"]
#: One row per input candidate row, in input order; `source_row` is the row the user sees.
CANDIDATE_COLUMNS = ["row_id", "source_file", "source_row", "name", "role", "village",
                     "township", "id_number", "verdict"]
#: One row per candidate for the reports' charts: age on the as-of date (NaN unknown) and the
#: labels of education, sex and political status (NA unknown). No ID number.
PROFILE_COLUMNS = ["row_id", "age", "education", "sex", "political_status"]
#: One row per reserve rating a roster gives: the half-year (2026H1), the rating, the field it came from.
RATING_COLUMNS = ["row_id", "period", "rating", "source"]
#: One row per recorded human decision (复核结论) a run was given, and what became of it
#: (vetting.decisions): applied to a finding, stale, or unmatched (row_id NA then).
DECISION_COLUMNS = ["row_id", "file", "file_row", "rule", "code", "decision", "status", "why",
                    "severity_before", "severity_after", "verdict_before", "verdict_after",
                    "decided_by", "decided_on", "document", "note", "id_number", "name", "position"]


@dataclass
class VettingResult:
    """Everything a report needs; produced by the engine, consumed by report writers."""

    candidates: pd.DataFrame
    findings: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    villages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GROUP_COLUMNS))
    #: Per count rule: how many villages meet it (meta.group_summary).
    group_summary: list[dict[str, Any]] = field(default_factory=list)
    #: (row_id, rule) for each candidate a rule could not be checked for, as the run did not carry
    #: its facts (meta.coverage states those rules once).
    unchecked: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_id", "rule"]))
    #: (row_id, rule, agency) for each rule that waits only on an agency yet to answer: named in
    #: that agency's J01 finding, not a `pending` finding of its own (vetting.engine.owed).
    waiting: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_id", "rule", "agency"]))
    #: Who the candidates are (PROFILE_COLUMNS), for the distributions a report charts.
    profile: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROFILE_COLUMNS))
    #: The targets the pack declares for those distributions (vetting.engine.profile.TARGETS).
    targets: list[dict[str, Any]] = field(default_factory=list)
    #: Reserve ratings read from the roster, one row per (row_id, half-year), recorded in the run
    #: history so that later runs can follow a reserve pool (vetting.pools).
    ratings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RATING_COLUMNS))
    #: The decisions given with --decisions and their outcome (DECISION_COLUMNS); empty without.
    decisions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DECISION_COLUMNS))
