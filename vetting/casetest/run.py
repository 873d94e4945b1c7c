"""Running cases on each engine in batches, comparing with the expectations, coverage and the text of a run."""


from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pandas as pd

from vetting.casetest.cases import Case, Suite, _unique
from vetting.engine.verdicts import verdicts
from vetting.normalize.roles import roles_match
from vetting.normalize.roster import Candidates
from vetting.pipeline import ENGINES, record_candidates, run_engine
from vetting.result import VettingResult
from vetting.ruleset.model import Rule, Ruleset


@dataclass(frozen=True)
class Outcome:
    """What one engine said about one case, and what differs from the expectation."""

    case: Case
    verdict: str
    findings: tuple[tuple[str, str, str], ...]  # (rule, severity, reason)
    problems: tuple[str, ...]  # wrong severity, missing reason text (beyond verdict and codes)
    engine: str = "vector"

    @property
    def matches(self) -> bool:
        """The verdict and the set of rule codes are as expected."""
        return self.verdict == self.case.verdict and {r for r, _, _ in self.findings} == set(self.case.rules)

    @property
    def ok(self) -> bool:
        return self.matches and not self.problems

    @property
    def changed(self) -> bool:
        """Another pack's case that this pack answers differently: a change made by the pack, not a failure."""
        return self.case.foreign and not self.ok

    def message(self, engines: Sequence[str] = (), disabled: Sequence[str] = ()) -> str:
        """`file: case: 预期 X，实际 Y（规则，理由）（引擎：E）` for a failed case, `file: case: 原 X → 现 Y（…）`
        for a case the pack changed (rules it `disabled` named); `engines` names every engine that gave
        this same answer (default: this outcome's own)."""
        case = self.case
        expected = f"{case.verdict} [{', '.join(case.rules)}]"
        got = f"{self.verdict} [{', '.join(r for r, _, _ in self.findings)}]"
        detail = "；".join(f"{r} {s}：{why}" for r, s, why in self.findings) or "无任何发现"
        extra = "".join(f"；{p}" for p in self.problems)
        off = [code for code in case.rules if code in disabled]
        extra += f"；{'、'.join(off)} 在本规则集中已停用" if self.changed and off else ""
        head = f"原 {expected} → 现 {got}" if self.changed else f"预期 {expected}，实际 {got}"
        return f"{case.where()}: {case.name}: {head}（{detail}）{extra}（引擎：{'、'.join(engines or (self.engine,))}）"

    def status(self) -> str:
        """passed, failed, or changed (another pack's case this pack answers differently)."""
        return "passed" if self.ok else "changed" if self.changed else "failed"

    def answer(self) -> tuple:
        """What this engine said, for telling engines that agree from engines that do not."""
        return self.verdict, self.findings, self.problems


@dataclass(frozen=True)
class Run:
    """One batched engine call: the cases it held (suite indices, in row order) and each engine's result."""

    as_of: dt.date
    members: tuple[int, ...]
    results: Mapping[str, VettingResult]


@dataclass
class SuiteReport:
    """Outcomes of one suite on each engine, its rule coverage and the engine runs behind them."""

    ruleset: Ruleset
    outcomes: list[Outcome]  # one per case and engine, case by case in suite order
    never_fired: list[str]
    never_passed: list[str]
    engines: tuple[str, ...] = ("vector",)
    runs: list[Run] = field(default_factory=list)

    @property
    def cases(self) -> list[Case]:
        return _unique(o.case for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and not o.changed]

    @property
    def changes(self) -> list[Outcome]:
        """Outcomes of another pack's cases that this pack answers differently."""
        return [o for o in self.outcomes if o.changed]

    def failed_cases(self) -> list[Case]:
        return _unique(o.case for o in self.failures)

    def changed_cases(self) -> list[Case]:
        return _unique(o.case for o in self.changes)

    def failure_lines(self, outcomes: Sequence[Outcome] | None = None) -> list[str]:
        """One line per failed (or, given `self.changes`, changed) case and distinct answer, naming the
        engines that gave it."""
        grouped: dict[tuple, list[Outcome]] = defaultdict(list)
        for outcome in self.failures if outcomes is None else outcomes:
            grouped[(id(outcome.case), outcome.answer())].append(outcome)
        return [same[0].message([o.engine for o in same], self.ruleset.disabled) for same in grouped.values()]

    @property
    def coverage(self) -> float:
        """Share of rules (percent) that both fired and passed in some case."""
        total = len(self.ruleset.rules)
        uncovered = len(set(self.never_fired) | set(self.never_passed))
        return 100.0 if total == 0 else 100.0 * (total - uncovered) / total


