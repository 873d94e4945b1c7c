"""The CLI in Chinese: Click's own texts (usage errors, help boilerplate) come out in Chinese, help
pages carry examples and fit a 78-column terminal, stderr is masked; and the library functions the
commands call (single checks, run summary, run options) behave on their own."""

from __future__ import annotations

import ast
import csv
import json
import re
import shutil
import string
from pathlib import Path

import click
import pytest

from conftest import FIXTURES
from vetting.cli import catalog as cli_catalog
from vetting.cli import cli
from vetting.cli.help_format import ChineseCommand, display_width, fill, wrap_paragraphs
from vetting.errors import OptionError, VettingError
from vetting.normalize.idcard import check_char
from vetting.pipeline import ReadOptions, vet_files
from vetting.reports import FORMATS
from vetting.ruleset.loader import load_ruleset
from vetting.runoptions import history_options, report_format
from vetting.runsummary import MAX_UNMATCHED_REPLIES, fail_on_hit, summary_lines
from vetting.single import check_record, check_roster_row, load_json, record_from

DEMO_CSV = FIXTURES / "demo_roster.csv"
DEMO_XLSX = FIXTURES / "demo_roster.xlsx"
JOINT = FIXTURES / "joint"
TOWNSHIP = FIXTURES / "bad" / "township_by_village.xlsx"
AS_OF = ["--as-of", "2026-12-15"]
NATIONAL = load_ruleset("national")
ID17 = "51052519720514013"
ID_LIKE = ID17 + check_char(ID17)

HELP_PAGES = [[], ["run"], ["check"], ["rules"], ["rules", "list"], ["rules", "show"], ["rules", "validate"],
              ["rules", "packs"], ["rules", "export"], ["history"], ["history", "show"], ["history", "compare"],
              ["test"], ["template"], ["diff"], ["rules", "lint"]]
ENGLISH_BOILERPLATE = ["Usage:", "Options:", "Commands:", "Arguments:", "Show this message", "Show the version",
                       "[default:", "[required]", "[OPTIONS]", "COMMAND", "[ARGS]", "Error:", "Try '"]
#: Click's English metavars for its types, which would show where an option has no metavar of its own.
ENGLISH_METAVAR = re.compile(r"\b(TEXT|INTEGER|FLOAT|FILE|FILENAME|PATH|DIRECTORY|BOOLEAN|RANGE)\b")


# ------------------------------------------------------------------ help pages


@pytest.mark.parametrize("command", HELP_PAGES, ids=lambda c: " ".join(c) or "vet")
def test_help_is_chinese_with_examples_and_fits_the_terminal(runner, command):
    result = runner.invoke(cli, [*command, "--help"], terminal_width=78)
    assert result.exit_code == 0, result.output
    text = result.output
    for english in ENGLISH_BOILERPLATE:
        assert english not in text, (english, text)
    assert not ENGLISH_METAVAR.search(text), text
    assert text.startswith(f"用法：vet {' '.join(command)}".rstrip() + " [选项]")
    assert "\n选项：\n" in text and "显示本帮助并退出。" in text
    assert "示例：" in text and re.search(rf"^ +vet {' '.join(command)}".rstrip(), text, re.M)
    assert max(display_width(line) for line in text.splitlines()) <= 78


def test_top_level_help_lists_commands_with_chinese_descriptions(runner):
    text = runner.invoke(cli, ["-h"]).output
    assert "联审工具" in text and "\n命令：\n" in text and "显示版本号并退出。" in text
    for name, words in [("run", "批量审查"), ("check", "审查单个人选"), ("rules", "规则集"), ("test", "回归案例"),
                        ("history", "审查记录"), ("template", "花名册模板")]:
        assert re.search(rf"^  {name} +\S*{words}", text, re.M), name


def test_defaults_and_ranges_read_in_chinese(runner):
    text = runner.invoke(cli, ["history", "--help"]).output
    assert "[默认：20; x>=1]" in text
    assert "[默认：national]" in runner.invoke(cli, ["run", "--help"]).output


def test_version_is_chinese(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"vet 版本 \S+\n", result.output)


# ------------------------------------------------------------------ usage errors


