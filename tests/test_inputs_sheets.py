"""Several roster sheets in one workbook (one sheet per village): every visible roster sheet is
read as its own table, labelled ``file.xlsx[sheet]`` in reports and evidence; the sheets left
out are named with the reason; `vet check --row` refuses an ambiguous row number."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from conftest import FIXTURES
from vetting.cli import cli
from vetting.errors import InputError
from vetting.fields import builtin_fields
from vetting.inputs import read_tables
from vetting.inputs.excel import SheetSurvey, choose_sheets

FIELDS = builtin_fields()
TOWNSHIP = FIXTURES / "bad" / "township_by_village.xlsx"
AS_OF = ["--as-of", "2026-12-15"]
HEADER = ["序号", "姓名", "公民身份号码", "拟任职务", "村(社区)"]


def person(i, name, village):
    return [str(i), name, f"51052519720514{i:03d}5"[:18], "村委会委员", village]


def write_book(path, sheets, hidden=()):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


# --------------------------------------------------------------------------- reading


def test_every_visible_roster_sheet_becomes_its_own_labelled_table():
    tables = read_tables(TOWNSHIP, FIELDS)
    assert [(t.sheet, t.name, list(t.source_rows)) for t in tables] == [
        ("甲村", "township_by_village.xlsx[甲村]", [3, 4, 5]),
        ("乙村", "township_by_village.xlsx[乙村]", [3, 4])]
    assert [t.frame["姓名"].tolist() for t in tables] == [["张一", "李二", "王三"], ["赵四", "钱五"]]
    assert all(t.path == str(TOWNSHIP) and t.sha256 == tables[0].sha256 for t in tables)
    first = "；".join(tables[0].notes)
    assert "逐个读取：甲村、乙村、丙村" in first
    assert "「填表说明」（没有花名册表头）" in first and "「汇总」（没有花名册表头）" in first
    assert "「旧名单」（隐藏工作表" in first and "工作表「丙村」表头以下没有人选，未读取" in first
    assert tables[1].notes[0] == "工作表「乙村」" and "未读取" not in "；".join(tables[1].notes)


def test_sheet_option_reads_one_sheet_under_the_plain_file_name():
    tables = read_tables(TOWNSHIP, FIELDS, sheet="乙村")
    assert [(t.sheet, t.name) for t in tables] == [("乙村", "township_by_village.xlsx")]
    hidden = read_tables(TOWNSHIP, FIELDS, sheet="旧名单")
    assert hidden[0].frame["姓名"].tolist() == ["孙六"]


def test_single_sheet_workbooks_and_csv_keep_the_plain_name(tmp_path):
    book = write_book(tmp_path / "one.xlsx", [("花名册", [HEADER, person(1, "张三", "甲村")])])
    text = tmp_path / "one.csv"
    text.write_text(",".join(HEADER) + "\n" + ",".join(person(1, "张三", "甲村")) + "\n", encoding="utf-8")
    for path in (book, text):
        tables = read_tables(path, FIELDS)
        assert len(tables) == 1 and tables[0].name == path.name and tables[0].label is None


def test_no_sheet_with_people_refuses_the_file(tmp_path):
    path = write_book(tmp_path / "t.xlsx", [("甲村", [HEADER, ["1"]]), ("乙村", [HEADER])])
    with pytest.raises(InputError) as err:
        read_tables(path, FIELDS)
    assert "t.xlsx" in err.value.message and "没有人选数据" in err.value.message


def test_a_broken_roster_sheet_refuses_the_file_rather_than_being_skipped(tmp_path):
    broken = [HEADER + ["姓名"], person(2, "李四", "乙村") + ["李四"]]
    path = write_book(tmp_path / "b.xlsx", [("甲村", [HEADER, person(1, "张三", "甲村")]), ("乙村", broken)])
    with pytest.raises(InputError) as err:
        read_tables(path, FIELDS)
    assert "b.xlsx" in err.value.message and "乙村" in err.value.message


def _survey(*rows):
    return [SheetSurvey(name, i, score, visible, True) for i, (name, score, visible) in enumerate(rows)]


def test_sheet_choice_is_every_visible_roster_else_the_best_single_sheet():
    plan = choose_sheets(_survey(("说明", 0, True), ("甲", 5, True), ("乙", 3, True)), False, "f.xlsx")
    assert plan.names == ["甲", "乙"] and "「说明」（没有花名册表头）" in plan.notes[-1]
    hidden = choose_sheets(_survey(("说明", 0, True), ("旧", 5, False), ("新", 4, False)), False, "f.xlsx")
    assert hidden.names == ["旧"] and "为隐藏工作表" in hidden.notes[0] and "「新」（隐藏工作表" in hidden.notes[-1]
    one_visible = choose_sheets(_survey(("甲", 4, True), ("旧", 5, False)), False, "f.xlsx")
    assert one_visible.names == ["甲"] and "「旧」（隐藏工作表" in one_visible.notes[-1]
    with pytest.raises(InputError, match="没有任何工作表含有花名册表头"):
        choose_sheets(_survey(("说明", 0, True), ("汇总", 1, True)), False, "f.xlsx")


# --------------------------------------------------------------------------- through the CLI


def test_reports_and_evidence_name_the_sheet(runner, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(TOWNSHIP), *AS_OF, "-o", str(out), "--no-history"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [(c["file"], c["row"], c["name"]) for c in report["candidates"]] == [
        ("township_by_village.xlsx[甲村]", 3, "张一"), ("township_by_village.xlsx[甲村]", 4, "李二"),
        ("township_by_village.xlsx[甲村]", 5, "王三"), ("township_by_village.xlsx[乙村]", 3, "赵四"),
        ("township_by_village.xlsx[乙村]", 4, "钱五")]
    qian = report["candidates"][4]
    assert any(f["rule"] == "V04" and f["evidence"].startswith("township_by_village.xlsx[乙村] 第4行")
               for f in qian["findings"])
    assert [i["sheet"] for i in report["meta"]["inputs"]] == ["甲村", "乙村"]
    assert "未读取的工作表：" in result.stderr and "读取 township_by_village.xlsx[乙村]：" in result.stderr

    csv_out = tmp_path / "r.csv"
    assert runner.invoke(cli, ["run", str(TOWNSHIP), *AS_OF, "-o", str(csv_out), "--no-history"]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    assert [r["文件"] for r in rows][-2:] == ["township_by_village.xlsx[乙村]"] * 2


def test_check_row_with_several_roster_sheets_asks_for_the_sheet(runner):
    ambiguous = runner.invoke(cli, ["check", str(TOWNSHIP), "--row", "4", *AS_OF])
    assert ambiguous.exit_code == 2 and "Traceback" not in ambiguous.output
    assert "2个工作表含花名册表头（甲村、乙村）" in ambiguous.stderr and "第4行无法确定" in ambiguous.stderr
    assert "--sheet" in ambiguous.stderr
    chosen = runner.invoke(cli, ["check", str(TOWNSHIP), "--row", "4", "--sheet", "乙村", *AS_OF,
                                 "--engine", "vector"])     # the row choice, not the engine, is under test
    assert chosen.exit_code == 0, chosen.output
    assert "钱五" in chosen.stdout and "李二" not in chosen.stdout