# ---------------------------------------------------------------- running

def case_id(case: Case, ruleset: Ruleset) -> str:
    """`D01-national-severe_warning_last_day`: `pytest -k D01` selects one rule's cases."""
    return f"{'+'.join(case.subjects) or 'none'}-{ruleset.id}-{case.name}"


def _problems(case: Case, findings: list[tuple[str, str, str]]) -> list[str]:
    got = {rule: severity for rule, severity, _ in findings}
    problems = []
    for code, severity in case.rules.items():
        if severity and code in got and got[code] != severity:
            problems.append(f"{code} 预期严重程度 {severity}，实际 {got[code]}")
    for fragment in case.reason_contains:
        if not any(fragment in reason for _, _, reason in findings):
            problems.append(f"理由中没有「{fragment}」")
    return problems


def _applies(rule: Rule, roles: pd.Series) -> pd.Series:
    if not rule.roles:
        return pd.Series(True, index=roles.index)
    return roles_match(roles, rule.roles) | roles.isna()


def _one_person_at_a_time(ruleset: Ruleset) -> Ruleset:
    """The ruleset without its slate rules: each case is a person on their own, never a village's slate,
    so batching cases into one call must not make them duplicates or committee members of each other."""
    if getattr(ruleset, "group_rules", ()):
        return dataclasses.replace(ruleset, group_rules=())
    return ruleset


def _batches(suite: Suite) -> dict[tuple, list[int]]:
    """Cases run together: one batch per as-of date. A column only some cases of a batch give is a
    blank cell for the others, which the rules read as they read a missing column (unknown), except
    a required column (missing is a finding of its own) and the ID number (without the column, its
    validity is unknown rather than false): cases differing in those run apart."""
    structural = set(suite.ruleset.required_fields) | {"id_number"}
    batches: dict[tuple, list[int]] = defaultdict(list)
    for i, case in enumerate(suite.cases):
        batches[(case.as_of, tuple(sorted(structural & set(case.record))))].append(i)
    return batches


def _batch_candidates(ruleset: Ruleset, individual: Ruleset, cases: list[Case]) -> Candidates:
    """A batch's cases as one candidate set (read once, evaluated by every engine)."""
    columns = list(dict.fromkeys(k for c in cases for k in c.record))
    records = [{ruleset.fields[k].label: c.record.get(k, "") for k in columns} for c in cases]
    return record_candidates(records, individual)


def _run_batch(individual: Ruleset, candidates: Candidates, cases: list[Case], as_of: dt.date,
               engine: str) -> tuple[VettingResult, list[list[tuple[str, str, str]]], list[str]]:
    """One engine call for a batch: the result, each case's findings (ignored codes left out), verdicts.
    A case's blank is the cell left empty, whatever the other cases give: strict coverage."""
    result = run_engine(individual, candidates, as_of, engine, coverage="strict")
    found = result.findings
    ignored = pd.Series([r in cases[int(i)].ignore for i, r in zip(found["row_id"], found["rule"])],
                        index=found.index, dtype=bool)
    kept = found[~ignored]
    findings: list[list[tuple[str, str, str]]] = [[] for _ in cases]
    for row, rule, severity, reason in zip(kept["row_id"], kept["rule"], kept["severity"], kept["reason"]):
        findings[int(row)].append((rule, severity, reason))
    for row, rule, agency in result.waiting[["row_id", "rule", "agency"]].drop_duplicates(["row_id", "rule"]).itertuples(
            index=False):
        if rule not in cases[int(row)].ignore:  # named in the agency's J01 finding: still this rule's `pending`
            findings[int(row)].append((rule, "pending", f"{agency}尚未反馈联审意见，{rule}待其意见判定"))
    return result, findings, [str(v) for v in verdicts(len(cases), kept)]


def _coverage(ruleset: Ruleset, cases: list[Case], roles: pd.Series,
              findings: list[list[tuple[str, str, str]]]) -> tuple[set[str], set[str]]:
    """Rules that fired at their own severity in some case, and rules some case passed with every
    field the rule reads given (in the case itself) and a role the rule applies to."""
    fired: set[str] = set()
    passed: set[str] = set()
    for rule in ruleset.rules:
        applies = _applies(rule, roles).to_numpy(dtype=bool)
        for row, case in enumerate(cases):
            if rule.code in case.ignore:
                continue
            severities = {s for r, s, _ in findings[row] if r == rule.code}
            reads = all(ruleset.fields[f].derived or f in case.record for f in rule.fields)
            if rule.severity in severities:
                fired.add(rule.code)
            elif not severities and reads and applies[row]:
                passed.add(rule.code)
    return fired, passed


