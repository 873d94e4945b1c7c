"""A rule's condition in Chinese words, for people who sign off a ruleset (`vet rules show`, `vet rules export`).

Fields read as their labels, parameters as the first clause of their description, as_of as 基准日:

    party_sanction in ["警告", "严重警告"] and within(party_sanction_date, $party_sanction_months[party_sanction] months)
    → 党纪处分 属于［警告、严重警告］ 且 党纪处分日期 在 基准日前 党纪处分影响期（月）［党纪处分］ 个月内
"""

from __future__ import annotations

from typing import Mapping

from vetting.fields import Field
from vetting.ruleset import condition as C
from vetting.ruleset.model import Parameter, Ruleset

_UNITS = {"days": "天", "months": "个月", "years": "年"}
_NUMBER_OPS = {"==": "等于", "!=": "不等于", "<": "小于", "<=": "不超过", ">": "超过", ">=": "不少于"}
_DATE_OPS = {"==": "是", "!=": "不是", "<": "早于", "<=": "不晚于", ">": "晚于", ">=": "不早于"}
_TEXT_OPS = {"==": "为", "!=": "不为"}
_LEVEL_OPS = {"==": "为", "!=": "不为", "<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
_OPEN, _CLOSE = "（(［[「", "）)］]」"


def short_description(text: str) -> str:
    """The first clause of a parameter description (up to a ，or ；outside brackets)."""
    depth = 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif char in "，；,;" and depth == 0:
            return text[:i]
    return text


class _Describer:
    def __init__(self, fields: Mapping[str, Field], parameters: Mapping[str, Parameter]) -> None:
        self.fields, self.parameters = fields, parameters

    def words(self, node: C.Node, parent: str = "") -> str:
        text = getattr(self, "w_" + type(node).__name__)(node)
        if parent and isinstance(node, C.Binary) and node.op in ("and", "or") and node.op != parent:
            return f"（{text}）"
        return text

    def w_Literal(self, node: C.Literal) -> str:
        if node.type == "bool":
            return "是" if node.value else "否"
        if node.type == "string":
            return f"「{node.value}」"
        if node.type == "list":
            return "［" + "、".join(self.value(i) for i in node.value) + "］"
        return str(node.value)

    def value(self, node: C.Node) -> str:
        """A list item or compared constant without quotes."""
        if isinstance(node, C.Literal) and node.type == "string":
            return str(node.value)
        return self.words(node)

    def w_FieldRef(self, node: C.FieldRef) -> str:
        spec = self.fields.get(node.name)
        return spec.label if spec else node.name

    def w_ParamRef(self, node: C.ParamRef) -> str:
        param = self.parameters.get(node.name)
        text = short_description(param.description) if param else f"${node.name}"
        return text + (f"［{self.words(node.index)}］" if node.index is not None else "")

    def w_AsOf(self, node: C.AsOf) -> str:
        return "基准日"

    def w_Unary(self, node: C.Unary) -> str:
        inner = self.words(node.operand)
        return f"并非（{inner}）" if node.op == "not" else f"负{inner}"

    def w_Binary(self, node: C.Binary) -> str:
        if node.op in ("and", "or"):
            joiner = " 且 " if node.op == "and" else " 或 "
            return joiner.join(self.words(side, node.op) for side in (node.left, node.right))
        left, right = self.operand(node.left), self.operand(node.right)
        if node.op in ("+", "-"):
            return f"{left} {'加' if node.op == '+' else '减'} {right}"
        if self.is_date(node.left) or self.is_date(node.right):
            return f"{left} {_DATE_OPS[node.op]} {right}"
        if self.is_education(node.left) or self.is_education(node.right):
            return f"{left} {_LEVEL_OPS[node.op]} {right}"
        if self.is_bool(node.left) or self.is_bool(node.right) or self.is_text(node.left):
            return f"{left} {_TEXT_OPS.get(node.op, node.op)} {right}"
        return f"{left} {_NUMBER_OPS[node.op]} {right}"

    def operand(self, node: C.Node) -> str:
        if isinstance(node, C.Binary) and node.op in ("+", "-", "and", "or"):
            return f"（{self.words(node)}）"
        return self.words(node)

    def w_InList(self, node: C.InList) -> str:
        items = "、".join(self.value(i) for i in node.items)
        return f"{self.words(node.operand)} {'不属于' if node.negate else '属于'}［{items}］"

    def w_Duration(self, node: C.Duration) -> str:
        return f"{self.operand(node.amount)} {_UNITS[node.unit]}"

    def w_Call(self, node: C.Call) -> str:
        args = [self.words(a) for a in node.args]
        if node.func == "within":
            return f"{args[0]} 在 基准日前 {args[1]}内"
        if node.func == "blank":
            return f"{args[0]} 为空"
        if node.func == "present":
            return f"{args[0]} 已填写"
        return f"{args[0]}（未填时取 {args[1]}）"

    # ---- types, just enough to pick the right words
    def field_type(self, node: C.Node) -> str | None:
        if isinstance(node, C.FieldRef) and node.name in self.fields:
            return C.field_value_type(self.fields[node.name].type)
        return None

    def is_date(self, node: C.Node) -> bool:
        if isinstance(node, C.AsOf) or (isinstance(node, C.Literal) and node.type == "date"):
            return True
        if isinstance(node, C.Binary) and node.op in ("+", "-"):
            return self.is_date(node.left)
        return self.field_type(node) == "date"

    def is_education(self, node: C.Node) -> bool:
        return isinstance(node, C.FieldRef) and node.name in self.fields and self.fields[node.name].type == "education"

    def is_bool(self, node: C.Node) -> bool:
        return (isinstance(node, C.Literal) and node.type == "bool") or self.field_type(node) == "bool"

    def is_text(self, node: C.Node) -> bool:
        return (isinstance(node, C.Literal) and node.type == "string") or self.field_type(node) == "string"


def describe_condition(node: C.Node, fields: Mapping[str, Field], parameters: Mapping[str, Parameter]) -> str:
    """The condition AST in Chinese words, using field labels and parameter descriptions."""
    return _Describer(fields, parameters).words(node)


def describe_rule(rule, ruleset: Ruleset) -> str:  # noqa: ANN001 - a Rule
    """A rule's condition in words with the ruleset's field labels and parameter descriptions."""
    return describe_condition(rule.condition, ruleset.fields, ruleset.parameters)


def _bound(value: object, parameters: Mapping[str, Parameter]) -> str:
    if isinstance(value, str) and value.startswith("$") and value[1:] in parameters:
        return short_description(parameters[value[1:]].description)
    return str(value)


#: Rules of a reserve pool followed over time (vetting.pools) in words.
_POOL_WORDS = {"posts": "本村现任干部（--officers 名册）的某一职位 没有 对应的{who}（一村一职一备）",
               "absent": "此前记录的审查中在库的{who} 不在 本次花名册中",
               "ratings": "{who}在此前记录的审查中有考核等次（逐期列出，同一半年只计一次）"}


def describe_group_rule(rule, ruleset: Ruleset) -> str:  # noqa: ANN001 - a GroupRule (slate rule)
    """A slate rule (duplicates, relatives, counts per village) in words."""
    who = "、".join(rule.roles) if rule.roles else "全部"
    if rule.kind == "duplicate":
        return "同一公民身份号码在名单中出现不止一次"
    if rule.kind == "relatives" and rule.against:
        return (f"本村拟任{who}的人选与拟任{'、'.join(rule.against)}的人选有{'、'.join(rule.scope) or '近亲属'}关系，"
                "或为同一人")
    if rule.kind == "relatives":
        return f"本村拟任{who}的人选之间有{'、'.join(rule.scope) or '近亲属'}关系"
    if rule.kind in _POOL_WORDS:
        return _POOL_WORDS[rule.kind].format(who=who)
    if rule.kind in ("seats", "minority"):
        label = ruleset.fields[rule.village_field].label
        if rule.kind == "seats":
            return (f"本村拟任{who}的人数 不多于 本村申报的「{label}」，或「{label}」不在 "
                    f"{_bound(rule.minimum, ruleset.parameters)} 至 {_bound(rule.maximum, ruleset.parameters)} 之间"
                    f"（未申报时：人数 少于 {_bound(rule.minimum, ruleset.parameters)}）")
        return (f"本村申报了「{label}」时，拟任{who}且民族属于其中之一的人数 少于 "
                f"{_bound(rule.minimum, ruleset.parameters)}")
    counted = f"拟任{who}且{describe_condition(rule.where, ruleset.fields, ruleset.parameters)}" if rule.where \
        else f"拟任{who}"
    limits = []
    if rule.minimum is not None:
        limits.append(f"少于 {_bound(rule.minimum, ruleset.parameters)}")
    if rule.maximum is not None:
        limits.append(f"多于 {_bound(rule.maximum, ruleset.parameters)}")
    return f"本村{counted}的人数 " + " 或 ".join(limits)
