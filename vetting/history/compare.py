"""Comparing two recorded runs (pure): which candidates' verdicts changed and the findings
that explain it, who is in only one run, and how the two runs' candidates were matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from vetting.history.model import RunDetail, RunSummary, StoredCandidate, StoredFinding

#: How a candidate of one run was matched to a candidate of another (Chinese label).
MATCH_BY_ID = "身份证号"
MATCH_BY_POSITION = "文件+行号+姓名"


@dataclass(frozen=True)
class RuleChange:
    """A rule present in both runs for a candidate whose severity or reason differs."""

    rule: str
    old: tuple[StoredFinding, ...]
    new: tuple[StoredFinding, ...]


@dataclass(frozen=True)
class CandidateChange:
    """A candidate whose verdict differs between two runs, and the findings that explain it."""

    old: StoredCandidate
    new: StoredCandidate
    matched_by: str
    appeared: tuple[StoredFinding, ...]
    disappeared: tuple[StoredFinding, ...]
    changed: tuple[RuleChange, ...]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing run `old` with run `new`."""

    old: RunSummary
    new: RunSummary
    changes: list[CandidateChange]
    only_old: list[StoredCandidate]
    only_new: list[StoredCandidate]
    unchanged: int
    findings_changed_same_verdict: int
    matched_by: dict[str, int] = field(default_factory=dict)
    #: False when the runs' ID digests cannot be compared (different keys, or a run recorded
    #: before keyed digests): candidates were then matched by file + row + name only.
    ids_comparable: bool = True


def compare_runs(old: RunDetail, new: RunDetail) -> Comparison:
    """Candidates whose verdict changed from `old` to `new`, with the rules that appeared,
    disappeared or changed; candidates present in only one run; counts of the rest.

    Candidates are matched by ID digest where both have one (duplicates of one ID paired in
    input order), then - among those still unmatched where at least one side has no ID - by
    (source file, source row, name). A candidate with an ID is never paired with a different
    ID, since that would be a different person. Digests made with different keys (the key
    file was lost) or not kept (a run migrated from schema 1) cannot be compared: then only
    (file, row, name) matches, and two IDs whose masked forms differ are still never paired."""
    comparable = bool(old.run.id_key_id) and old.run.id_key_id == new.run.id_key_id
    pairs, only_old, only_new = match_candidates(old.candidates, new.candidates, comparable)
    changes: list[CandidateChange] = []
    unchanged = same_verdict_other_findings = 0
    matched_by: dict[str, int] = {}
    for a, b, how in pairs:
        matched_by[how] = matched_by.get(how, 0) + 1
        if a.verdict == b.verdict:
            unchanged += 1
            if _finding_keys(a) != _finding_keys(b):
                same_verdict_other_findings += 1
            continue
        appeared, disappeared, changed = diff_findings(a.findings, b.findings)
        changes.append(CandidateChange(a, b, how, appeared, disappeared, changed))
    return Comparison(old.run, new.run, changes, only_old, only_new, unchanged,
                      same_verdict_other_findings, matched_by, comparable)


def match_candidates(old: Sequence[StoredCandidate], new: Sequence[StoredCandidate],
                     ids_comparable: bool = True
                     ) -> tuple[list[tuple[StoredCandidate, StoredCandidate, str]],
                                list[StoredCandidate], list[StoredCandidate]]:
    """Pair candidates of two runs: (old, new, how matched) pairs in new-run order, then the
    unmatched of each run in input order. See `compare_runs` for the keys; without
    `ids_comparable` the digests are ignored."""
    def digest(c: StoredCandidate) -> str | None:
        return c.id_hmac if ids_comparable else None

    pairs: dict[int, tuple[StoredCandidate, StoredCandidate, str]] = {}
    used_old: set[int] = set()
    by_id: dict[str, list[int]] = {}
    for i, c in enumerate(old):
        if digest(c):
            by_id.setdefault(digest(c), []).append(i)
    for j, c in enumerate(new):
        waiting = by_id.get(digest(c)) if digest(c) else None
        if waiting:
            i = waiting.pop(0)
            pairs[j] = (old[i], c, MATCH_BY_ID)
            used_old.add(i)
    by_position: dict[tuple, list[int]] = {}
    for i, c in enumerate(old):
        if i not in used_old:
            by_position.setdefault(_position(c), []).append(i)
    for j, c in enumerate(new):
        if j in pairs:
            continue
        waiting = by_position.get(_position(c), [])
        for k, i in enumerate(waiting):
            if not (digest(old[i]) and digest(c)) and not _different_masks(old[i], c):
                pairs[j] = (old[i], c, MATCH_BY_POSITION)
                used_old.add(i)
                del waiting[k]
                break
    ordered = [pairs[j] for j in sorted(pairs)]
    only_old = [c for i, c in enumerate(old) if i not in used_old]
    only_new = [c for j, c in enumerate(new) if j not in pairs]
    return ordered, only_old, only_new


def diff_findings(old: Sequence[StoredFinding], new: Sequence[StoredFinding]
                  ) -> tuple[tuple[StoredFinding, ...], tuple[StoredFinding, ...], tuple[RuleChange, ...]]:
    """Per rule code: findings of rules only in `new` (appeared), only in `old`
    (disappeared), and rules in both whose severities or reasons differ (changed)."""
    old_by_rule = _by_rule(old)
    new_by_rule = _by_rule(new)
    appeared = tuple(f for rule, fs in new_by_rule.items() if rule not in old_by_rule for f in fs)
    disappeared = tuple(f for rule, fs in old_by_rule.items() if rule not in new_by_rule for f in fs)
    changed = tuple(
        RuleChange(rule, tuple(old_by_rule[rule]), tuple(fs))
        for rule, fs in new_by_rule.items()
        if rule in old_by_rule and _texts(old_by_rule[rule]) != _texts(fs)
    )
    return appeared, disappeared, changed


def _by_rule(findings: Iterable[StoredFinding]) -> dict[str, list[StoredFinding]]:
    grouped: dict[str, list[StoredFinding]] = {}
    for f in findings:
        grouped.setdefault(f.rule or "", []).append(f)
    return grouped


def _texts(findings: Iterable[StoredFinding]) -> list[tuple]:
    return sorted((f.severity or "", f.reason or "") for f in findings)


def _finding_keys(c: StoredCandidate) -> list[tuple]:
    return sorted((f.rule or "", f.severity or "", f.reason or "") for f in c.findings)


def _different_masks(a: StoredCandidate, b: StoredCandidate) -> bool:
    """Both have an ID and the masked forms differ: certainly two different numbers."""
    return bool(a.id_masked and b.id_masked and a.id_masked != b.id_masked)


def _position(c: StoredCandidate) -> tuple:
    return (c.source_file, c.source_row, c.name)
