"""Conditions in Chinese words, and the sign-off export of a pack (`vet rules export`, `vet rules show`)."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from pathlib import Path

import pytest
from openpyxl import load_workbook

from vetting.cli import cli
from vetting.errors import InputError
from vetting.explain import rule_text
from vetting.export import (
    COLUMNS,
    export_ruleset,
    format_markdown,
    group_rule_rows,
    header_lines,
    parameter_rows,
    rule_row,
    write_xlsx,
)
from vetting.ruleset.condition import parse_condition, referenced_params
from vetting.ruleset.describe import describe_condition, short_description
from vetting.ruleset.loader import load_ruleset

AS_OF = dt.date(2026, 12, 15)


def words(text: str, rules) -> str:
    return describe_condition(parse_condition(text), rules.fields, rules.parameters)


def test_d01_in_words(national):
    assert words(national.rule("D01").when, national) == (
        "党纪处分 属于［警告、严重警告、撤销党内职务、开除党籍］ 且 党纪处分日期 在 基准日前 "
        "党纪处分影响期（月）［党纪处分］ 个月内")


@pytest.mark.parametrize("condition,expected", [
    ("age < $min_age", "年龄 小于 候选人最低年龄（周岁，含生日当天）"),
    ("incapacity == true", "丧失行为能力 为 是"),
    ('political_status != "中共党员"', "政治面貌 不为 「中共党员」"),
    ('party_sanction not in ["警告"]', "党纪处分 不属于［警告］"),
    ("not (incapacity == true)", "并非（丧失行为能力 为 是）"),
    ("incapacity == true or long_absence == true and dishonest_debtor == false",
     "丧失行为能力 为 是 或 （长期外出不能正常履职 为 是 且 失信被执行人 为 否）"),
    ("as_of <= criminal_date + 5 years", "基准日 不晚于 （刑事处罚日期 加 5 年）"),
    ('criminal_date < date("2021-01-01")', "刑事处罚日期 早于 2021-01-01"),
    ("education < 3", "文化程度 低于 3"),
    ("age >= 35", "年龄 不少于 35"),
    ("blank(criminal_date) or present(admin_detention_date)", "刑事处罚日期 为空 或 行政拘留日期 已填写"),
    ("within(admin_detention_date, 30 days)", "行政拘留日期 在 基准日前 30 天内"),
    ("coalesce(party_probation_months, $probation_max_months) > 12",
     "留党察看期限(月)（未填时取 留党察看的最长期限（月）） 超过 12"),
])
def test_operators_in_words(national, condition, expected):
    assert words(condition, national) == expected


def test_slate_rules_are_exported_in_words(national):
    text = format_markdown(national, AS_OF)
    assert "## 群体规则（按村比对整届人选）" in text
    g04 = next(line for line in text.splitlines() if line.startswith("| G04 |"))
    assert "本村拟任两委委员且年龄 不超过 “两委”年轻人选的年龄上限（周岁，含本数）的人数 少于" in g04
    assert "$youth_age" in g04 and "$youth_min" in g04
    assert "## 群体规则" not in format_markdown(load_ruleset("zhejiang-shangyu-2013"), AS_OF)


def test_short_description_keeps_bracketed_commas():
    assert short_description("候选人最低年龄（周岁，含生日当天）") == "候选人最低年龄（周岁，含生日当天）"
    assert short_description("党纪处分影响期（月），自处分批准之日起算") == "党纪处分影响期（月）"


def test_markdown_lists_every_rule_with_words_parameters_and_basis(national):
    text = format_markdown(national, AS_OF)
    assert "| " + " | ".join(COLUMNS) + " |" in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    codes = [line.split(" | ")[0].lstrip("| ") for line in table]
    assert [c for c in codes if c not in ("编号", "参数")][:len(national.rules)] == [r.code for r in national.rules]
    d01 = next(line for line in table if line.startswith("| D01 |"))
    assert "在 基准日前 党纪处分影响期（月）［党纪处分］ 个月内" in d01
    assert "警告 12，严重警告 18，撤销党内职务 24，开除党籍 60" in d01 and "纪律处分条例" in d01
    assert "取消资格（disqualify）" in d01
    assert "《中华人民共和国村民委员会组织法》（2018年修正）第十三条" in text and "http" not in text  # documents
    assert "**审查基准日**：2026-12-15" in text and "审定人（签字）" in text
    assert all(line.count(" | ") == len(COLUMNS) - 1 for line in table[:len(national.rules) + 1])


def test_parameters_in_force_on_the_as_of_date(tmp_path):
    pack = tmp_path / "dated.yaml"
    pack.write_text(textwrap.dedent("""
        id: dated
        title: 测试|竖线
        version: 1
        parameters:
          cap:
            description: 年龄上限（周岁）
            unit: 周岁
            values: {2020-01-01: 55, 2026-01-01: 50}
            local: true
            note: 县里自定
        rules:
          - code: X1
            name: 名称含|竖线
            category: 测试
            severity: review
            when: age > $cap
            reason: 年满{age}周岁
            basis: [{text: 某县方案, url: "https://example.org/a"}]
            note: 未核实
    """), encoding="utf-8")
    rules = load_ruleset(str(pack))
    assert "= 55周岁" in format_markdown(rules, dt.date(2025, 6, 1))
    assert "= 50周岁" in format_markdown(rules, dt.date(2026, 6, 1))
    latest = format_markdown(rules, None)
    assert "= 50周岁" in latest and "未指定（参数取最新值）" in latest
    assert "名称含\\|竖线" in latest and "【地方口径】" in latest and "未核实" in latest
    assert rule_row(rules.rule("X1"), rules, None)["口径"] == "地方口径"  # it reads a local figure
    assert "某县方案（https://example.org/a）" in latest
    early = rule_row(rules.rule("X1"), rules, dt.date(2019, 1, 1))
    assert "（该日尚未生效）" in early["参数（基准日有效值）"]


def test_xlsx_has_frozen_headers_every_rule_and_is_formula_safe(tmp_path, national):
    out = tmp_path / "审定表.xlsx"
    write_xlsx(national, AS_OF, out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["规则", "群体规则", "参数", "审定"]
    assert [r[0] for r in wb["群体规则"].iter_rows(min_row=2, values_only=True)] == [g.code for g in national.group_rules]
    ws = wb["规则"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert [ws.cell(row=i + 2, column=1).value for i in range(len(national.rules))] == [r.code for r in national.rules]
    assert ws.max_row == len(national.rules) + 1
    d01 = next(row for row in ws.iter_rows(min_row=2, values_only=True) if row[0] == "D01")
    assert d01 == tuple(rule_row(national.rule("D01"), national, AS_OF)[c] or None for c in COLUMNS)
    assert wb["参数"].freeze_panes == "A2" and wb["参数"].max_row == len(national.parameters) + 1
    sign = {row[0]: row[1] for row in wb["审定"].iter_rows(values_only=True)}
    assert sign["审查基准日"] == "2026-12-15" and "审定人（签字）" in sign


def test_xlsx_neutralises_formulas_from_a_pack(tmp_path):
    pack = tmp_path / "evil.yaml"
    pack.write_text(textwrap.dedent("""
        id: evil
        title: 测试
        version: 1
        rules:
          - code: X1
            name: "=HYPERLINK(\\"http://x\\")"
            category: 测试
            severity: review
            when: incapacity == true
            reason: 命中
            basis: ["+1"]
    """), encoding="utf-8")
    out = tmp_path / "evil.xlsx"
    write_xlsx(load_ruleset(str(pack)), None, out)
    row = next(load_workbook(out)["规则"].iter_rows(min_row=2, values_only=True))
    assert row[1].startswith("'=") and row[COLUMNS.index("依据")] == "'+1"


def test_xlsx_write_is_atomic(tmp_path, national, monkeypatch):
    out = tmp_path / "old.xlsx"
    out.write_bytes(b"previous report")

    def boom(self, path):  # noqa: ANN001
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr("openpyxl.Workbook.save", boom)
    with pytest.raises(InputError, match="disk full.*原有文件保持不变"):
        write_xlsx(national, AS_OF, out)
    assert out.read_bytes() == b"previous report"
    assert os.listdir(tmp_path) == ["old.xlsx"]


def test_export_command(runner, tmp_path):
    md = runner.invoke(cli, ["rules", "export", "--as-of", "2026-12-15"])
    assert md.exit_code == 0 and md.output.startswith("# 全国基准") and "| D01 |" in md.output
    out = tmp_path / "上虞.xlsx"
    xlsx = runner.invoke(cli, ["rules", "export", "-r", "zhejiang-shangyu-2013", "--as-of", "2026-12-15",
                               "-o", str(out)])
    assert xlsx.exit_code == 0, xlsx.output
    assert load_workbook(out)["规则"]["A2"].value == "A01"
    md_file = tmp_path / "county.md"
    assert runner.invoke(cli, ["rules", "export", "-r", "county-template", "-o", str(md_file)]).exit_code == 0
    assert "| P01 |" in md_file.read_text(encoding="utf-8")
    refused = runner.invoke(cli, ["rules", "export", "--format", "xlsx"])
    assert refused.exit_code == 2 and "-o" in refused.output
    reserve = export_ruleset(load_ruleset("reserve"), AS_OF, "md", None)
    assert reserve.count("| R0") == 8 and "| R01 | 村党组织书记后备力量不足 | 群体规则（按村） |" in reserve
    assert "| R08 | 村\"两委\"后备力量不足 | 群体规则（按村） |" in reserve


@pytest.mark.parametrize("pack", ["national", "reserve", "zhejiang-shangyu-2013", "county-template"])
def test_rules_show_prints_what_the_export_row_says(runner, pack):
    rules = load_ruleset(pack)
    for rule in rules.rules:
        shown = rule_text(rule, rules, AS_OF)
        for column, cell in rule_row(rule, rules, AS_OF).items():
            for line in filter(None, cell.splitlines()):
                assert line in shown, (pack, rule.code, column, line)
    result = runner.invoke(cli, ["rules", "show", "C01", "-r", pack, "--as-of", "2026-12-15"])
    assert result.exit_code == 0 and rule_row(rules.rule("C01"), rules, AS_OF)["条件"] in result.output


# ---------------------------------------------------------------- national / local line (地方口径)

LOCAL_IN_NATIONAL = {"C05", "C06", "D04", "S01", "S02", "S03", "S04", "S05", "S06", "S07", "O01", "G04"}


def test_every_local_item_of_the_national_pack_is_marked_with_its_places(national):
    rows = {r.code: rule_row(r, national, AS_OF) for r in national.rules}
    rows.update({row["编号"]: row for row in group_rule_rows(national, AS_OF)})
    marked = {code for code, row in rows.items() if row["口径"].startswith("地方口径")}
    assert marked == LOCAL_IN_NATIONAL
    assert all(row["口径"] == "全国规定（法律、党内法规、中央文件）" for code, row in rows.items() if code not in marked)
    assert "安徽省淮南市" in rows["S01"]["口径"] and "山西省2014年" in rows["C05"]["口径"]
    assert "宁夏回族自治区" in rows["G04"]["口径"]
    header = dict(header_lines(national, AS_OF))
    assert header["口径"].startswith(f"全国规定 {len(rows) - len(marked)} 条；地方口径 {len(marked)} 条（")
    params = {row["参数"]: row["地方口径"] for row in parameter_rows(national, AS_OF)}
    assert {name for name, mark in params.items() if mark == "是"} == {
        "$detention_lookback_months", "$petition_lookback_months", "$unqualified_member_lookback_months",
        "$youth_age", "$youth_min", "$org_handling_lookback_months"}


def _params_used(rule) -> set[str]:  # noqa: ANN001 - a Rule or a GroupRule
    if hasattr(rule, "params"):
        return set(rule.params)
    used = set(referenced_params(rule.where)) if rule.where is not None else set()
    return used | {str(b)[1:] for b in (rule.minimum, rule.maximum) if isinstance(b, str)}


@pytest.mark.parametrize("pack", ["national", "reserve", "zhejiang-shangyu-2013", "county-template"])
def test_a_rule_reading_a_local_figure_is_local_and_a_local_item_names_its_places(pack):
    rules = load_ruleset(pack)
    for rule in [*rules.rules, *rules.group_rules]:
        reads_local = any(rules.parameters[p].local for p in _params_used(rule))
        if reads_local:
            assert rule.local, (pack, rule.code)
        if rule.local and not rule.places:
            assert reads_local, (pack, rule.code, "a local item names the places that use it")


def test_reserve_rules_are_all_local_and_the_export_says_so():
    reserve = load_ruleset("reserve")
    own = [r for r in [*reserve.rules, *reserve.group_rules] if r.code.startswith("R")]
    assert [r.code for r in own] == ["R02", "R03", "R04", "R05", "R06", "R07", "R01", "R08"]
    assert all(r.local and r.places for r in own)
    text = format_markdown(reserve, AS_OF)
    r07 = next(line for line in text.splitlines() if line.startswith("| R07 |"))
    assert "不宜（unsuitable）" in r07 and "地方口径（河北省涞源县" in r07
    r02 = next(line for line in text.splitlines() if line.startswith("| R02 |"))
    assert "提示（notice）" in r02


def test_a_local_finding_says_so_in_its_basis(national):
    from vetting.pipeline import vet_records
    people = [{"姓名": "甲", "公民身份号码": "510525198006150116", "拟任职务": "村委会委员", "村(社区)": "平丰村",
               "失信被执行人": "是", "刑事处罚": "有期徒刑", "刑事处罚日期": "2001-01-01"}]
    found = vet_records(people, national, AS_OF).findings.set_index("rule")["basis"]
    assert found["S01"].startswith("【地方口径（安徽省淮南市") and "淮南" in found["S01"]
    assert not found["C01"].startswith("【") and "地方口径" not in found["C01"]