def run_suite(suite: Suite, engines: Sequence[str] = ENGINES) -> SuiteReport:
    """Run every case on each engine and work out rule coverage.

    Cases are batched (see `_batches`) into one call per engine, since a durable_rules call starts
    worker processes; each case still gets its own outcome per engine. A rule counts as fired
    (or passed) only when it did so on every engine."""
    ruleset = suite.ruleset
    individual = _one_person_at_a_time(ruleset)
    outcomes: dict[tuple[int, str], Outcome] = {}
    runs: list[Run] = []
    fired = {engine: set() for engine in engines}
    passed = {engine: set() for engine in engines}
    for (as_of, _), members in _batches(suite).items():
        cases = [suite.cases[i] for i in members]
        candidates = _batch_candidates(ruleset, individual, cases)
        results = {}
        for engine in engines:
            result, findings, verdict = _run_batch(individual, candidates, cases, as_of, engine)
            results[engine] = result
            did, didnt = _coverage(ruleset, cases, result.candidates["role"], findings)
            fired[engine] |= did
            passed[engine] |= didnt
            for row, (i, case) in enumerate(zip(members, cases)):
                outcomes[(i, engine)] = Outcome(case, verdict[row], tuple(findings[row]),
                                                tuple(_problems(case, findings[row])), engine)
        runs.append(Run(as_of, tuple(members), results))
    codes = [r.code for r in ruleset.rules]
    fired_everywhere = set.intersection(*fired.values()) if engines else set()
    passed_everywhere = set.intersection(*passed.values()) if engines else set()
    return SuiteReport(ruleset, [outcomes[(i, e)] for i in range(len(suite.cases)) for e in engines],
                       [c for c in codes if c not in fired_everywhere],
                       [c for c in codes if c not in passed_everywhere], tuple(engines), runs)


def report_text(reports: Sequence[SuiteReport], fail_under: float = 0.0, verbose: bool = False) -> tuple[str, bool]:
    """The `vet test` printout and whether the run failed (a failed case or coverage below the bar)."""
    lines: list[str] = []
    failed = False
    for report in reports:
        rs = report.ruleset
        cases, bad, changed = report.cases, report.failed_cases(), report.changed_cases()
        moved = f"，经本规则集改变 {len(changed)}" if changed else ""
        lines.append(f"规则集 {rs.id}（{rs.title}，{len(rs.rules)} 条规则）：案例 {len(cases)} 个，"
                     f"通过 {len(cases) - len(bad) - len(changed)}，失败 {len(bad)}{moved}"
                     f"（引擎：{'、'.join(report.engines)}）")
        if verbose:
            marks = {**{id(case): "~" for case in changed}, **{id(case): "✗" for case in bad}}
            lines += [f"  {marks.get(id(case), '✓')} {case_id(case, rs)}" for case in cases]
        lines += [f"  失败 {line}" for line in report.failure_lines()]
        lines += [f"  经本规则集改变 {line}" for line in report.failure_lines(report.changes)]
        lines.append(f"  规则覆盖率 {report.coverage:.1f}%"
                     f"（{len(rs.rules) - len(set(report.never_fired) | set(report.never_passed))}/{len(rs.rules)}"
                     " 条规则既有命中案例又有未命中案例）")
        if report.never_fired:
            lines.append(f"  从未命中的规则：{'、'.join(report.never_fired)}")
        if report.never_passed:
            lines.append(f"  从未通过的规则（没有字段齐全且未命中的案例）：{'、'.join(report.never_passed)}")
        if report.coverage + 1e-9 < fail_under:
            lines.append(f"  覆盖率低于 --fail-under {fail_under:g}%")
            failed = True
        failed = failed or bool(bad)
    total = sum(len(r.cases) for r in reports)
    failures = sum(len(r.failed_cases()) for r in reports)
    lines.append(f"合计：{len(reports)} 个规则集，案例 {total} 个，失败 {failures} 个" + ("" if failed else "，全部通过"))
    return "\n".join(lines), failed
