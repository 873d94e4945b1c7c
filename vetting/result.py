"""The outcome of a vetting run: candidates, findings (fixed columns) and the meta block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Severity of a finding, worst first, and the verdict each one leads to.
SEVERITY_VERDICT = {
    "disqualify": "disqualified",
    "unsuitable": "unsuitable",
    "review": "review",
    "pending": "pending",
}
#: Verdicts from worst to best; `notice` findings never change a verdict.
VERDICTS = ("disqualified", "unsuitable", "review", "pending", "pass")
SEVERITIES = ("disqualify", "unsuitable", "review", "pending", "notice")

VERDICT_LABELS = {
    "disqualified": "取消资格",
    "unsuitable": "不宜",
    "review": "需复核",
    "pending": "待反馈",
    "pass": "通过",
}
SEVERITY_LABELS = {
    "disqualify": "取消资格",
    "unsuitable": "不宜",
    "review": "需复核",
    "pending": "待反馈",
    "notice": "提示",
}

#: One row per finding. `row_id` joins to CANDIDATE_COLUMNS.row_id.
FINDING_COLUMNS = ["row_id", "rule", "rule_name", "severity", "reason", "evidence", "basis"]
#: One row per village-level finding (slate structure, reserve quotas): they belong to the village, not a person.
GROUP_COLUMNS = ["township", "village", "rule", "rule_name", "severity", "reason", "evidence", "basis"]
#: One row per input candidate row, in input order; `source_row` is the row the user sees.
CANDIDATE_COLUMNS = ["row_id", "source_file", "source_row", "name", "role", "village",
                     "township", "id_number", "verdict"]


@dataclass
class VettingResult:
    """Everything a report needs; produced by the engine, consumed by report writers."""

    candidates: pd.DataFrame
    findings: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    villages: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GROUP_COLUMNS))
    #: Per count rule: how many villages meet it (meta.group_summary).
    group_summary: list[dict[str, Any]] = field(default_factory=list)
