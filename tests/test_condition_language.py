"""The condition language parser and checker: structure, errors with positions, and robustness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.errors import ConditionError
from vetting.fields import builtin_fields
from vetting.ruleset import condition as C
from vetting.ruleset.template import parse_template

ENV = C.Env(
    fields={n: (C.field_value_type(f.type), frozenset(f.values)) for n, f in builtin_fields().items()},
    params={"m": "number", "table": "mapping"},
    param_keys={"table": frozenset({"警告", "严重警告"})},
)


def test_precedence_not_and_or():
    node = C.parse_condition("not a or b and c")
    assert isinstance(node, C.Binary) and node.op == "or"
    assert isinstance(node.left, C.Unary) and node.right.op == "and"


def test_duration_binds_to_primary():
    node = C.parse_condition("d + (1 + $m) months")
    assert node.op == "+" and isinstance(node.right, C.Duration)


@pytest.mark.parametrize("text,position", [("age <", 6), ("age < 18 18", 10), ("age ? 1", 5), ("f(1)", 1)])
def test_syntax_errors_carry_position(text, position):
    with pytest.raises(ConditionError) as info:
        C.parse_condition(text)
    assert info.value.position == position


@pytest.mark.parametrize("text,fragment", [
    ("age and true", "两边应为条件"),
    ("party_sanction < \"警告\"", "只能比较数值或日期"),
    ("$table[party_sanction] > 1 and $table[gov_sanction] > 1", "不是字段「gov_sanction」的可选值"),
    ("$m[party_sanction] > 1", "不是对照表"),
    ("$table > 1", "对照表"),
    ("age in [\"a\"]", "列表中的每一项"),
    ("within(party_sanction_date, 3)", "within"),
    ("coalesce(age, \"x\") > 1", "类型应一致"),
    ("age + party_sanction_date > 1", "不能计算"),
    ("age", "结果应为条件"),
])
def test_type_errors(text, fragment):
    with pytest.raises(ConditionError) as info:
        C.check_condition(C.parse_condition(text), ENV, text)
    assert fragment in str(info.value)


def test_template_parts_and_escapes():
    parts = parse_template("{{字面}} {age}岁，{$m}", ENV)
    assert parts[0] == "{" and parts[1] == "字面" and isinstance(parts[4], C.FieldRef)
    with pytest.raises(ConditionError, match="不成对"):
        parse_template("年龄{age", ENV)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("age<>=!()[],$\"' +-.0123456789andornotin月年dayswithin_x中")), max_size=40))
def test_parser_and_checker_raise_only_condition_errors(text):
    try:
        node = C.parse_condition(text)
        C.check_condition(node, ENV, text, want=None)
    except ConditionError:
        pass
