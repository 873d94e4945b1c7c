"""Regression cases for rule packs (`vet test`): candidates with expected verdicts, run through the engine.

A case file (``rulesets/tests/<pack>/*.yaml``) names a clean, valid person once under ``defaults``;
each case lists only what differs, the as-of date, the expected verdict and the rule codes that
must produce a finding (data checks V01–V05 included)::

    as_of: 2026-12-15
    defaults: {姓名: 测试人, 公民身份号码: "510525198006150116", 拟任职务: 村委会委员, ...}
    cases:
      - name: severe_warning_last_day
        rule: D01                     # the rule under test (pytest id, `pytest -k D01`)
        candidate: {党纪处分: 严重警告, 党纪处分日期: 2025-06-15}
        verdict: disqualified
        rules: [D01]                  # or {D01: disqualify} to check the severity too
        reason_contains: ["2026-12-15"]

The pack is the file's ``pack:`` key, else its directory name; a name is looked up beside the
test directory first (``<dir>/../../<pack>.yaml``), then among the shipped packs. ``include:``
runs another file's (or directory's) cases against this file's pack, with this file's
``defaults`` laid over theirs and its ``ignore`` codes left out of the comparison.

Every case is checked on each engine asked for (by default both, vector and durable_rules), and
a failure names the engine(s) that gave the wrong answer. Cases run in batches, one engine call per
as-of date (see `_batches`), since a durable_rules call starts worker processes.

Coverage: a rule is covered when some case makes it fire (a finding at the rule's own severity)
and some case, with every field the rule reads present and a role the rule applies to, gives no
finding from it, on every engine run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from vetting.datachecks import DATA_CHECKS
from vetting.engine.verdicts import verdicts
from vetting.errors import RulesetError, did_you_mean
from vetting.fields import alias_index, header_key
from vetting.normalize.roles import roles_match
from vetting.pipeline import ENGINES, vet_records
from vetting.result import VettingResult
from vetting.ruleset.loader import bundled_packs, load_ruleset, resolve
from vetting.ruleset.model import Rule, Ruleset
from vetting.ruleset.schema import validate_structure
from vetting.ruleset.yamlsafe import line_of, load_yaml
from vetting.vocab import SEVERITIES, VERDICTS

_TEXT = {"type": "string", "minLength": 1}
_CELL = {"type": ["string", "number", "boolean", "null"]}
_RECORD = {"type": "object", "additionalProperties": _CELL}
_CODES = {"type": "array", "items": _TEXT}

CASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "verdict", "rules"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,80}$"},
        "rule": {"oneOf": [_TEXT, _CODES]},
        "note": _TEXT,
        "as_of": _TEXT,
        "candidate": _RECORD,
        "verdict": {"enum": list(VERDICTS)},
        "rules": {"oneOf": [_CODES, {"type": "object", "additionalProperties": {"enum": list(SEVERITIES)}}]},
        "reason_contains": {"type": "array", "items": _TEXT},
    },
}

CASE_FILE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "pack": _TEXT,
        "description": _TEXT,
        "as_of": _TEXT,
        "defaults": _RECORD,
        "include": {"oneOf": [_TEXT, _CODES]},
        "ignore": _CODES,
        "cases": {"type": "array", "items": CASE},
    },
}


@dataclass(frozen=True)
class Case:
    """One candidate with the verdict and rule codes a pack must give on the as-of date."""

    file: str
    line: int | None
    name: str
    subjects: tuple[str, ...]
    record: Mapping[str, str]  # field name -> cell text ("" = blank)
    as_of: dt.date
    verdict: str
    rules: Mapping[str, str | None]  # code -> expected severity (None = any)
    reason_contains: tuple[str, ...] = ()
    note: str = ""
    ignore: frozenset = frozenset()
    via: str = ""  # the including file, for cases run through `include:`

    def where(self) -> str:
        return f"{self.file}（经 {self.via} 引入）" if self.via else self.file


@dataclass
class Suite:
    """Every case run against one ruleset."""

    ruleset: Ruleset
    cases: list[Case] = field(default_factory=list)


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

    def message(self, engines: Sequence[str] = ()) -> str:
        """`file: case: 预期 X，实际 Y（规则，理由）（引擎：E）` for a failed case; `engines` names every
        engine that gave this same answer (default: this outcome's own)."""
        case = self.case
        expected = f"{case.verdict} [{', '.join(case.rules)}]"
        got = f"{self.verdict} [{', '.join(r for r, _, _ in self.findings)}]"
        detail = "；".join(f"{r} {s}：{why}" for r, s, why in self.findings) or "无任何发现"
        extra = "".join(f"；{p}" for p in self.problems)
        return (f"{case.where()}: {case.name}: 预期 {expected}，实际 {got}（{detail}）{extra}"
                f"（引擎：{'、'.join(engines or (self.engine,))}）")

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
        return [o for o in self.outcomes if not o.ok]

    def failed_cases(self) -> list[Case]:
        return _unique(o.case for o in self.failures)

    def failure_lines(self) -> list[str]:
        """One line per failed case and distinct wrong answer, naming the engines that gave it."""
        grouped: dict[tuple, list[Outcome]] = defaultdict(list)
        for outcome in self.failures:
            grouped[(id(outcome.case), outcome.answer())].append(outcome)
        return [same[0].message([o.engine for o in same]) for same in grouped.values()]

    @property
    def coverage(self) -> float:
        """Share of rules (percent) that both fired and passed in some case."""
        total = len(self.ruleset.rules)
        uncovered = len(set(self.never_fired) | set(self.never_passed))
        return 100.0 if total == 0 else 100.0 * (total - uncovered) / total


def _unique(cases: Iterable[Case]) -> list[Case]:
    """Each case once, in order (cases hold dicts: told apart by identity)."""
    return list({id(c): c for c in cases}.values())


# ---------------------------------------------------------------- loading

def shipped_cases_dir() -> Path:
    """`rulesets/tests` beside the shipped packs, else in the source checkout this module belongs to."""
    packs = bundled_packs()
    source = Path(__file__).resolve().parents[1] / "rulesets" / "tests"
    beside = next(iter(packs.values())).parent / "tests" if packs else source
    return beside if beside.is_dir() else source


def _case_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.yaml") if p.is_file())
    if path.is_file():
        return [path]
    raise RulesetError("找不到案例文件或目录", str(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError(f"无法读取案例文件：{exc}", _display(path)) from None
    tree = load_yaml(text, _display(path))
    validate_structure(tree, _display(path), CASE_FILE)
    if "cases" not in tree and "include" not in tree:
        raise RulesetError("案例文件应有 cases（案例列表）或 include（引入其他案例文件）", _display(path), 1)
    return tree


def _pack_ref(path: Path, tree: dict) -> str:
    """The ruleset a case file is meant for: its `pack:` key or its directory name."""
    name = str(tree.get("pack") or path.parent.name)
    parents = path.resolve().parents
    beside = parents[2] / f"{name}.yaml" if len(parents) > 2 else None
    if not name.endswith((".yaml", ".yml")) and beside is not None and beside.is_file():
        return str(beside.resolve())
    if name.endswith((".yaml", ".yml")):
        return str((path.parent / name).resolve())
    try:
        return str(resolve(name).resolve())
    except RulesetError as exc:
        raise RulesetError(f"案例所属规则集：{exc.detail}", _display(path), line_of(tree, "pack")) from None


def _date(text: object, path: str, line: int | None, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise RulesetError(f"{what}「{text}」无效，应为 YYYY-MM-DD", path, line) from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


class _Resolver:
    """Maps case keys (field names, labels or header aliases) to the pack's field names."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.index = alias_index(ruleset.fields)
        self.codes = {r.code for r in ruleset.rules} | set(DATA_CHECKS)

    def record(self, raw: Mapping, path: str, node: object) -> dict[str, str]:
        out = {}
        for key, value in raw.items():
            name = self.index.get(header_key(str(key)))
            if name is None:
                spec = self.ruleset.fields.get(str(key))
                hint = (f"「{spec.label}」由工具推算，案例中请给出公民身份号码或出生年月" if spec and spec.derived
                        else f"未知字段「{key}」{did_you_mean(str(key), [f.label for f in self.ruleset.fields.values()])}")
                raise RulesetError(hint, path, line_of(node, key))
            out[name] = _cell(value)
        return out

    def check_codes(self, codes: Iterable[str], path: str, line: int | None, what: str) -> None:
        for code in codes:
            if code not in self.codes:
                raise RulesetError(f"{what}「{code}」不在规则集「{self.ruleset.id}」中"
                                   f"{did_you_mean(code, self.codes)}", path, line)


def _file_cases(path: Path, tree: dict, resolver: _Resolver, base: dict, ignore: frozenset,
                default_as_of: dt.date | None, via: str, seen: set) -> list[Case]:
    shown = _display(path)
    resolver.check_codes(tree.get("ignore", []), shown, line_of(tree, "ignore"), "ignore 中的规则")
    ignore = ignore | frozenset(tree.get("ignore", []))
    defaults = {**resolver.record(tree.get("defaults") or {}, shown, tree.get("defaults")), **base}
    as_of = _date(tree["as_of"], shown, line_of(tree, "as_of"), "as_of") if "as_of" in tree else default_as_of
    cases = []
    includes = tree.get("include", [])
    for ref in [includes] if isinstance(includes, str) else includes:
        for sub in _case_files((path.parent / ref).resolve()):
            if sub.resolve() in seen:
                continue
            seen.add(sub.resolve())
            cases += _file_cases(sub, _read(sub), resolver, defaults, ignore, as_of, via or shown, seen)
    for index, spec in enumerate(tree.get("cases", [])):
        line = line_of(tree["cases"], index)
        when = spec.get("as_of") or as_of
        if when is None:
            raise RulesetError(f"案例「{spec['name']}」没有 as_of（审查基准日）", shown, line)
        rules = spec["rules"]
        expected = dict(rules) if isinstance(rules, dict) else {code: None for code in rules}
        subjects = spec.get("rule", [c for c in expected if c not in DATA_CHECKS])
        subjects = (subjects,) if isinstance(subjects, str) else tuple(subjects)
        resolver.check_codes(expected, shown, line, "预期的规则")
        resolver.check_codes(subjects, shown, line, "rule 指明的规则")
        record = {**defaults, **resolver.record(spec.get("candidate") or {}, shown, spec.get("candidate"))}
        cases.append(Case(
            file=shown, line=line, name=spec["name"], subjects=subjects, record=record,
            as_of=when if isinstance(when, dt.date) else _date(when, shown, line, "as_of"),
            verdict=spec["verdict"], rules=expected, reason_contains=tuple(spec.get("reason_contains", ())),
            note=str(spec.get("note", "")), ignore=ignore, via=via if via != shown else ""))
    return cases


def load_suites(paths: Sequence[str | Path] = (), pack: str | None = None) -> list[Suite]:
    """Read case files (or directories of them) and group their cases by the ruleset they run against.

    With no paths, the shipped cases (all packs, or `pack`'s directory). With paths and `pack`,
    every case runs against `pack` (a name or a YAML path) instead of the pack it names.
    """
    if not paths:
        root = shipped_cases_dir()
        if pack:
            resolve(pack)  # an unknown pack name is reported as such, with a "did you mean"
            if not (root / pack).is_dir():
                raise RulesetError(f"规则集「{pack}」没有回归案例（应放在 {root / pack}/*.yaml）")
        paths = [root / pack] if pack else [root]
        pack = None
    suites: dict[str, Suite] = {}
    resolvers: dict[str, _Resolver] = {}
    override = str(resolve(pack).resolve()) if pack else None
    for path in (f for p in paths for f in _case_files(Path(p))):
        tree = _read(path)
        ref = override or _pack_ref(path, tree)
        if ref not in suites:
            ruleset = load_ruleset(ref)
            suites[ref], resolvers[ref] = Suite(ruleset), _Resolver(ruleset)
        cases = _file_cases(path, tree, resolvers[ref], {}, frozenset(), None, "", {path.resolve()})
        suites[ref].cases.extend(cases)
    for suite in suites.values():
        _refuse_duplicate_names(suite)
    return list(suites.values())


def _refuse_duplicate_names(suite: Suite) -> None:
    """Case names identify cases in failure lines and pytest ids: one name, one case per pack."""
    seen: dict[str, Case] = {}
    for case in suite.cases:
        if case.name in seen:
            first = seen[case.name]
            raise RulesetError(f"案例名「{case.name}」重复（另见 {first.file}:{first.line}）", case.file, case.line)
        seen[case.name] = case


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


def _run_batch(ruleset: Ruleset, individual: Ruleset, cases: list[Case], as_of: dt.date,
               engine: str) -> tuple[VettingResult, list[list[tuple[str, str, str]]], list[str]]:
    """One engine call for a batch: the result, each case's findings (ignored codes left out), verdicts."""
    columns = list(dict.fromkeys(k for c in cases for k in c.record))
    records = [{ruleset.fields[k].label: c.record.get(k, "") for k in columns} for c in cases]
    result = vet_records(records, individual, as_of, engine=engine)
    found = result.findings
    ignored = pd.Series([r in cases[int(i)].ignore for i, r in zip(found["row_id"], found["rule"])],
                        index=found.index, dtype=bool)
    kept = found[~ignored]
    findings: list[list[tuple[str, str, str]]] = [[] for _ in cases]
    for row, rule, severity, reason in zip(kept["row_id"], kept["rule"], kept["severity"], kept["reason"]):
        findings[int(row)].append((rule, severity, reason))
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
        results = {}
        for engine in engines:
            result, findings, verdict = _run_batch(ruleset, individual, cases, as_of, engine)
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
        cases, bad = report.cases, report.failed_cases()
        lines.append(f"规则集 {rs.id}（{rs.title}，{len(rs.rules)} 条规则）：案例 {len(cases)} 个，"
                     f"通过 {len(cases) - len(bad)}，失败 {len(bad)}（引擎：{'、'.join(report.engines)}）")
        if verbose:
            failing = {id(case) for case in bad}
            lines += [f"  {'✗' if id(case) in failing else '✓'} {case_id(case, rs)}" for case in cases]
        lines += [f"  失败 {line}" for line in report.failure_lines()]
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