@pytest.mark.parametrize("args,fragments", [
    (["run"], ["缺少参数 '花名册...'。"]),
    (["history", "compare", "1"], ["缺少参数 '记录B'。"]),
    (["run", str(DEMO_CSV), "--engine", "rete"], ["'--engine' 的值无效", "'rete' 不是可选值 'vector', 'durable' 之一"]),
    (["run", str(DEMO_CSV), "--as-of", "2026-13-01"], ["'--as-of' 的值无效", "日期「2026-13-01」无效，应为 YYYY-MM-DD"]),
    (["run", str(DEMO_CSV), "--as-off", "2026-12-15"], ["没有选项 ", "--as-off", "是否想写：", "--as-of"]),
    (["check", "--row", "五", *AS_OF], ["'--row' 的值无效：'五' 不是有效的整数。"]),
    (["history", "--limit", "0"], ["'--limit' 的值无效：0 不在范围 x>=1 内。"]),
    (["run", str(DEMO_CSV), "--ruleset"], ["选项 '--ruleset' 需要一个值。"]),
    (["frobnicate"], ["没有命令 'frobnicate'。"]),
    (["run", str(DEMO_CSV), *AS_OF, "-o", "out.txt"], ["--format 的值无效：无法从输出文件名判断格式「txt」"]),
])
def test_usage_errors_are_chinese_and_exit_two(runner, args, fragments):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "错误：" in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    for english in ("Usage", "Error", "Try '", "Invalid value", "No such", "Missing", "is not", "requires"):
        assert english not in result.output, result.output


def test_usage_error_shows_chinese_usage_and_help_hint(runner):
    lines = runner.invoke(cli, ["run"]).output.splitlines()
    assert lines[0] == "用法：vet run [选项] 花名册..." and re.fullmatch("运行「vet run (-h|--help)」查看帮助。", lines[1])


@pytest.mark.parametrize("args,fragment", [
    ([], "缺少选项 '--level'（可选：甲、乙）。"),
    (["--level", "丙"], "'--level' 的值无效：'丙' 不是可选值 '甲', '乙' 之一。"),
    (["--level", "甲", "--count", "x"], "'--count' 的值无效：'x' 不是有效的整数。"),
])
def test_a_required_option_missing_or_invalid_is_chinese(runner, args, fragment):
    """vet has no required option; a command built on the same classes shows that one would read well."""

    @click.command(cls=ChineseCommand)
    @click.option("--level", type=click.Choice(["甲", "乙"]), required=True)
    @click.option("--count", type=int)
    def command(level, count):  # noqa: ARG001
        pass

    result = runner.invoke(command, args)
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "Missing" not in result.output and "Error" not in result.output


def test_required_option_is_marked_in_chinese(runner):
    @click.command(cls=ChineseCommand)
    @click.option("--level", required=True, help="等级。")
    def command(level):  # noqa: ARG001
        pass

    text = runner.invoke(command, ["--help"]).output
    assert "[必填]" in text and "[required]" not in text and "文本" in text


# ------------------------------------------------------------------ the catalog


