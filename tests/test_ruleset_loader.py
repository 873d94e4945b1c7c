"""Ruleset loading: one broken file per error message, the shipped packs, extends and parameters."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from vetting.errors import RulesetError
from vetting.ruleset.loader import bundled_packs, load_ruleset

ERRORS = Path(__file__).parent / "ruleset_errors"

CASES = [
    ("unknown_field.yaml", 9, ["未知字段「agee」", "是否想写：age"]),
    ("bad_operator.yaml", 9, ["条件有误", "字段、参数、数值或字符串"]),
    ("unknown_param.yaml", 13, ["未定义的参数「$min_agee」", "min_age"]),
    ("unknown_key.yaml", 10, ["未知的键「reasn」", "reason"]),
    ("bad_severity.yaml", 8, ["disqualified", "是否想写：disqualify"]),
    ("bad_enum_value.yaml", 9, ["严重警高", "是否想写：严重警告"]),
    ("type_mismatch.yaml", 9, ["不能比较数值和文本"]),
    ("bad_template.yaml", 10, ["理由模板占位符", "agge"]),
    ("duplicate_key.yaml", 7, ["重复的键「name」"]),
    ("duplicate_code.yaml", 12, ["规则编号「X01」重复"]),
    ("syntax_error.yaml", None, ["YAML语法错误"]),
    ("python_tag.yaml", 2, ["不允许的YAML标签"]),
    ("alias.yaml", 12, ["不允许使用YAML别名"]),
    ("missing_field.yaml", 5, ["缺少必填项「severity」"]),
    ("bad_param_date.yaml", 8, ["日期「2021-13-01」无效"]),
    ("bad_role.yaml", 9, ["未知职务「党组织书计」", "党组织书记"]),
    ("unknown_parent.yaml", 4, ["没有名为「natonal」的规则集", "national"]),
    ("within_types.yaml", 9, ["within(日期, 期限)"]),
]


@pytest.mark.parametrize("name,line,fragments", CASES, ids=[c[0] for c in CASES])
def test_broken_ruleset_is_refused_with_file_line_and_reason(name, line, fragments):
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(ERRORS / name))
    message = str(info.value)
    assert name in message
    if line is not None:
        assert info.value.line == line, message
    for fragment in fragments:
        assert fragment in message


def test_every_case_file_is_covered():
    assert {c[0] for c in CASES} == {p.name for p in ERRORS.glob("*.yaml")}


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RulesetError, match="别名"):
        load_ruleset(str(bomb))


def test_bundled_packs_load_and_validate():
    packs = bundled_packs()
    assert "national" in packs
    for name in packs:
        rules = load_ruleset(name)
        assert rules.rules, name
        assert len({r.code for r in rules.rules}) == len(rules.rules)


def test_dated_parameter_picks_value_in_force(tmp_path):
    path = tmp_path / "dated.yaml"
    path.write_text(textwrap.dedent("""
        id: dated
        title: 按日期生效
        version: 1
        parameters:
          cap:
            description: 上限
            values:
              2021-01-01: 5
              2025-06-01: 7
        rules:
          - code: X01
            name: 测试
            category: 测试
            severity: review
            when: age > $cap
            reason: "{age} > {$cap}"
            basis: [测试依据]
    """), encoding="utf-8")
    rules = load_ruleset(str(path))
    cap = rules.parameters["cap"]
    assert cap.at(dt.date(2020, 12, 31)) is None
    assert cap.at(dt.date(2021, 1, 1)) == 5
    assert cap.at(dt.date(2025, 5, 31)) == 5
    assert cap.at(dt.date(2025, 6, 1)) == 7


def test_child_pack_overrides_parameters_severity_and_disables(tmp_path):
    child = tmp_path / "county.yaml"
    child.write_text(textwrap.dedent("""
        id: county
        title: 某县
        version: 1
        extends: national
        parameters:
          detention_lookback_months:
            description: 行政拘留回溯期（月）
            value: 36
            local: true
        rules:
          - code: S03
            severity: review
          - code: S04
            enabled: false
          - code: L01
            name: 本县：初中以下文化不宜任书记
            category: 本县条件
            severity: unsuitable
            roles: [党组织书记]
            when: education < 3
            reason: 文化程度为{education}
            basis: [某县换届工作方案]
    """), encoding="utf-8")
    rules = load_ruleset(str(child))
    national = load_ruleset("national")
    assert rules.parameters["detention_lookback_months"].at(dt.date(2026, 1, 1)) == 36
    assert rules.rule("S03").severity == "review"
    assert national.rule("S03").severity == "unsuitable"
    assert rules.rule("S04") is None and "S04" in rules.disabled
    assert rules.rule("L01").roles == ("党组织书记",)
    assert len(rules.sources) == 2 and rules.chain[-1] == str(child)


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(f"id: a\ntitle: A\nversion: 1\nextends: {tmp_path / 'b.yaml'}\n",
                                     encoding="utf-8")
    (tmp_path / "b.yaml").write_text(f"id: b\ntitle: B\nversion: 1\nextends: {tmp_path / 'a.yaml'}\n",
                                     encoding="utf-8")
    with pytest.raises(RulesetError, match="循环"):
        load_ruleset(str(tmp_path / "a.yaml"))


def test_new_rule_in_child_needs_all_fields(tmp_path):
    child = tmp_path / "c.yaml"
    child.write_text("id: c\ntitle: C\nversion: 1\nextends: national\nrules:\n  - code: Z9\n    severity: review\n",
                     encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        load_ruleset(str(child))
    assert "Z9" in str(info.value) and "缺少必填项" in str(info.value) and info.value.line == 6


def test_a_ruleset_path_that_is_a_fifo_or_too_large_is_refused_before_reading(tmp_path):
    """A FIFO would block the read forever; a huge file is refused on its size, unread."""
    import os

    from vetting.errors import RulesetError
    from vetting.ruleset.loader import load_ruleset

    fifo = tmp_path / "pack.yaml"
    os.mkfifo(fifo)
    with pytest.raises(RulesetError, match="不是普通文件"):
        load_ruleset(str(fifo))
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(3_000_000)
    with pytest.raises(RulesetError, match="文件过大"):
        load_ruleset(str(big))
