"""A ruleset's numbers must be sane (periods, ages, counts), its conditions bounded (length, depth,
digits) and its YAML plain text: each nonsense value is refused when the pack loads, naming the
file, line and field in Chinese; nothing reachable from a ruleset ends in a RecursionError."""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from vetting.errors import ConditionError, RulesetError
from vetting.pipeline import vet_records
from vetting.ruleset.condition import MAX_CONDITION_LENGTH, MAX_DEPTH, depth, parse_condition
from vetting.ruleset.loader import load_ruleset

AS_OF = __import__("datetime").date(2026, 12, 15)
HEAD = "id: t\ntitle: 测试\nversion: 1\n"


def _rule(when: str, reason: str = "命中") -> str:
    return (f"rules:\n  - code: X01\n    name: 测试\n    category: 测试\n    severity: review\n"
            f"    when: '{when}'\n    reason: '{reason}'\n    basis: [测试依据]\n")


def _param(name: str, value: str, unit: str | None = "月") -> str:
    unit_line = f"    unit: {unit}\n" if unit else ""
    return f"parameters:\n  {name}:\n    description: 测试\n{unit_line}    value: {value}\n"


def _refused(tmp_path, text: str) -> RulesetError:
    path = tmp_path / "本县.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(path))
    assert "本县.yaml" in str(info.value)
    return info.value


def _loads(tmp_path, text: str):
    path = tmp_path / "本县.yaml"
    path.write_text(text, encoding="utf-8")
    return load_ruleset(str(path))


# ------------------------------------------------------------------ sane numbers

@pytest.mark.parametrize("value,fragment", [
    ("-36", "「-36」作为月数应在 0 至 1200 之间"),
    ("3000000000", "「3000000000」作为月数"),
    ("1201", "作为月数应在 0 至 1200 之间"),
    (".nan", "「.nan」不是有效数值"),
    (".inf", "不限期请写 forever"),
    ("-.inf", "不是有效数值"),
    ("true", "不能是 true/false"),
    ("9" * 16, "位数过多（最多15位）"),
    ("9" * 5000, "位数过多"),
])
def test_a_nonsense_period_is_refused_with_line_and_field(tmp_path, value, fragment):
    error = _refused(tmp_path, HEAD + _param("lookback", value) + _rule("within(admin_detention_date, $lookback months)"))
    assert (error.line, error.field) == (8, "parameters.lookback.value")
    assert fragment in error.detail


@pytest.mark.parametrize("value", ["0", "1200", "36", "forever", "永久"])
def test_sane_periods_load(tmp_path, value):
    rules = _loads(tmp_path, HEAD + _param("lookback", value) + _rule("within(admin_detention_date, $lookback months)"))
    assert rules.rule("X01") is not None


def test_a_parameter_without_unit_is_checked_by_how_a_condition_uses_it(tmp_path):
    when = "within(admin_detention_date, $lookback years)"
    error = _refused(tmp_path, HEAD + _param("lookback", "-5", None) + _rule(when))
    assert error.field == "parameters.lookback.value"
    assert "「-5」作为年数应在 0 至 100 之间" in error.detail and "规则 X01 按年数使用此参数" in error.detail
    error = _refused(tmp_path, HEAD + _param("cap", "900", None) + _rule("age > $cap"))
    assert "作为年龄（周岁）应在 0 至 150 之间" in error.detail and "规则 X01" in error.detail


def test_each_value_of_a_mapping_and_of_a_dated_parameter_is_checked(tmp_path):
    mapping = ("parameters:\n  months:\n    description: 测试\n    unit: 月\n"
               "    value: {警告: 6, 记过: -12, 开除: forever}\n")
    error = _refused(tmp_path, HEAD + mapping + _rule("within(gov_sanction_date, $months[gov_sanction] months)"))
    assert (error.line, error.field) == (8, "parameters.months.value.记过")
    dated = ("parameters:\n  lookback:\n    description: 测试\n    unit: 月\n    values:\n"
             "      2020-01-01: 36\n      2024-01-01: 99999\n")
    error = _refused(tmp_path, HEAD + dated + _rule("within(admin_detention_date, $lookback months)"))
    assert (error.line, error.field) == (10, "parameters.lookback.values.2024-01-01")


@pytest.mark.parametrize("when,fragment", [
    ("within(admin_detention_date, (0 - 18) months)", "「-18」作为月数"),
    ("within(admin_detention_date, 99999999999 months)", "「99999999999」作为月数"),
    ("within(admin_detention_date, 101 years)", "作为年数应在 0 至 100 之间"),
    ("within(admin_detention_date, 40000 days)", "作为天数"),
    ("age > 200", "「200」作为年龄（周岁）应在 0 至 150 之间"),
    ("200 < age", "作为年龄"),
])
def test_a_nonsense_literal_in_a_condition_is_refused_at_the_condition(tmp_path, when, fragment):
    error = _refused(tmp_path, HEAD + _rule(when))
    assert (error.line, error.field) == (9, "rules[0].when")
    assert fragment in error.detail


def test_a_nonsense_literal_in_a_reason_template_is_refused(tmp_path):
    error = _refused(tmp_path, HEAD + _rule("age > 60", "至{admin_detention_date + 5000 months}"))
    assert error.field == "rules[0].reason" and "作为月数" in error.detail


