"""Compiling a pack's rules across candidates (`group_rules:`): each kind's keys, roles, the `where`
condition, minimum and maximum as sane counts or count parameters, reason placeholders; and
whether a rule (per person or across candidates) is 地方口径."""

from __future__ import annotations

import re
from typing import Any

from vetting.errors import ConditionError, RulesetError, did_you_mean
from vetting.fields import Field
from vetting.ruleset import condition as cond
from vetting.ruleset import ranges
from vetting.ruleset.model import Basis, GroupRule, Parameter
from vetting.ruleset.yamlsafe import line_of
from vetting.vocab import ROLE_NAMES


def rule_scope(spec: dict, used: list[str], params: dict[str, Parameter]) -> tuple[bool, tuple[str, ...]]:
    """A rule is local (地方口径) when it says so (`local: true` or the places that use it) or when
    it reads a parameter marked `local: true`: a figure from a local list makes the rule local."""
    declared = spec.get("local", False)
    places = tuple(str(p) for p in declared) if isinstance(declared, list) else ()
    return bool(declared) or any(params[name].local for name in used if name in params), places


_GROUP_PLACEHOLDERS = frozenset({"village", "township", "count", "min", "max", "total"})
#: Placeholders of a relatives rule's reason: the other person (name, row and relation).
_RELATIVE_PLACEHOLDERS = frozenset({"other"})
#: Kinds that read a village-level column, and the field types that column may have.
_VILLAGE_FIELD_TYPES = {"seats": ("int",), "minority": ("text",)}


def _bound(value: Any, params: dict[str, Parameter], sites: dict[str, list[ranges.Site]], path: str,
           line: int | None, field: str, owner: str) -> Any:
    """A group rule's min/max: a sane count, or a numeric parameter `$name` holding one."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        ranges.check_sites([ranges.Site(value, path, line, field)], ranges.COUNT)
        return value
    name = str(value)[1:] if str(value).startswith("$") else None
    if name is None or name not in params or params[name].kind != "number":
        raise RulesetError(f"「{value}」应为数值或数值参数（如 $women_min）"
                           f"{did_you_mean(str(value).lstrip('$'), params) if name else ''}", path, line, field)
    ranges.check_sites(sites[name], ranges.COUNT, f"（{owner}按人数使用此参数）")
    return "$" + name


def _check_kind_keys(spec: dict, fields: dict[str, Field], path: str, line: int | None, where: str) -> None:
    """`against` only on a relatives rule; `village_field` only where the kind reads one, naming a
    field of the right type (职数 a whole number, 人数较少的民族 text)."""
    kind = spec["kind"]
    if "against" in spec and kind != "relatives":
        raise RulesetError("只有 kind: relatives 的规则可以写 against", path, line, f"{where}.against")
    if "village_field" not in spec:
        return
    name, types = spec["village_field"], _VILLAGE_FIELD_TYPES.get(kind)
    if types is None:
        raise RulesetError(f"只有 kind: {'、'.join(_VILLAGE_FIELD_TYPES)} 的规则可以写 village_field",
                           path, line, f"{where}.village_field")
    if name not in fields or fields[name].derived:
        raise RulesetError(f"未知字段「{name}」{did_you_mean(name, fields)}", path, line, f"{where}.village_field")
    if fields[name].type not in types:
        raise RulesetError(f"字段「{name}」（{fields[name].label}）的类型为 {fields[name].type}，"
                           f"kind: {kind} 需要 {'、'.join(types)} 类型的村级字段", path, line, f"{where}.village_field")


def compile_group_rule(spec: dict, env: cond.Env, params: dict[str, Parameter],
                       sites: dict[str, list[ranges.Site]], fields: dict[str, Field]) -> GroupRule:
    """A slate rule compiled from its spec: kind-specific keys, roles, `where`, bounds and reason
    placeholders checked, each problem a RulesetError naming file, line and key."""
    path, line, index, own = spec["_source"]
    where = f"group_rules[{index}]"
    missing = [k for k in ("name", "kind", "severity", "basis") if k not in spec]
    if spec.get("kind") in ("count", "minority") and "min" not in spec and "max" not in spec:
        missing.append("min 或 max")
    if spec.get("kind") in _VILLAGE_FIELD_TYPES and "village_field" not in spec:
        missing.append("village_field")
    if missing:
        raise RulesetError(f"规则「{spec['code']}」缺少必填项「{'、'.join(missing)}」", path, line, where)
    node, owner = None, f"规则 {spec['code']} "
    if "where" in spec:
        if spec["kind"] != "count":
            raise RulesetError("只有 kind: count 的规则可以写 where", path, line, f"{where}.where")
        try:
            node = cond.parse_condition(spec["where"])
            cond.check_condition(node, env, spec["where"])
        except ConditionError as exc:
            raise RulesetError(f"条件有误：{exc.detail}", path, line_of(own, "where") or line, f"{where}.where") from None
        ranges.check_usage(node, sites, path, line_of(own, "where") or line, f"{where}.where", owner)
    for key in ("roles", "against"):
        for role in spec.get(key, []):
            if role not in ROLE_NAMES:
                raise RulesetError(f"未知职务「{role}」{did_you_mean(role, ROLE_NAMES)}", path, line, f"{where}.{key}")
    _check_kind_keys(spec, fields, path, line, where)
    allowed = _RELATIVE_PLACEHOLDERS if spec["kind"] == "relatives" else _GROUP_PLACEHOLDERS
    for name in re.findall(r"\{([^{}]*)\}", spec.get("reason", "")):
        if name not in allowed:
            raise RulesetError(f"理由模板占位符「{{{name}}}」无效，可用：{'、'.join(sorted(allowed))}",
                               path, line, f"{where}.reason")
    basis = tuple(Basis(b) if isinstance(b, str) else Basis(b["text"], b.get("url")) for b in spec["basis"])
    used = (cond.referenced_params(node) if node is not None else []) + [
        str(b)[1:] for b in (spec.get("min"), spec.get("max")) if isinstance(b, str) and b.startswith("$")]
    local, places = rule_scope(spec, used, params)
    return GroupRule(code=spec["code"], name=spec["name"], kind=spec["kind"], severity=spec["severity"],
                     basis=basis, roles=tuple(spec.get("roles", ())), where=node, where_text=spec.get("where", ""),
                     minimum=_bound(spec.get("min"), params, sites, path, line_of(own, "min") or line, f"{where}.min",
                                    owner),
                     maximum=_bound(spec.get("max"), params, sites, path, line_of(own, "max") or line, f"{where}.max",
                                    owner),
                     scope=tuple(spec.get("scope", ("配偶", "父母子女", "兄弟姐妹"))),
                     same_household=bool(spec.get("same_household", True)), against=tuple(spec.get("against", ())),
                     village_field=spec.get("village_field", ""), reason=spec.get("reason", ""),
                     description=spec.get("description", ""), source=path, line=line, local=local, places=places)
