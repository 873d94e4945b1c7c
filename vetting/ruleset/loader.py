"""Load a ruleset by name or path: parse safely, validate, resolve `extends`, compile conditions."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from vetting.errors import ConditionError, RulesetError, did_you_mean
from vetting.fields import Field, builtin_fields, field_from_dict
from vetting.ruleset import condition as cond
from vetting.ruleset import ranges
from vetting.ruleset.grouprules import compile_group_rule, rule_scope
from vetting.ruleset.model import Agency, Basis, OpinionPattern, OpinionRules, Parameter, Rule, Ruleset
from vetting.ruleset.pattern import PatternError, Regex, compile_pattern
from vetting.ruleset.problems import Problems, set_aside
from vetting.ruleset.schema import structure_problems
from vetting.ruleset.template import parse_template
from vetting.ruleset.yamlsafe import line_of, load_yaml, read_yaml_bytes
from vetting.vocab import ROLE_NAMES

_RULE_REQUIRED = ("name", "category", "severity", "when", "reason", "basis")
_FOREVER = ranges.FOREVER


def bundled_packs() -> dict[str, Path]:
    """The rule packs shipped with the tool, by id (file stem)."""
    try:
        root = resources.files("vetting.rulesets")
    except ModuleNotFoundError:  # running from a source checkout without installing
        root = Path(__file__).resolve().parents[2] / "rulesets"
    return {Path(p.name).stem: Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml")}


def resolve(name_or_path: str, relative_to: Path | None = None) -> Path:
    """A ruleset path from a bundled pack name or a file path (relative to the extending file)."""
    path = Path(name_or_path)
    if relative_to is not None and not path.is_absolute() and (relative_to.parent / path).is_file():
        path = relative_to.parent / path
    if not name_or_path.strip():
        raise RulesetError("未给出规则集名称或文件")
    if path.suffix in (".yaml", ".yml") or (path.exists() and not path.is_dir()):
        if not path.exists():
            raise RulesetError("找不到规则集文件", str(path))
        return path
    packs = bundled_packs()
    if name_or_path not in packs:
        raise RulesetError(f"没有名为「{name_or_path}」的规则集{did_you_mean(name_or_path, packs)}；"
                           f"内置规则集：{'、'.join(sorted(packs))}")
    return packs[name_or_path]


def _read(path: Path, problems: Problems) -> tuple[Any, str]:
    """Parse a ruleset file; its structural problems are kept in `problems` and the parts they lie
    in set aside. A file that cannot be parsed at all (or is not a mapping) raises."""
    raw = read_yaml_bytes(path, str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RulesetError("不是UTF-8编码的文本文件", str(path)) from None
    tree = load_yaml(text, str(path))
    found = structure_problems(tree, str(path))
    if not isinstance(tree, dict):
        raise found[0][1]
    for _, error in found:
        problems.add(error)
    for where, _ in sorted(found, key=lambda item: -len(item[0])):
        set_aside(tree, where, problems)
    return tree, hashlib.sha256(raw).hexdigest()


def _merge_chain(path: Path, problems: Problems, seen: tuple[str, ...] = ()) -> tuple[dict, list]:
    """Read a file and its `extends` parents; returns merged raw data and [(path, sha, tree)]."""
    key = str(path.resolve())
    if key in seen:
        raise RulesetError("extends 形成了循环继承", str(path))
    tree, sha = _read(path, problems)
    chain: list = []
    merged: dict = {"parameters": {}, "rules": [], "group_rules": [], "fields": {}, "required_fields": [],
                    "agencies": {},
                    "opinions": {"clear": [], "pending": [], "patterns": {}}}
    if "extends" in tree:
        try:
            parent_path = resolve(tree["extends"], path)
        except RulesetError as exc:
            raise RulesetError(exc.detail, str(path), line_of(tree, "extends"), "extends") from None
        merged, chain = _merge_chain(parent_path, problems, seen + (key,))
    elif "rules" not in tree:
        problems.add(RulesetError("缺少必填项「rules」（没有 extends 的规则集必须列出规则）", str(path), line_of(tree)))
    chain.append((path, sha, tree))
    for scalar in ("id", "title", "version", "description", "election_date", "coverage", "required_fields"):
        if scalar in tree:
            merged[scalar] = (tree[scalar], str(path), line_of(tree, scalar))
    for name, spec in (tree.get("fields") or {}).items():
        merged["fields"][name] = (spec, str(path), line_of(tree["fields"], name))
    for name, spec in (tree.get("parameters") or {}).items():
        merged["parameters"][name] = (spec, str(path), line_of(tree["parameters"], name))
    _merge_rules(merged["rules"], tree.get("rules") or [], str(path), "extends" in tree, problems)
    _merge_rules(merged["group_rules"], tree.get("group_rules") or [], str(path), "extends" in tree, problems)
    for name, spec in (tree.get("agencies") or {}).items():
        previous = merged["agencies"].get(name, ({}, None, None))[0]
        merged["agencies"][name] = ({**previous, **spec}, str(path), line_of(tree["agencies"], name))
    opinions = tree.get("opinions") or {}
    for kind in ("clear", "pending"):
        merged["opinions"][kind] += [(text, str(path), line_of(opinions[kind], i))
                                     for i, text in enumerate(opinions.get(kind, []))]
    for i, spec in enumerate(opinions.get("patterns", [])):
        if spec is None:
            continue
        merged["opinions"]["patterns"][spec["id"]] = (spec, str(path), line_of(opinions["patterns"], i))
    if "max_length" in opinions:
        merged["opinions"]["max_length"] = opinions["max_length"]
    return merged, chain


def _merge_rules(rules: list, new: list, path: str, is_child: bool, problems: Problems) -> None:
    by_code = {r["code"]: r for r in rules}
    seen_here: set = set()
    for index, spec in enumerate(new):
        if spec is None:  # set aside: a structural error was reported
            continue
        code = spec["code"]
        line = line_of(new, index)
        if code in seen_here or (code in by_code and not is_child):
            problems.add(RulesetError(f"规则编号「{code}」重复", path, line, f"rules[{index}].code"))
            continue
        seen_here.add(code)
        if code in by_code:
            by_code[code].update({k: v for k, v in spec.items()})
            by_code[code]["_source"] = (path, line, index, spec)
        else:
            entry = dict(spec)
            entry["_source"] = (path, line, index, spec)
            rules.append(entry)
            by_code[code] = entry


def _parse_date(text: Any, path: str, line: int | None, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise RulesetError(f"日期「{text}」无效，应为 YYYY-MM-DD", path, line, field) from None


def _param_value(value: Any, path: str, line: int | None, field: str) -> Any:
    if isinstance(value, dict):
        return {str(k): _param_value(v, path, line, f"{field}.{k}") for k, v in value.items()}
    if isinstance(value, str) and value.strip() in _FOREVER:
        return math.inf
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return _parse_date(value.strip(), path, line, field)
    if isinstance(value, bool):
        raise RulesetError("参数值应为数值、文本或对照表", path, line, field)
    return value


def _build_parameter(name: str, spec: dict, path: str, line: int | None) -> Parameter:
    field = f"parameters.{name}"
    if ("value" in spec) == ("values" in spec):
        raise RulesetError("参数必须有且只有 value（固定值）或 values（按生效日期）之一", path, line, field)
    if "value" in spec:
        dated = [(None, _param_value(spec["value"], path, line, field))]
    else:
        values = spec["values"]
        dated = sorted(((_parse_date(k, path, line_of(values, k), f"{field}.values"),
                         _param_value(v, path, line_of(values, k), f"{field}.values.{k}"))
                        for k, v in values.items()), key=lambda kv: kv[0])
    kinds = {_kind(v) for _, v in dated}
    if len(kinds) != 1:
        raise RulesetError("各生效日期的参数值类型不一致", path, line, field)
    return Parameter(name=name, description=str(spec.get("description", name)), kind=kinds.pop(),
                     values=tuple(dated), unit=spec.get("unit"), reference=spec.get("reference"),
                     local=bool(spec.get("local", False)), note=spec.get("note"))


def _kind(value: Any) -> str:
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dict):
        if not all(isinstance(v, (int, float)) for v in value.values()):
            return "mixed-mapping"
        return "mapping"
    return "number" if isinstance(value, (int, float)) else "string"


def _refine_field(base: Field, spec: dict, path: str, line: int | None) -> Field:
    """A pack may add header aliases and value spellings to a built-in field, never change its type."""
    if spec.get("type", base.type) != base.type:
        raise RulesetError(f"不能改变内置字段「{base.name}」的类型（{base.type}）", path, line, f"fields.{base.name}")
    values = {k: tuple(v) for k, v in base.values.items()}
    for value, spellings in (spec.get("values") or {}).items():
        values[str(value)] = tuple(dict.fromkeys([*values.get(str(value), ()), *map(str, spellings)]))
    aliases = tuple(dict.fromkeys([*base.aliases, *map(str, spec.get("aliases", ()))]))
    return Field(base.name, str(spec.get("label", base.label)), base.type, aliases, values, base.derived,
                 base.bounds, base.may_follow_as_of)


def _env(fields: dict[str, Field], params: dict[str, Parameter]) -> cond.Env:
    return cond.Env(
        fields={n: (cond.field_value_type(f.type), frozenset(f.values)) for n, f in fields.items()},
        params={n: p.kind for n, p in params.items()},
        param_keys={n: p.keys() for n, p in params.items() if p.kind == "mapping"},
    )


def _refers_to(node: Any, problems: Problems) -> bool:
    """Whether a condition reads a parameter or field set aside as broken (already reported)."""
    return bool(set(cond.referenced_params(node)) & problems.broken_params
                or set(cond.referenced_fields(node)) & problems.broken_fields)


def _compile_rule(spec: dict, env: cond.Env, sites: dict[str, list[ranges.Site]], problems: Problems,
                  params: dict[str, Parameter]) -> Rule | None:
    """A rule compiled, or None with each of its problems (condition, reason, roles) kept."""
    path, line, index, own = spec["_source"]
    where = f"rules[{index}]"
    missing = [k for k in _RULE_REQUIRED if k not in spec]
    if missing:
        problems.add(RulesetError(f"规则「{spec['code']}」缺少必填项「{'、'.join(missing)}」", path, line, where))
        return None
    before = len(problems.errors)
    owner = f"规则 {spec['code']} "

    def key_line(key: str) -> int | None:
        return line_of(own, key) if key in own else line

    def condition() -> Any:
        try:
            node = cond.parse_condition(spec["when"])
            if _refers_to(node, problems):
                return None
            cond.check_condition(node, env, spec["when"])
        except ConditionError as exc:
            col = f"（第{exc.position}个字符）" if exc.position else ""
            raise RulesetError(f"条件有误{col}：{exc.detail}", path, key_line("when"), f"{where}.when") from None
        ranges.check_usage(node, sites, path, key_line("when"), f"{where}.when", owner)
        return node

    def template() -> tuple | None:
        try:
            parts = parse_template(spec["reason"], env)
        except ConditionError as exc:
            text = spec["reason"]
            if any(f"${p}" in text for p in problems.broken_params) or \
                    any(re.search(rf"\b{re.escape(f)}\b", text) for f in problems.broken_fields):
                return None  # it reads a part already reported as broken
            raise RulesetError(exc.detail, path, key_line("reason"), f"{where}.reason") from None
        for part in parts:
            if not isinstance(part, str):
                ranges.check_usage(part, sites, path, key_line("reason"), f"{where}.reason", owner)
        return parts

    node = problems.attempt(condition)
    reason = problems.attempt(template)
    for role in spec.get("roles", []):
        if role not in ROLE_NAMES:
            problems.add(RulesetError(f"未知职务「{role}」{did_you_mean(role, ROLE_NAMES)}",
                                      path, key_line("roles"), f"{where}.roles"))
    if node is None or reason is None or len(problems.errors) > before:
        return None
    basis = tuple(Basis(b) if isinstance(b, str) else Basis(b["text"], b.get("url")) for b in spec["basis"])
    used = cond.referenced_params(node) + [p for part in reason if not isinstance(part, str)
                                           for p in cond.referenced_params(part)]
    local, places = rule_scope(spec, used, params)
    return Rule(code=spec["code"], name=spec["name"], category=spec["category"],
                severity=spec["severity"], when=spec["when"], condition=node,
                reason_text=spec["reason"], reason=reason, basis=basis,
                roles=tuple(spec.get("roles", ())), description=spec.get("description", ""),
                note=spec.get("note", ""), must_cover=spec.get("coverage") == "required",
                fields=tuple(cond.referenced_fields(node)),
                params=tuple(cond.referenced_params(node)), source=path, line=key_line("when"),
                local=local, places=places, reviewable=bool(spec.get("reviewable", False)))


#: `{DATE}` in an opinion regex: a date as offices write it (2025年10月8日, 2025.10, 2025-10-08).
DATE_REGEX = r"(?:\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{4}[.\-/]\d{1,2}(?:[.\-/]\d{1,2})?)"


def _regex(text: str, path: str, line: int | None, field: str, allow_empty: bool = False) -> Regex:
    try:
        return compile_pattern(text.replace("{DATE}", DATE_REGEX), allow_empty)
    except PatternError as exc:
        raise RulesetError(f"正则表达式有误：{exc}", path, line, field) from None


_GROUP_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_|]*)\}")


def _build_pattern(spec: dict, path: str, line: int | None, fields: dict[str, Field]) -> OpinionPattern:
    where = f"opinions.patterns.{spec['id']}"
    regex = _regex(spec["match"], path, line_of(spec, "match") or line, f"{where}.match")
    for name, value in spec["sets"].items():
        if name not in fields or fields[name].derived:
            raise RulesetError(f"未知字段「{name}」{did_you_mean(name, fields)}", path, line, f"{where}.sets")
        for group in (g for ref in _GROUP_REF.findall(value) for g in ref.split("|")):
            if group not in regex.names:
                raise RulesetError(f"「{value}」引用了正则中不存在的分组「{group}」", path, line, f"{where}.sets.{name}")
    for group in spec.get("map", {}):
        if group not in regex.names:
            raise RulesetError(f"map 中的分组「{group}」不在正则中", path, line, f"{where}.map")
    unless = _regex(spec["unless"], path, line_of(spec, "unless") or line, f"{where}.unless") if "unless" in spec else None
    maps = {g: {str(k): str(v) for k, v in m.items()} for g, m in spec.get("map", {}).items()}
    return OpinionPattern(id=spec["id"], name=spec["name"], regex=regex, sets=dict(spec["sets"]),
                          maps=maps, unless=unless)


def _agency(name: str, spec: dict, path: str, line: int | None, fields: dict[str, Field]) -> Agency:
    for field_name in spec.get("supplies", []):
        if field_name not in fields or fields[field_name].derived:
            raise RulesetError(f"未知字段「{field_name}」{did_you_mean(field_name, fields)}", path, line,
                               f"agencies.{name}.supplies")
    for role in spec.get("roles", []):
        if role not in ROLE_NAMES:
            raise RulesetError(f"未知职务「{role}」{did_you_mean(role, ROLE_NAMES)}", path, line,
                               f"agencies.{name}.roles")
    return Agency(name=name, aliases=tuple(spec.get("aliases", ())), supplies=tuple(spec.get("supplies", ())),
                  required=bool(spec.get("required")), roles=tuple(spec.get("roles", ())))


def _build_joint(merged: dict, fields: dict[str, Field], problems: Problems
                 ) -> tuple[dict[str, Agency], OpinionRules]:
    """The agencies and opinion rules; each agency and each pattern checked on its own."""
    agencies = {}
    for name, (spec, path, line) in merged["agencies"].items():
        agencies[name] = problems.attempt(_agency, name, spec, path, line, fields)
    raw = merged["opinions"]
    opinions = OpinionRules(
        clear=tuple(problems.attempt(_regex, t, p, ln, "opinions.clear", allow_empty=True) for t, p, ln in raw["clear"]),
        pending=tuple(problems.attempt(_regex, t, p, ln, "opinions.pending", allow_empty=True)
                      for t, p, ln in raw["pending"]),
        patterns=tuple(problems.attempt(_build_pattern, spec, p, ln, fields) for spec, p, ln in raw["patterns"].values()),
        max_length=int(raw.get("max_length", 2000)))
    return agencies, opinions


def _field(fields: dict[str, Field], name: str, spec: dict, src: str, line: int | None) -> None:
    if name in fields and fields[name].derived:
        raise RulesetError(f"「{name}」是工具推算的字段，不能重新定义", src, line, f"fields.{name}")
    fields[name] = _refine_field(fields[name], spec, src, line) if name in fields else field_from_dict(name, spec)


def _parameter(name: str, spec: dict, src: str, line: int | None, unit: str | None,
               sites: list[ranges.Site]) -> Parameter:
    param = _build_parameter(name, spec, src, line)
    if param.kind == "mixed-mapping":
        raise RulesetError("对照表参数的值都应为数值（或 forever）", src, line, f"parameters.{name}")
    ranges.check_units({name: sites}, {name: unit})
    return param


def pack_sources(name_or_path: str) -> tuple[dict, list]:
    """A pack's files as written, merged along `extends`: each parameter, field and agency as
    (spec, file, line), each rule with its `_source`, and the chain [(path, sha256, tree)] root
    first; for tools that report on the text of a pack (`vet rules lint`). Load it first: this
    reads without checking."""
    return _merge_chain(resolve(name_or_path), Problems())


#: Rulesets loaded in this process, by (file, working directory): the files of its chain with their
#: sha256 and the compiled ruleset. Rulesets are immutable; an edit to any file of the chain reloads.
_LOADED: dict[tuple[str, str], tuple[tuple[tuple[str, str], ...], Ruleset]] = {}


def load_ruleset(name_or_path: str) -> Ruleset:
    """Load, validate and compile a ruleset. Every independent problem (each rule, parameter, field,
    agency, pattern, in the file and its `extends` parents) is collected first: one problem is
    raised as a RulesetError, several as a RulesetErrors, each naming file, line and field.
    A ruleset whose files are unchanged since it was last loaded in this process is not parsed again."""
    path = resolve(name_or_path)
    key = (str(path.resolve()), os.getcwd())
    cached = _LOADED.get(key)
    if cached and all(_unchanged(file, sha) for file, sha in cached[0]):
        return cached[1]
    ruleset = _compile_ruleset(path)
    if len(_LOADED) >= 32:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[key] = (tuple(zip(ruleset.chain, (sha for _, sha in ruleset.sources))), ruleset)
    return ruleset


def _unchanged(file: str, sha: str) -> bool:
    """Whether a ruleset file still holds the bytes it had when loaded."""
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest() == sha
    except OSError:
        return False


def _compile_ruleset(path: Path) -> Ruleset:
    """Load, validate and compile the ruleset file at `path` (see load_ruleset)."""
    problems = Problems()
    try:
        merged, chain = _merge_chain(path, problems)
    except RulesetError as exc:  # a file that cannot be read or parsed, an unknown parent
        problems.add(exc)
        problems.raise_if_any()
    fields = dict(builtin_fields())
    for name, (spec, src, line) in merged["fields"].items():
        if problems.attempt(_field, fields, name, spec, src, line) is None and name not in fields:
            problems.broken_fields.add(name)
    params = {}
    sites = {name: list(ranges.value_sites(name, spec, src, line))
             for name, (spec, src, line) in merged["parameters"].items()}
    for name, (spec, src, line) in merged["parameters"].items():
        param = problems.attempt(_parameter, name, spec, src, line, spec.get("unit"), sites[name])
        if param is None:
            problems.broken_params.add(name)
        else:
            params[name] = param
    env = _env(fields, params)
    rules = []
    disabled = []
    for spec in merged["rules"]:
        if spec.get("enabled", True) is False:
            disabled.append(spec["code"])
            continue
        rules.append(_compile_rule(spec, env, sites, problems, params))
    required, req_src, req_line = merged.get("required_fields") or ([], str(path), None)
    for name in required:
        if name not in fields:
            problems.add(RulesetError(f"未知字段「{name}」{did_you_mean(name, fields)}", req_src, req_line,
                                      "required_fields"))
    election = merged.get("election_date")
    election_date = problems.attempt(_parse_date, *election[:2], election[2], "election_date") if election else None
    agencies, opinions = _build_joint(merged, fields, problems)
    group_rules = tuple(problems.attempt(compile_group_rule, spec, env, params, sites, fields)
                        for spec in merged["group_rules"] if spec.get("enabled", True) is not False)
    clash = {r.code for r in rules if r} & {g.code for g in group_rules if g}
    if clash:
        problems.add(RulesetError(f"规则编号「{'、'.join(sorted(clash))}」同时用于单人规则和群体规则", str(path)))
    problems.raise_if_any()
    sources = tuple((p.name, sha) for p, sha, _ in chain)
    digest = hashlib.sha256("\n".join(sha for _, sha in sources).encode()).hexdigest()
    return Ruleset(
        id=merged["id"][0], title=merged["title"][0], version=str(merged["version"][0]),
        rules=tuple(rules), parameters=params, fields=fields, required_fields=tuple(required),
        election_date=election_date, description=str(merged.get("description", ("",))[0]),
        chain=tuple(str(p) for p, _, _ in chain), sources=sources,
        sha256=sources[0][1] if len(sources) == 1 else digest, disabled=tuple(disabled),
        agencies=agencies, opinions=opinions, group_rules=group_rules,
        coverage=str(merged.get("coverage", ("partial",))[0]))