@pytest.mark.parametrize("unit,value,fragment", [
    ("周岁", "900", "「900」作为年龄（周岁）应在 0 至 150 之间（单位：周岁）"),
    ("人", "-1", "「-1」作为人数"),
    ("年", "1000", "作为年数"),
    ("周岁", "forever", "「forever」作为年龄（周岁）应在 0 至 150 之间"),
])
def test_a_known_unit_sets_the_range(tmp_path, unit, value, fragment):
    error = _refused(tmp_path, HEAD + _param("figure", value, unit) + _rule("age > 60"))
    assert error.field == "parameters.figure.value" and fragment in error.detail


def test_group_rule_counts_are_sane(tmp_path):
    group = ("group_rules:\n  - code: G01\n    name: 妇女\n    kind: count\n    severity: review\n"
             "    min: {min}\n    basis: [测试依据]\n")
    error = _refused(tmp_path, HEAD + _rule("age > 60") + group.format(min="-1"))
    assert (error.line, error.field) == (17, "group_rules[0].min") and "「-1」作为人数" in error.detail
    error = _refused(tmp_path, HEAD + _param("women", "-2", None) + _rule("age > 60") + group.format(min="$women"))
    assert error.field == "parameters.women.value" and "规则 G01 按人数使用此参数" in error.detail
    error = _refused(tmp_path, HEAD + _rule("age > 60") + group.format(min="true"))
    assert error.field == "group_rules[0].min" and "true/false" in error.detail


def test_the_shipped_figures_are_all_within_range():
    for pack in ("national", "reserve", "zhejiang-shangyu-2013", "county-template"):
        assert load_ruleset(pack).rules


# ------------------------------------------------------------------ YAML

def test_a_nul_byte_names_its_line(tmp_path):
    error = _refused(tmp_path, HEAD + "description: 第四行\0有NUL\n" + _rule("age > 60"))
    assert error.line == 4 and "控制字符 U+0000" in error.detail


def test_deeply_nested_yaml_is_refused(tmp_path):
    error = _refused(tmp_path, HEAD + "description: " + "[" * 600 + "]" * 600 + "\n")
    assert "嵌套层次过深" in error.detail


def test_a_huge_number_anywhere_names_its_field(tmp_path):
    error = _refused(tmp_path, HEAD.replace("version: 1", "version: " + "1" * 5000) + _rule("age > 60"))
    assert (error.line, error.field) == (3, "version") and "位数过多" in error.detail


# ------------------------------------------------------------------ condition limits

def test_condition_depth_limit_is_exact():
    parse_condition("(" * (MAX_DEPTH - 1) + "age > 1" + ")" * (MAX_DEPTH - 1))
    assert depth(parse_condition(" or ".join(["age > 1"] * (MAX_DEPTH - 1)))) == MAX_DEPTH
    for text in ("(" * MAX_DEPTH + "age > 1" + ")" * MAX_DEPTH,
                 "not " * (MAX_DEPTH + 1) + "blank(age)",
                 "age > " + "- " * (MAX_DEPTH + 1) + "1",
                 " or ".join(["age > 1"] * MAX_DEPTH),
                 "coalesce(" * 60 + "age" + ", 1)" * 60 + " > 1"):
        with pytest.raises(ConditionError, match="嵌套过深"):
            parse_condition(text)


@pytest.mark.parametrize("opening,closing", [
    ("(", ")"), ("[", "]"), ("not ", ""), ("- ", ""), ("$p[", "]"), ("blank(", ")"), ("coalesce(1, ", ")"),
    ("age in [", "]"), ("1 or ", ""), ("1 and ", ""), ("1 + ", ""),
])
def test_every_recursive_construct_is_bounded_just_under_the_length_limit(opening, closing):
    """The deepest text of each kind that still fits the length limit: a ConditionError, never a
    RecursionError (the parser counts its own depth; chains are measured without recursion)."""
    count = (MAX_CONDITION_LENGTH - 10) // (len(opening) + len(closing))
    with pytest.raises(ConditionError):
        parse_condition(opening * count + "age" + closing * count)


@pytest.mark.parametrize("text,fragment", [
    ("age > 1 or " * 300 + "age > 1", "条件过长"),
    ("(" * 5000 + "age > 1" + ")" * 5000, "条件过长"),
    ("age > " + "9" * 16, "位数过多"),
    ("age > " + "9" * 400 + ".5", "位数过多"),
])
def test_long_conditions_and_numbers_are_refused_without_recursion(text, fragment):
    with pytest.raises(ConditionError, match=fragment):
        parse_condition(text)
    assert len(text) > MAX_CONDITION_LENGTH or "位数" in fragment


def test_the_deepest_allowed_condition_runs_on_both_engines(tmp_path):
    when = " or ".join(["age > 200 - 150"] * 44) + " and not not present(age)"
    path = tmp_path / "deep.yaml"
    path.write_text(HEAD + _rule(when), encoding="utf-8")
    rules = load_ruleset(str(path))
    assert depth(rules.rule("X01").condition) >= MAX_DEPTH - 10
    record = {"姓名": "张三", "公民身份号码": "510525195001010018", "拟任职务": "村委会委员", "村(社区)": "平丰村"}
    verdicts = [vet_records([record], rules, AS_OF, engine=e).candidates["verdict"].tolist() for e in ("vector", "durable")]
    assert verdicts[0] == verdicts[1] == ["review"]


def test_the_hostile_ruleset_fixtures_are_refused():
    for name, fragment in [("ruleset_deep_condition.yaml", "嵌套过深"), ("ruleset_nul.yaml", "控制字符"),
                           ("ruleset_5000_digits.yaml", "位数过多")]:
        with pytest.raises(RulesetError, match=fragment):
            load_ruleset(str(FIXTURES / "bad" / name))
