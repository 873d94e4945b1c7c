"""`vet test --format json|junit` (pure): each case's status on each engine - passed, failed, or
changed (another pack's case that this pack answers differently, with the old and new outcome) -
and each pack's rule coverage, for CI."""

from __future__ import annotations

from typing import Any, Sequence
from xml.sax.saxutils import escape, quoteattr

from vetting.casetest.run import Outcome, SuiteReport, case_id


def _outcome(o: Outcome, disabled: Sequence[str]) -> dict[str, Any]:
    return {"engine": o.engine, "status": o.status(), "verdict": o.verdict,
            "findings": [{"rule": r, "severity": s, "reason": why} for r, s, why in o.findings],
            "problems": list(o.problems), "message": o.message((), disabled) if not o.ok else ""}


def report_object(reports: Sequence[SuiteReport], fail_under: float = 0.0) -> dict[str, Any]:
    """The JSON form of a `vet test` run."""
    packs = []
    for report in reports:
        rs = report.ruleset
        by_case: dict[int, list[Outcome]] = {}
        for o in report.outcomes:
            by_case.setdefault(id(o.case), []).append(o)
        cases = []
        for case in report.cases:
            outcomes = by_case[id(case)]
            status = "failed" if any(o.status() == "failed" for o in outcomes) else \
                "changed" if any(o.changed for o in outcomes) else "passed"
            cases.append({"id": case_id(case, rs), "name": case.name, "file": case.where(), "line": case.line,
                          "rules": list(case.subjects), "status": status,
                          "expected": {"verdict": case.verdict, "rules": list(case.rules)},
                          "engines": [_outcome(o, rs.disabled) for o in outcomes]})
        packs.append({"pack": rs.id, "title": rs.title, "engines": list(report.engines), "cases": cases,
                      "failed": len(report.failed_cases()), "changed": len(report.changed_cases()),
                      "coverage": round(report.coverage, 1), "never_fired": report.never_fired,
                      "never_passed": report.never_passed, "below_fail_under": report.coverage + 1e-9 < fail_under})
    return {"packs": packs, "cases": sum(len(p["cases"]) for p in packs),
            "failed": sum(p["failed"] for p in packs), "changed": sum(p["changed"] for p in packs)}


def junit_xml(reports: Sequence[SuiteReport], fail_under: float = 0.0) -> str:
    """JUnit XML: a testsuite per pack, a testcase per case (its engines' failures as one <failure>;
    a case the pack changed passes, with the old and new outcome in <system-out>); coverage below
    --fail-under is a failing testcase of its own."""
    data = report_object(reports, fail_under)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites name="vet test" tests="{data["cases"]}" failures="{data["failed"]}">']
    for pack in data["packs"]:
        below = pack["below_fail_under"]
        lines.append(f'  <testsuite name={quoteattr(pack["pack"])} tests="{len(pack["cases"]) + below}" '
                     f'failures="{pack["failed"] + below}" skipped="0">')
        for case in pack["cases"]:
            head = f'    <testcase classname={quoteattr(pack["pack"] + "." + case["file"])} name={quoteattr(case["id"])}'
            messages = [e["message"] for e in case["engines"] if e["message"]]
            if case["status"] == "passed":
                lines.append(head + "/>")
                continue
            lines.append(head + ">")
            body = escape("\n".join(dict.fromkeys(messages)))
            if case["status"] == "failed":
                lines.append(f'      <failure message={quoteattr(messages[0] if messages else "")}>{body}</failure>')
            else:
                lines.append(f"      <system-out>经本规则集改变：{body}</system-out>")
            lines.append("    </testcase>")
        if below:
            why = quoteattr(f"规则覆盖率 {pack['coverage']}% 低于 --fail-under {fail_under:g}%")
            lines.append(f'    <testcase classname={quoteattr(pack["pack"])} name="coverage"><failure message={why}/>'
                         "</testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines)
