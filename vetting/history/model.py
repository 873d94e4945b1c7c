"""What a recorded run looks like when read back: plain frozen dataclasses shared by the
store, the comparison and the text. ID numbers appear only masked and as keyed digests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunSummary:
    """One recorded run without its candidates: what `vet history` lists."""

    id: int
    started_at: str
    finished_at: str
    tool_version: str | None
    engine: str | None
    ruleset_id: str | None
    ruleset_title: str | None
    ruleset_version: str | None
    ruleset_sha256: str | None
    as_of: str | None
    inputs: list[dict[str, Any]]
    candidate_count: int
    finding_count: int
    verdict_counts: dict[str, int]
    options: dict[str, Any]
    meta: dict[str, Any]
    id_key_id: str | None = None    # fingerprint of the run's HMAC key; None: no digests kept


@dataclass(frozen=True)
class StoredFinding:
    """One finding as stored (texts with ID-like numbers masked)."""

    rule: str | None
    rule_name: str | None
    severity: str | None
    reason: str | None
    evidence: str | None
    basis: str | None


@dataclass(frozen=True)
class StoredDecision:
    """One recorded human decision (复核结论) a run was given, and what became of it (texts with
    ID-like numbers masked; the ID the decision names only masked and as its keyed digest)."""

    row_id: int | None          # None: it matched nobody on the roster
    file: str | None
    file_row: int | None
    rule: str | None
    code: str | None
    decision: str | None
    status: str | None          # applied / stale / unmatched
    why: str | None
    severity_before: str | None
    severity_after: str | None
    verdict_before: str | None
    verdict_after: str | None
    decided_by: str | None
    decided_on: str | None
    document: str | None
    note: str | None
    id_hmac: str | None
    id_masked: str | None
    name: str | None
    position: str | None

    @property
    def changed_verdict(self) -> bool:
        """Applied, and the person's verdict differs from what the findings alone gave."""
        return self.status == "applied" and self.verdict_before != self.verdict_after


@dataclass(frozen=True)
class StoredCandidate:
    """One candidate of a recorded run with its verdict and findings (worst first)."""

    row_id: int
    source_file: str | None
    source_row: int | None
    name: str | None
    role: str | None
    village: str | None
    township: str | None
    id_hmac: str | None
    id_masked: str | None
    verdict: str
    findings: tuple[StoredFinding, ...] = ()
    #: The rules the run could not check for the candidate, "、"-joined (None: none, or a run
    #: recorded before they were kept).
    unchecked: str | None = None
    decisions: tuple[StoredDecision, ...] = ()   # recorded decisions about them (vet run --decisions)


@dataclass(frozen=True)
class RunDetail:
    """A recorded run with every candidate, in input order."""

    run: RunSummary
    candidates: list[StoredCandidate]
    #: Recorded decisions that matched nobody on the roster (listed, never dropped).
    unmatched_decisions: tuple[StoredDecision, ...] = ()
