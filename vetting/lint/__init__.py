"""`vet rules lint`: a pack's defects found in one pass, each with file:line, before anyone is vetted
with it. The pack must load (every load error is reported by `vet rules validate`'s collecting
loader); then `checks` (pure checks of the loaded pack), `never` (when a condition can never be
true), `overrides` (`extends` overrides that change nothing) and the pack's regression cases
(`vetting.casetest`, vector engine) for rules no case fires or no case passes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

from vetting.casetest import load_suites, run_suite, shipped_cases_dir
from vetting.errors import VettingError
from vetting.lint.checks import (
    CHECKS,
    Problem,
    local_unmarked,
    missing_keys,
    never_firing,
    no_basis,
    reviewable_needless,
    shadowed,
    unused_parameters,
)
from vetting.lint.overrides import no_op_overrides
from vetting.ruleset.loader import bundled_packs, load_ruleset, pack_sources, resolve
from vetting.ruleset.model import Ruleset

__all__ = ["CHECKS", "Problem", "case_paths", "lint_object", "lint_pack", "lint_text"]


def case_paths(ruleset: Ruleset, name_or_path: str) -> list[Path]:
    """Where a pack's regression cases are: the shipped `rulesets/tests/<id>/` for a shipped pack,
    else `tests/<file stem>/` or `tests/<id>/` beside the pack file (empty when there are none)."""
    path = resolve(name_or_path)
    shipped = bundled_packs().get(path.stem)
    places = [shipped_cases_dir() / ruleset.id] if shipped is not None and shipped.resolve() == path.resolve() else []
    places += [path.parent / "tests" / path.stem, path.parent / "tests" / ruleset.id]
    return [p for p in dict.fromkeys(places) if p.is_dir() and any(p.rglob("*.yaml"))][:1]


def _case_problems(ruleset: Ruleset, name_or_path: str, cases: Sequence[str]) -> list[Problem]:
    paths = [Path(c) for c in cases] or case_paths(ruleset, name_or_path)
    if not paths:
        shown = str(resolve(name_or_path))
        return [Problem("no-cases", ruleset.chain[-1] if ruleset.chain else shown, 1, ruleset.id,
                        f"没有回归案例（应放在规则集文件旁的 tests/{Path(shown).stem}/*.yaml，或用 --cases 指定）："
                        "每条规则都应有命中和不命中的案例")]
    suites = load_suites(paths, str(resolve(name_or_path)))
    problems = []
    for suite in suites:
        report = run_suite(suite, ("vector",))
        for rule in ruleset.rules:
            if rule.code in report.never_fired:
                problems.append(Problem("no-firing-case", rule.source, rule.line, rule.code,
                                        f"没有案例使此规则命中（以其严重程度 {rule.severity}）"))
            if rule.code in report.never_passed:
                problems.append(Problem("no-passing-case", rule.source, rule.line, rule.code,
                                        "没有字段齐全、职务适用而不命中此规则的案例"))
    return problems


def lint_pack(name_or_path: str, cases: Sequence[str] = ()) -> tuple[Ruleset, list[Problem]]:
    """Load a pack (a RulesetError, or RulesetErrors listing every load error, when it does not
    load) and return it with every defect found, ordered by file and line."""
    ruleset = load_ruleset(name_or_path)
    merged, chain = pack_sources(name_or_path)
    problems: list[Problem] = [
        *never_firing(ruleset), *shadowed(ruleset), *unused_parameters(ruleset, merged),
        *missing_keys(ruleset, merged), *no_basis(ruleset), *local_unmarked(ruleset, merged),
        *reviewable_needless(ruleset),
        *no_op_overrides(chain, lambda parent: pack_sources(str(parent))[0]),
        *_case_problems(ruleset, name_or_path, cases),
    ]
    shown = [dataclasses.replace(p, file=_shown(p.file)) for p in problems]
    return ruleset, sorted(shown, key=lambda p: (p.file, p.line or 0, p.check))


def _shown(path: str) -> str:
    """A file as the user can open it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def lint_text(results: Sequence[tuple[str, Ruleset, list[Problem]]]) -> str:
    """The `vet rules lint` printout: each problem as `file:line: [check] subject：message`, then a count per pack."""
    lines = []
    for name, ruleset, problems in results:
        lines += [p.text() for p in problems]
        count = f"{len(problems)} 个问题" if problems else "没有发现问题"
        lines.append(f"{name}（{ruleset.id} {ruleset.version}）：{count}")
    return "\n".join(lines)


def lint_object(results: Sequence[tuple[str, Ruleset, list[Problem]]]) -> dict[str, Any]:
    """The JSON form: per pack its problems (check, file, line, subject, message), and the check names."""
    return {"packs": [{"pack": name, "id": ruleset.id, "version": ruleset.version, "problem_count": len(problems),
                       "problems": [{"check": p.check, "title": CHECKS[p.check], "file": p.file, "line": p.line,
                                     "subject": p.subject, "message": p.message} for p in problems]}
                      for name, ruleset, problems in results],
            "problem_count": sum(len(p) for _, _, p in results)}


def lint_error(exc: VettingError) -> dict[str, Any]:
    """A pack that does not load, in the JSON form (every load error with file and line)."""
    errors = getattr(exc, "errors", None) or [exc]
    return {"check": "invalid", "errors": [{"file": getattr(e, "path", None), "line": getattr(e, "line", None),
                                            "field": getattr(e, "field", None), "message": e.message} for e in errors]}
