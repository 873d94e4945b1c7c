"""Case files: their schema, loading, `include`/`defaults`/`ignore`, and the case model."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from vetting.datachecks import DATA_CHECKS
from vetting.errors import RulesetError, did_you_mean
from vetting.fields import alias_index, header_key
from vetting.ruleset.loader import bundled_packs, load_ruleset, resolve
from vetting.ruleset.model import Ruleset
from vetting.ruleset.schema import validate_structure
from vetting.ruleset.yamlsafe import line_of, load_yaml, read_yaml_bytes
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
    foreign: bool = False  # written for another pack (run with --pack): a difference is a change, not a failure

    def where(self) -> str:
        return f"{self.file}（经 {self.via} 引入）" if self.via else self.file


@dataclass
class Suite:
    """Every case run against one ruleset."""

    ruleset: Ruleset
    cases: list[Case] = field(default_factory=list)


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
        text = read_yaml_bytes(path, _display(path)).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RulesetError("案例文件不是UTF-8编码的文本文件", _display(path)) from None
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

    foreign = False

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


class _ForeignResolver(_Resolver):
    """For cases written for another pack (`home`) run against `ruleset`: codes and keys are those of
    either pack (a rule the pack disabled is no error), and fields `ruleset` does not know are left out."""

    foreign = True

    def __init__(self, ruleset: Ruleset, home: Ruleset) -> None:
        super().__init__(home)
        self.target = ruleset
        self.index = {**alias_index(ruleset.fields), **self.index}
        self.codes |= {r.code for r in ruleset.rules}

    def record(self, raw: Mapping, path: str, node: object) -> dict[str, str]:
        return {k: v for k, v in super().record(raw, path, node).items() if k in self.target.fields}


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
            note=str(spec.get("note", "")), ignore=ignore, via=via if via != shown else "", foreign=resolver.foreign))
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
    homes: dict[str, Ruleset] = {}
    for path in (f for p in paths for f in _case_files(Path(p))):
        tree = _read(path)
        home = _home(path, tree, override)
        ref = override or home
        if ref not in suites:
            ruleset = load_ruleset(ref)
            suites[ref], resolvers[ref] = Suite(ruleset), _Resolver(ruleset)
        resolver = resolvers[ref]
        if home != ref:  # another pack's cases: what this pack changes is reported, not refused
            if home not in homes:
                homes[home] = load_ruleset(home)
            resolver = _ForeignResolver(suites[ref].ruleset, homes[home])
        cases = _file_cases(path, tree, resolver, {}, frozenset(), None, "", {path.resolve()})
        suites[ref].cases.extend(cases)
    for suite in suites.values():
        _refuse_duplicate_names(suite)
    return list(suites.values())


def _home(path: Path, tree: dict, override: str | None) -> str:
    """The pack a case file was written for; with an override, a file naming no known pack is taken as its own."""
    try:
        return _pack_ref(path, tree)
    except RulesetError:
        if override:
            return override
        raise


def shipped_cases(name: str) -> Path | None:
    """The shipped cases of a pack by name (`vet test --cases national`), wherever vetting is installed."""
    folder = shipped_cases_dir() / name
    return folder if name and "/" not in name and folder.is_dir() else None


def _refuse_duplicate_names(suite: Suite) -> None:
    """Case names identify cases in failure lines and pytest ids: one name, one case per pack."""
    seen: dict[str, Case] = {}
    for case in suite.cases:
        if case.name in seen:
            first = seen[case.name]
            raise RulesetError(f"案例名「{case.name}」重复（另见 {first.file}:{first.line}）", case.file, case.line)
        seen[case.name] = case


