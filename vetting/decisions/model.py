"""What a recorded human decision (复核结论) is, and what each decision does to a finding.

The vocabulary is closed: a decisions file may only use these words, so that a typo never
silently changes (or fails to change) a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from vetting.vocab import SEVERITY_RANK, Severity

#: The finding stands as flagged; the review is recorded, the verdict does not change.
UPHOLD = "维持"
#: The finding does not hold (not this person, the facts are otherwise, a record sealed by law):
#: it stays visible, marked reviewed, and no longer counts towards the verdict.
WITHDRAW = "撤销"
#: The facts hold but the committee agrees to nominate the person: the finding no longer counts.
AGREE = "同意提名"
#: The committee does not agree to nominate: the finding counts at least as 不宜 (unsuitable).
DISAGREE = "不同意提名"

DECISIONS: tuple[str, ...] = (UPHOLD, WITHDRAW, AGREE, DISAGREE)
#: Decisions that take a finding out of the verdict.
CLEARING = frozenset({WITHDRAW, AGREE})
#: What each decision does, in words (template notes, README).
EFFECTS = {
    UPHOLD: "问题属实，维持原标记：严重程度和结论不变，只记录已复核",
    WITHDRAW: "问题不成立（非本人、事实有误、依法封存的记录等）：该问题仍列出并标明已复核，不再计入结论",
    AGREE: "问题属实，但决定机关同意提名：该问题仍列出并标明已复核，不再计入结论",
    DISAGREE: "决定机关不同意提名：该问题至少按“不宜”计入结论（原为取消资格的仍为取消资格）",
}

#: Status of a decision after a run: applied to a finding, stale (the finding changed since the
#: decision), or unmatched (nobody on the roster, or no such finding for that person).
APPLIED, STALE, UNMATCHED = "applied", "stale", "unmatched"   # labels: vocab.DECISION_STATUS_LABELS


def decided_severity(decision: str, severity: str) -> str:
    """The severity a finding counts with after `decision` (clearing ones: notice)."""
    if decision in CLEARING:
        return Severity.NOTICE.value
    if decision == DISAGREE and SEVERITY_RANK.get(severity, 99) > SEVERITY_RANK[Severity.UNSUITABLE.value]:
        return Severity.UNSUITABLE.value
    return severity


@dataclass(frozen=True)
class Decision:
    """One row of a decisions file, read and checked (`vetting.decisions.read`).

    The person is named by `id_number` (normalised), else by `source_file` + `source_row` +
    `name`; `code` is the 复核依据码 of the finding the decision was made on."""

    file: str           # the decisions file's name, for messages
    row: int            # its row number as the user sees it
    rule: str
    code: str
    decision: str
    decided_by: str
    decided_on: str     # ISO date
    document: str = ""
    note: str = ""
    id_number: str = ""
    source_file: str = ""
    source_row: int | None = None
    name: str = ""

    @property
    def where(self) -> str:
        """"复核结论.xlsx 第N行", for messages."""
        return f"{self.file} 第{self.row}行"

    def review_text(self, severity_before: str, labels: dict[str, str]) -> str:
        """The 已复核 mark a report shows beside the finding."""
        parts = [f"已复核：{self.decision}（原为{labels.get(severity_before, severity_before)}）",
                 f"{self.decided_by}，{self.decided_on}" + (f"，{self.document}" if self.document else "")]
        if self.note:
            parts.append(f"说明：{self.note}")
        return "；".join(parts)
