"""The diff itself (pure): two sides' candidates paired the way `vet history compare` pairs them,
the candidates whose verdict or findings change, and counts per rule and per village."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from vetting.history.compare import CandidateChange, RuleChange, diff_findings, match_candidates
from vetting.history.model import StoredCandidate, StoredFinding
from vetting.vocab import VERDICT_RANK

#: What stands for a side's as-of date in a reason while reasons are compared: a finding whose
#: reason differs only by "截至2026-12-15" vs "截至2027-06-01" has not changed.
AS_OF_MARK = "〈基准日〉"


@dataclass(frozen=True)
class Side:
    """One side of a diff: what it ran (ruleset, as-of date, or a recorded run) and its candidates
    (masked IDs; `key_id` names the key of their ID digests, None when they have none)."""

    label: str
    ruleset: str
    as_of: str
    candidates: tuple[StoredCandidate, ...]
    key_id: str | None = None
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change(CandidateChange):
    """A candidate whose verdict or findings differ between the sides (the history comparison's
    change, also when only the findings differ), and which way it went."""

    @property
    def verdict_changed(self) -> bool:
        return self.old.verdict != self.new.verdict

    @property
    def direction(self) -> str:
        """"worse", "better" or "same" (verdict order: disqualified worst, pass best)."""
        old, new = VERDICT_RANK.get(self.old.verdict, 99), VERDICT_RANK.get(self.new.verdict, 99)
        return "worse" if new < old else "better" if new > old else "same"

    def rules(self) -> list[str]:
        """The rule codes whose findings differ, in order of first appearance."""
        codes = [f.rule or "" for f in (*self.appeared, *self.disappeared)] + [c.rule for c in self.changed]
        return list(dict.fromkeys(codes))


@dataclass(frozen=True)
class RuleCount:
    """Per rule: how many candidates gained its finding, lost it, or had it changed."""

    rule: str
    name: str
    appeared: int = 0
    disappeared: int = 0
    changed: int = 0


@dataclass(frozen=True)
class VillageCount:
    """Per village: candidates whose verdict changed, whose findings alone changed, and the moves."""

    township: str
    village: str
    verdict_changed: int
    findings_changed: int
    moves: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class Diff:
    """The outcome of comparing side `old` with side `new`."""

    old: Side
    new: Side
    changes: list[Change]
    only_old: list[StoredCandidate]
    only_new: list[StoredCandidate]
    unchanged: int
    reasons: Mapping[str, list[str]] = field(default_factory=dict)  # rule code -> why it differs
    notes: list[str] = field(default_factory=list)                 # what differs between the setups
    matched_by: Mapping[str, int] = field(default_factory=dict)

    @property
    def verdict_changes(self) -> list[Change]:
        return [c for c in self.changes if c.verdict_changed]

    @property
    def finding_changes(self) -> list[Change]:
        return [c for c in self.changes if not c.verdict_changed]

    def by_rule(self) -> list[RuleCount]:
        """Counts per rule code, in order of the rules' first appearance among the changes."""
        counts: dict[str, Counter] = {}
        names: dict[str, str] = {}
        for change in self.changes:
            for kind, findings in (("appeared", change.appeared), ("disappeared", change.disappeared)):
                for code in dict.fromkeys(f.rule or "" for f in findings):
                    counts.setdefault(code, Counter())[kind] += 1
                for f in findings:
                    names.setdefault(f.rule or "", f.rule_name or "")
            for rule_change in change.changed:
                counts.setdefault(rule_change.rule, Counter())["changed"] += 1
                for f in (*rule_change.new, *rule_change.old):
                    names.setdefault(rule_change.rule, f.rule_name or "")
        return [RuleCount(code, names.get(code, ""), c["appeared"], c["disappeared"], c["changed"])
                for code, c in counts.items()]

    def by_village(self) -> list[VillageCount]:
        """Counts per (township, village) of the new side, in order of first appearance."""
        found: dict[tuple[str, str], list[Change]] = {}
        for change in self.changes:
            key = (change.new.township or "", change.new.village or "")
            found.setdefault(key, []).append(change)
        return [VillageCount(town, village, sum(c.verdict_changed for c in group),
                             sum(not c.verdict_changed for c in group),
                             dict(Counter((c.old.verdict, c.new.verdict) for c in group if c.verdict_changed)))
                for (town, village), group in found.items()]


def diff_sides(old: Side, new: Side, reasons: Mapping[str, list[str]] | None = None,
               notes: Sequence[str] = ()) -> Diff:
    """Pair the sides' candidates (by ID digest when both sides' digests share a key, else by
    file + row + name; see `vetting.history.compare.match_candidates`) and keep each candidate
    whose verdict or findings (rule, severity, reason, the as-of date aside) differ: those whose
    verdict changed first, then those whose findings alone changed, each in input order."""
    comparable = bool(old.key_id) and old.key_id == new.key_id
    pairs, only_old, only_new = match_candidates(old.candidates, new.candidates, comparable)
    changes: list[Change] = []
    unchanged = 0
    matched_by: Counter = Counter()
    for a, b, how in pairs:
        matched_by[how] += 1
        a_findings = _comparable(a.findings, old.as_of)
        b_findings = _comparable(b.findings, new.as_of)
        appeared, disappeared, changed = diff_findings(a_findings, b_findings)
        if a.verdict == b.verdict and not (appeared or disappeared or changed):
            unchanged += 1
            continue
        changes.append(Change(a, b, how, _originals(appeared, b.findings, b_findings),
                              _originals(disappeared, a.findings, a_findings),
                              tuple(RuleChange(c.rule, _originals(c.old, a.findings, a_findings),
                                               _originals(c.new, b.findings, b_findings)) for c in changed)))
    changes.sort(key=lambda c: not c.verdict_changed)  # verdicts changed first, each group in input order
    return Diff(old, new, changes, only_old, only_new, unchanged, dict(reasons or {}), list(notes),
                dict(matched_by))


def _comparable(findings: Sequence[StoredFinding], as_of: str) -> tuple[StoredFinding, ...]:
    """Findings with the side's as-of date in reasons replaced by AS_OF_MARK (for comparing only)."""
    if not as_of:
        return tuple(findings)
    return tuple(StoredFinding(f.rule, f.rule_name, f.severity, (f.reason or "").replace(as_of, AS_OF_MARK),
                               f.evidence, f.basis) for f in findings)


def _originals(picked: Sequence[StoredFinding], originals: Sequence[StoredFinding],
               compared: Sequence[StoredFinding]) -> tuple[StoredFinding, ...]:
    """The original findings (as-of date in place) of the compared ones `picked`."""
    ids = {id(f) for f in picked}
    return tuple(o for o, c in zip(originals, compared) if id(c) in ids)