def _click_msgids() -> list[tuple[str, str | None]]:
    """Every (msgid, plural msgid) Click's installed source passes to `_` or `ngettext`."""
    found = []
    for path in sorted(Path(click.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id == "_" and texts:
                found.append((texts[0], None))
            elif node.func.id == "ngettext" and len(texts) == 2:
                found.append((texts[0], texts[1]))
    return found


def _fields(text: str) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return names | set(re.findall(r"%\((\w+)\)s", text))


def test_catalog_translates_every_click_text_of_the_installed_click():
    msgids = _click_msgids()
    assert len(msgids) > 50
    missing = [m for m, plural in msgids if (m not in cli_catalog.PLURAL_CATALOG if plural else
                                              m not in cli_catalog.CATALOG)]
    assert not missing, f"Click texts without a Chinese translation: {missing}"


def test_translations_keep_clicks_placeholders():
    for msgid, text in cli_catalog.CATALOG.items():
        assert _fields(text) <= _fields(msgid), msgid
    plurals = dict(m for m in _click_msgids() if m[1])
    for singular, (one, many) in cli_catalog.PLURAL_CATALOG.items():
        allowed = _fields(singular) | _fields(plurals.get(singular, ""))
        assert _fields(one) <= allowed and _fields(many) <= allowed, singular


def test_install_patches_clicks_gettext_once():
    import click.core
    import click.exceptions

    cli_catalog.install()
    cli_catalog.install()
    assert click.core._ is cli_catalog.gettext and click.exceptions.ngettext is cli_catalog.ngettext
    assert click.exceptions._("Error: {message}") == "错误：{message}"
    assert cli_catalog.gettext("not a Click text") == "not a Click text"
    assert cli_catalog.ngettext("one thing", "{n} things", 2) == "{n} things"


# ------------------------------------------------------------------ layout


def test_display_width_counts_chinese_as_two_columns():
    assert display_width("选项") == 4 and display_width("vet 选项：") == 10


def test_fill_breaks_chinese_without_overflowing_or_orphaning_punctuation():
    text = "只读取指定的工作表（名称或序号）；默认读取所有含花名册表头的可见工作表，共计若干个。" * 2
    lines = fill(text, 30)
    assert "".join(lines) == text
    assert all(display_width(line) <= 30 for line in lines)
    assert not any(line[0] in "，。；）" for line in lines[1:])
    assert not any(line[-1] in "（「" for line in lines)


def test_fill_keeps_words_and_raw_blocks_whole():
    assert fill("审查 --as-of 2026-12-15 结果", 12) == ["审查 --as-of", "2026-12-15", "结果"]
    lines = wrap_paragraphs("说明。\n\n\b\n示例：\n  vet run 花名册.xlsx --as-of 2026-12-15 -o 审查结果.xlsx", 20, "  ")
    assert lines == ["  说明。", "", "  示例：", "    vet run 花名册.xlsx --as-of 2026-12-15 -o 审查结果.xlsx"]


# ------------------------------------------------------------------ stderr masking


def test_stderr_masks_an_id_like_number_in_a_file_name(runner, tmp_path):
    roster = tmp_path / f"花名册{ID_LIKE}.csv"
    shutil.copy(DEMO_CSV, roster)
    out = tmp_path / f"结果{ID_LIKE}.json"
    result = runner.invoke(cli, ["run", str(roster), *AS_OF, "-o", str(out), "--no-history"])
    assert result.exit_code == 0, result.output
    assert ID_LIKE not in result.stderr
    masked = ID_LIKE[:6] + "*" * 8 + ID_LIKE[-4:]
    assert f"读取 花名册{masked}.csv：" in result.stderr and f"结果{masked}.json" in result.stderr
    assert out.exists()


def test_errors_on_stderr_are_masked(runner, tmp_path):
    result = runner.invoke(cli, ["run", str(tmp_path / f"无此文件{ID_LIKE}.csv"), *AS_OF, "--no-history"])
    assert result.exit_code == 2 and "错误：" in result.stderr and ID_LIKE not in result.output


# ------------------------------------------------------------------ library: single checks


def test_check_roster_row_finds_the_row_the_user_sees():
    checked = check_roster_row(str(DEMO_XLSX), 4, NATIONAL, _date(), engine="vector")
    assert checked.result.candidates.loc[checked.row_id, "source_row"] == 4 and checked.hints == ()


def test_check_roster_row_names_the_data_rows_when_the_row_is_missing():
    with pytest.raises(VettingError, match="没有第999行的人选（数据行为第4至30行）"):
        check_roster_row(str(DEMO_XLSX), 999, NATIONAL, _date(), engine="vector")


def test_check_roster_row_refuses_a_row_of_several_sheets():
    with pytest.raises(VettingError, match="请用 --sheet 指定工作表，如 --sheet 甲村 --row 4"):
        check_roster_row(str(TOWNSHIP), 4, NATIONAL, _date(), engine="vector")
    chosen = check_roster_row(str(TOWNSHIP), 4, NATIONAL, _date(), ReadOptions(sheet="乙村"), engine="vector")
    assert chosen.result.candidates.loc[chosen.row_id, "name"] == "钱五"


def test_check_record_names_ignored_fields_masked():
    checked = check_record({"姓名": "张三", "公民身份号码": ID_LIKE, f"备注{ID_LIKE}": "x"}, NATIONAL, _date(),
                           engine="vector")
    assert checked.row_id == 0 and len(checked.result.candidates) == 1
    assert len(checked.hints) == 1 and "未识别的字段「备注510525" in checked.hints[0] and ID_LIKE not in checked.hints[0]


def test_check_record_refuses_an_all_blank_record():
    with pytest.raises(VettingError, match="全部为空"):
        check_record({"姓名": "  "}, NATIONAL, _date(), engine="vector")


def test_record_from_pairs_and_json(tmp_path):
    path = tmp_path / "人选.json"
    path.write_text(json.dumps({"姓名": "李四"}, ensure_ascii=False), encoding="utf-8")
    assert record_from({"姓名": "张三", "性别": "男"}, f"@{path}") == {"姓名": "李四", "性别": "男"}
    assert record_from({}) == {}
    with pytest.raises(VettingError, match="人选JSON：应为一个对象"):
        load_json("[1, 2]")
    with pytest.raises(VettingError, match="无法读取人选JSON"):
        load_json(f"@{tmp_path / 'missing.json'}")


# ------------------------------------------------------------------ library: run summary and options


def test_summary_lines_of_a_real_run():
    result = vet_files([str(DEMO_CSV)], NATIONAL, _date())
    lines = summary_lines(result, "out.json")
    assert lines[0].startswith("读取 demo_roster.csv：编码 UTF-8")
    assert lines[1] == "已审查 27 人（取消资格 8，不宜 3，需复核 7，待反馈 1，通过 8）；报告：out.json"
    assert summary_lines(result)[1].endswith("通过 8）")


def test_unmatched_reply_rows_are_listed_at_most_twenty_times(runner, tmp_path):
    reply = tmp_path / "公安回复.csv"
    with reply.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["序号", "姓名", "公民身份号码", "核查情况", "处理日期", "文号"])
        for i in range(25):
            id17 = f"5105251970010{i:02d}01"[:17]
            writer.writerow([i + 1, f"外村人{i}", id17 + check_char(id17), "2021年因盗窃罪被判处拘役三个月", "", ""])
    read = ReadOptions(replies=(("公安", str(reply)),))
    result = vet_files([str(JOINT / "opinions_roster.csv")], NATIONAL, _date("2027-04-15"), read)
    assert len(result.meta["unmatched_replies"]) == 25
    lines = [line for line in summary_lines(result) if "在花名册中找不到对应人选" in line]
    assert len(lines) == MAX_UNMATCHED_REPLIES == 20
    assert lines[0] == "提示：公安回复.csv 第2行（公安）在花名册中找不到对应人选"
    assert any(line.startswith("待反馈：") for line in summary_lines(result))


@pytest.mark.parametrize("fail_on,expected", [(None, False), ("disqualified", False), ("unsuitable", False),
                                              ("review", True), ("pending", True)])
def test_fail_on_hit_counts_the_level_and_worse(fail_on, expected):
    counts = {"disqualified": 0, "unsuitable": 0, "review": 2, "pending": 0, "pass": 5}
    assert fail_on_hit(counts, fail_on) is expected
    assert fail_on_hit({**counts, "review": 0}, fail_on) is False


@pytest.mark.parametrize("fmt,output,expected", [
    (None, None, "json"), (None, "r.CSV", "csv"), (None, "r.xlsx", "xlsx"), ("csv", "r.json", "csv"),
    ("json", None, "json"),
])
def test_report_format(fmt, output, expected):
    assert report_format(fmt, output) == expected in FORMATS


@pytest.mark.parametrize("fmt,output,option,fragment", [
    (None, "r.txt", "--format", "无法从输出文件名判断格式「txt」"), ("xlsx", None, "-o", "xlsx 格式需要用 -o"),
    (None, "report", "--format", "格式「」"),
])
def test_report_format_errors_name_the_option(fmt, output, option, fragment):
    with pytest.raises(OptionError, match=fragment) as raised:
        report_format(fmt, output)
    assert raised.value.option == option


def test_history_options_are_json_ready():
    read = ReadOptions("乙村", 3, "gb18030", {"身份证": "id_number"}, (("公安", "回复.csv"),))
    options = history_options(("a.xlsx",), "national", _date(), "csv", None, "review", False, read)
    assert json.loads(json.dumps(options, ensure_ascii=False)) == {
        "rosters": ["a.xlsx"], "ruleset": "national", "as_of": "2026-12-15", "format": "csv", "output": None,
        "fail_on": "review", "show_id": False, "sheet": "乙村", "header_row": 3, "encoding": "gb18030",
        "map": {"身份证": "id_number"}, "findings": [["公安", "回复.csv"]], "coverage": None}


def _date(text: str = "2026-12-15"):
    import datetime as dt

    return dt.date.fromisoformat(text)
