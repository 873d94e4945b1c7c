"""JSON Schema of a ruleset file, and its errors translated to Chinese with the YAML line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vetting.errors import RulesetError, did_you_mean
from vetting.fields import FIELD_TYPES
from vetting.ruleset.model import GROUP_KINDS
from vetting.ruleset.yamlsafe import BadNumber, line_of
from vetting.vocab import COVERAGE_MODES, RULE_COVERAGE, RULE_SEVERITIES

if TYPE_CHECKING:
    import jsonschema

_TEXT = {"type": "string", "minLength": 1}
_BASIS_ITEM = {"oneOf": [_TEXT, {"type": "object", "additionalProperties": False,
                                  "required": ["text"],
                                  "properties": {"text": _TEXT, "url": _TEXT}}]}
_SCALAR = {"type": ["number", "string"]}
_VALUE = {"oneOf": [_SCALAR, {"type": "object", "additionalProperties": _SCALAR, "minProperties": 1}]}

PARAMETER = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": _TEXT,
        "value": _VALUE,
        "values": {"type": "object", "minProperties": 1, "additionalProperties": _VALUE},
        "unit": _TEXT,
        "reference": _TEXT,
        "local": {"type": "boolean"},
        "note": _TEXT,
    },
}

#: What every rule has, per-candidate or across candidates.
_RULE_COMMON = {
    "code": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$"},
    "name": _TEXT,
    "severity": {"enum": list(RULE_SEVERITIES)},
    "roles": {"type": "array", "items": _TEXT},
    "reason": _TEXT,
    "basis": {"type": "array", "minItems": 1, "items": _BASIS_ITEM},
    "description": _TEXT,
    "enabled": {"type": "boolean"},
    "note": _TEXT,
    # 地方口径: true, or the places (local documents) that use the item
    "local": {"oneOf": [{"type": "boolean"}, {"type": "array", "minItems": 1, "items": _TEXT}]},
}

RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code"],
    "properties": {**_RULE_COMMON, "category": _TEXT, "when": _TEXT,
                   "coverage": {"enum": list(RULE_COVERAGE)},
                   # a recorded human decision (复核结论) may clear this rule's disqualify finding
                   "reviewable": {"type": "boolean"}},
}

FIELD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["label", "type"],
    "properties": {
        "label": _TEXT,
        "type": {"enum": list(FIELD_TYPES)},
        "aliases": {"type": "array", "items": _TEXT},
        "values": {"type": "object", "additionalProperties": {"type": "array", "items": _TEXT}},
    },
}

GROUP_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code"],
    "properties": {
        **_RULE_COMMON,
        "kind": {"enum": list(GROUP_KINDS)},
        "where": _TEXT,
        "min": _SCALAR,
        "max": _SCALAR,
        "scope": {"type": "array", "items": {"enum": ["配偶", "父母子女", "兄弟姐妹", "其他近亲属"]}},
        "same_household": {"type": "boolean"},
        "against": {"type": "array", "minItems": 1, "items": _TEXT},
        "village_field": _TEXT,
    },
}

AGENCY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "aliases": {"type": "array", "items": _TEXT},
        "supplies": {"type": "array", "items": _TEXT},
        "required": {"type": "boolean"},
        "roles": {"type": "array", "items": _TEXT},
        "note": _TEXT,
    },
}

OPINION_PATTERN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "match", "sets"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]*$"},
        "name": _TEXT,
        "match": _TEXT,
        "unless": _TEXT,
        "sets": {"type": "object", "minProperties": 1, "additionalProperties": _TEXT},
        "map": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": _SCALAR}},
        "note": _TEXT,
    },
}

OPINIONS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "clear": {"type": "array", "items": _TEXT},
        "pending": {"type": "array", "items": _TEXT},
        "patterns": {"type": "array", "items": OPINION_PATTERN},
        "max_length": {"type": "integer", "minimum": 10, "maximum": 20000},
    },
}

RULESET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "version"],
    "properties": {
        "schema_version": {"const": 1},
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*$"},
        "title": _TEXT,
        "version": _SCALAR,
        "description": _TEXT,
        "extends": _TEXT,
        "election_date": _TEXT,
        "coverage": {"enum": list(COVERAGE_MODES)},
        "required_fields": {"type": "array", "items": _TEXT},
        "fields": {"type": "object", "additionalProperties": FIELD},
        "parameters": {"type": "object", "additionalProperties": PARAMETER},
        "rules": {"type": "array", "items": RULE},
        "agencies": {"type": "object", "additionalProperties": AGENCY},
        "group_rules": {"type": "array", "items": GROUP_RULE},
        "opinions": OPINIONS,
    },
}

_TYPE_NAMES = {"string": "文本", "number": "数值", "object": "键值映射", "array": "列表",
               "boolean": "true/false", "integer": "整数"}


def _field_path(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(tree: Any, path: list) -> int | None:
    """The line of the deepest node on the path that has one."""
    node, line = tree, line_of(tree)
    for part in path:
        line = line_of(node, part) or line
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return line


def _message(error: jsonschema.ValidationError) -> str:
    kind, value = error.validator, error.instance
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return f"缺少必填项「{'、'.join(missing)}」"
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        hint = did_you_mean(extra[0], allowed) if extra else ""
        return f"未知的键「{'、'.join(map(str, extra))}」{hint}；允许的键：{'、'.join(allowed)}"
    if kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        return f"值「{value}」无效{did_you_mean(value, map(str, options))}；可选：{'、'.join(map(str, options))}"
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = "或".join(_TYPE_NAMES.get(t, t) for t in wanted)
        if isinstance(value, bool):
            return f"应为{names}，不能是 true/false（实为「{str(value).lower()}」）"
        return f"应为{names}，实为「{value}」"
    if kind == "oneOf" and isinstance(value, bool):
        return f"此处应为数值或文本，不能是 true/false（实为「{str(value).lower()}」）"
    if kind == "pattern":
        return f"「{value}」格式不对（应匹配 {error.validator_value}）"
    if kind in ("minLength", "minItems", "minProperties"):
        return "不能为空"
    if kind == "oneOf":
        return f"「{value}」的写法不对"
    return error.message


def _bad_numbers(tree: Any, path: str) -> list[tuple[list, RulesetError]]:
    """Every number no ruleset can mean (yamlsafe.BadNumber), with its field path and line."""
    found = []
    stack: list = [(tree, [])]
    while stack:
        node, where = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, BadNumber):
                found.append(([*where, key], RulesetError(value.problem, path, _locate(tree, [*where, key]),
                                                          _field_path([*where, key]))))
            stack.append((value, [*where, key]))
    return found


def structure_problems(tree: Any, path: str, schema: dict = RULESET) -> list[tuple[list, RulesetError]]:
    """Every structural problem of a parsed ruleset (bad numbers, then schema errors), each with
    the path of the value it concerns and a RulesetError naming its line and field, in line order."""
    if not isinstance(tree, dict):
        return [([], RulesetError("规则集顶层应为键值映射（id、title、version、rules …）", path, line_of(tree)))]
    found = _bad_numbers(tree, path)
    bad = {tuple(where) for where, _ in found}
    import jsonschema  # ~0.2 s to import: only when a pack is validated, not with every module that reads one

    validator = jsonschema.Draft202012Validator(schema)
    for error in validator.iter_errors(tree):
        where = list(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = error.schema.get("properties", {})
            where += [k for k in error.instance if k not in allowed][:1]
        if any(tuple(where[:len(b)]) == b for b in bad):
            continue  # the bad number itself is the problem there
        problem = RulesetError(_message(error), path, _locate(tree, where), _field_path(where) or None)
        if all(problem.message != other.message for _, other in found):
            found.append((where, problem))
    return sorted(found, key=lambda item: (item[1].line or 0, len(item[0])))


def validate_structure(tree: Any, path: str, schema: dict = RULESET) -> None:
    """Check a parsed ruleset (or case file) against the schema; the first error names its line and field."""
    problems = structure_problems(tree, path, schema)
    if problems:
        raise problems[0][1]
