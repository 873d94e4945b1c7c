"""Reading rosters (vetting/inputs/): cell text, file kinds and encodings, CSV line numbers,
template and footer rows, and read_tables on small generated files."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.errors import InputError
from vetting.fields import alias_index, builtin_fields
from vetting.inputs import RawTable, read_tables
from vetting.inputs.cells import column_letter, column_text
from vetting.inputs.delimited import read_delimited
from vetting.inputs.reader import row_list
from vetting.inputs.region import Cells, footer_rows, is_footer_text, last_person, repeated_header_rows, template_rows
from vetting.inputs.sniff import BINARY, EMPTY, HTML, OLE2, TEXT, ZIP, detect_encoding, head_text, sniff
from vetting.inputs.table import distinct_names
from vetting.normalize.roster import normalise_tables

FIELDS = builtin_fields()
HEADER = ["序号", "姓名", "公民身份号码", "拟任职务", "村(社区)"]
PERSON = ["1", "张三", "510525197205140135", "村委会委员", "平丰村"]


# ---- cells -------------------------------------------------------------------------------------

def test_cell_text_keeps_lost_id_digits_detectable_and_numbers_readable():
    values = np.array([510525197205140135, 5.105251972051402e17, 510525720514013.0, 3.0, 1988.03, 1988.1,
                       True, False, None, float("nan"), "文本", dt.date(1988, 3, 1),
                       dt.datetime(1988, 3, 1), dt.datetime(1988, 3, 1, 8, 30)], dtype=object)
    # a date cell on the 1st reads as its month: Excel stores a typed "1988-03" as 1988-03-01
    text = list(column_text(values))
    assert text[0] == f"{float(510525197205140135):.15E}" and text[1] == "5.105251972051402E+17"
    assert text[2:] == ["510525720514013", "3", "1988.03", "1988.1",
        "是", "否", "", "", "文本", "1988-03", "1988-03", "1988-03-01 08:30:00"]


def test_cell_text_fast_paths():
    assert list(column_text(np.array(["a", ""], dtype=object))) == ["a", ""]
    assert list(column_text(np.array([1.0, 2.5, float("nan")], dtype=object))) == ["1", "2.5", ""]
    assert list(column_text(np.array([], dtype=object))) == []


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


# ---- file kinds and encodings --------------------------------------------------------------------

@pytest.mark.parametrize("head,kind", [
    (b"", EMPTY), (b" \r\n", EMPTY), (b"PK\x03\x04rest", ZIP), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2),
    (b"<html><table>", HTML), (b"\xef\xbb\xbf<!DOCTYPE html>", HTML), ("姓名,性别".encode(), TEXT),
    (codecs.BOM_UTF16_LE + "姓名".encode("utf-16-le"), TEXT), (b"ab\x00cd", BINARY)])
def test_sniff(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize("raw,expected", [
    ("姓名,性别\n".encode("utf-8"), "utf-8-sig"), (codecs.BOM_UTF8 + "姓名".encode(), "utf-8-sig"),
    ("姓名,性别\n".encode("gbk"), "gb18030"), ("䶮".encode("gb18030"), "gb18030"),
    ("姓名".encode("utf-16"), "utf-16")])
def test_encoding_detection(raw, expected):
    assert detect_encoding(raw, None, "f.csv") == expected


def test_given_encoding_that_does_not_fit_names_the_line():
    raw = "姓名,性别\n张三,男\n".encode("utf-8") + "李四,女\n".encode("gbk")
    with pytest.raises(InputError, match="f.csv：不能按编码「utf-8」读取：第3行"):
        detect_encoding(raw, "utf-8", "f.csv")
    with pytest.raises(InputError, match="未知的编码"):
        detect_encoding(raw, "no-such-codec", "f.csv")


def test_control_characters_mean_binary():
    with pytest.raises(InputError, match="二进制"):
        head_text(bytes(range(1, 32)) * 20, "gb18030", "f.csv")
    assert head_text("\ufeff姓名".encode("utf-8"), "utf-8", "f.csv") == ("姓名", True)


# ---- CSV line numbers ----------------------------------------------------------------------------

cell_text = st.lists(st.sampled_from(["a", '"', "\n", "\r\n", "\r", "张", " "]), max_size=6).map("".join)
LINE_HEADER = ["姓名", "公民身份号码", "拟任职务", "村(社区)"]


@settings(max_examples=100, deadline=None)
@given(records=st.lists(st.lists(cell_text, min_size=4, max_size=4), min_size=1, max_size=12),
       encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
       ending=st.sampled_from(["\n", "\r\n", "\r"]), last_line_ended=st.booleans())
def test_row_numbers_are_the_lines_an_editor_shows(records, encoding, ending, last_line_ended):
    """Records whose quoted cells hold LF, CR LF or a lone CR, lines ending in any of them: each
    record's row number is the line the csv module (and an editor) says it starts on."""
    text = io.StringIO()
    csv.writer(text, lineterminator=ending).writerows([LINE_HEADER, *records])
    if not last_line_ended:
        text = io.StringIO(text.getvalue().removesuffix(ending))
    expected, start = [], 1
    reader = csv.reader(io.StringIO(text.getvalue(), newline=""))
    for _ in reader:
        expected.append(start)
        start = reader.line_num + 1
    raw = text.getvalue().encode(encoding)
    table = read_delimited(raw, text.getvalue(), True, encoding, alias_index(FIELDS), "f.csv")
    assert list(table.lines) == expected[1:]


def test_row_list_is_compact():
    assert row_list(np.array([4, 5, 6, 9, 11, 12])) == "第4–6、9、11–12行"
    assert row_list(np.arange(1, 30, 2)).endswith("等行")


# ---- template rows and footers -----------------------------------------------------------------

def frame(rows, columns=HEADER):
    return pd.DataFrame(rows, columns=columns, dtype=object)


def test_rows_with_only_a_number_are_template_rows_not_people():
    table = frame([PERSON, ["2", "", "", "", ""], ["3", " ", "", "\u3000", ""], ["", "李四", "", "", ""]])
    assert list(template_rows(table)) == [False, True, True, False]


def test_a_row_repeating_the_header_is_skipped_and_named_not_a_person(tmp_path):
    table = frame([PERSON, HEADER, ["", "姓名", "公民身份号码", "", ""], ["2", "姓名", "", "村委会委员", "平丰村"],
                   ["3", "拟任职务", "村(社区)", "", ""]])
    # a heading in its own column in two cells and most of the filled ones; a person named "姓名" is not
    assert list(repeated_header_rows(table)) == [False, True, True, False, False]
    path = tmp_path / "名册.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER, PERSON, HEADER, ["2", "李四", "", "村委会委员", "平丰村"]]),
                    encoding="utf-8")
    (read,) = read_tables(str(path), FIELDS)
    assert "跳过重复的表头行1行：第3行" in "；".join(read.notes) and "共2人" in "；".join(read.notes)
    candidates = normalise_tables([read], FIELDS)
    assert list(candidates.frame["source_row"]) == [2, 4]
    assert candidates.inputs[0]["blank_rows_skipped"] == 0        # a heading is not a blank row
    book = openpyxl.Workbook()
    for row in [HEADER, PERSON, HEADER, HEADER, ["", "", "", "", ""], ["2", "李四", "", "村委会委员", "平丰村"]]:
        book.active.append(row)
    book.save(tmp_path / "名册.xlsx")
    (read,) = read_tables(str(tmp_path / "名册.xlsx"), FIELDS)
    assert "跳过重复的表头行2行：第3–4行" in "；".join(read.notes)
    assert normalise_tables([read], FIELDS).inputs[0]["blank_rows_skipped"] == 1


def test_a_repeated_two_row_header_is_skipped_whole(tmp_path):
    """Office rosters (a title, 基本情况 / 联审部门意见 over the headings) pasted one under another."""
    book = openpyxl.Workbook()
    sheet = book.active
    band = [["序号", "基本情况", "", "", "联审部门意见", ""], ["", "姓名", "公民身份号码", "拟任职务", "公安", "法院"]]
    people = [["1", "张三", "510525197205140135", "村委会委员", "无", "无"],
              ["2", "李四", "", "村委会委员", "未反馈", ""]]
    for row in [["平丰村人选资格联审表", "", "", "", "", ""], *band, people[0], *band, people[1]]:
        sheet.append(row)
    for top in (2, 5):
        sheet.merge_cells(start_row=top, start_column=2, end_row=top, end_column=4)
        sheet.merge_cells(start_row=top, start_column=5, end_row=top, end_column=6)
        sheet.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
    book.save(tmp_path / "名册.xlsx")
    (read,) = read_tables(str(tmp_path / "名册.xlsx"), FIELDS)
    notes = "；".join(read.notes)
    assert "第2–3行（两行表头）" in notes and "跳过重复的表头行2行：第5–6行" in notes and "共2人" in notes
    assert list(normalise_tables([read], FIELDS).frame["source_row"]) == [4, 7]


@pytest.mark.parametrize("text,footer", [
    ("填表人：张三", True), ("填表人:张三 审核人:李四", True), ("审核人", True), ("注：1.本表一式三份", True),
    ("注1.本表", True), ("单位（盖章）", True), ("合计", True), ("说明：……", True),
    ("张三", False), ("填表人员培训", False), ("备注栏", False), ("平丰村", False), ("", False)])
def test_footer_words(text, footer):
    assert is_footer_text(text) is footer


def test_footers_only_after_the_last_person():
    table = frame([PERSON, ["", "合计", "", "", ""], ["2", "李四", "x", "委员", "村"], ["3", "", "", "", ""],
                   ["填表人：王五", "", "", "", ""], ["", "", "", "", ""], ["", "注：此表一式两份", "", "", ""]])
    template = template_rows(table)
    footer = footer_rows(table, template)
    assert list(np.flatnonzero(footer)) == [4, 6]   # "合计" between people stays a row
    assert not footer[:4].any()


def test_a_footer_block_longer_than_the_window_is_found_whole():
    """The bottom-up search grows its window (256 rows, then 1,024): 700 footer lines below the
    last person are all footers, and the person above them is the cut, with one set of cells."""
    rows = [PERSON] * 3 + [["", "", "", "", ""]] * 5 + [["填表人：王五", "", "", "", ""]] * 700
    table = frame(rows)
    cells = Cells(table)
    template = template_rows(table, cells)
    assert last_person(table, template, cells) == 3
    footer = footer_rows(table, template, cells)
    assert int(footer.sum()) == 700 and footer[8:].all() and not footer[:8].any()
    only_footers = frame([["合计", "", "", "", ""]] * 300)
    assert last_person(only_footers, template_rows(only_footers)) == 0


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(["", " ", "1", "张三", "填表人：王五", "注：说明", "合计", "无"]),
                              min_size=3, max_size=3), max_size=15))
def test_no_person_is_ever_a_footer(rows):
    table = frame(rows, ["序号", "姓名", "备注"]) if rows else frame([], ["序号", "姓名", "备注"])
    template = template_rows(table)
    footer = footer_rows(table, template)
    assert not (footer & template).any() or all(is_footer_text(r[0]) for r in np.array(rows)[footer & template])
    if footer.any():
        first = int(np.flatnonzero(footer)[0])
        for i in range(first, len(rows)):  # from the first footer on, nothing is a person
            texts = [c.strip() for c in rows[i] if c.strip()]
            person_like = texts and not (template[i] or footer[i])
            assert not person_like, rows


# ---- read_tables on files -------------------------------------------------------------------------


def read_one(path, fields, **options) -> RawTable:
    """The one table a file gives."""
    tables = read_tables(path, fields, **options)
    assert len(tables) == 1
    return tables[0]

def write_xlsx(path, rows, start_row=1, start_col=1, sheets=None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, sheet_rows, hidden in sheets or [("花名册", rows, False)]:
        sheet = book.create_sheet(name)
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                if value not in ("", None):
                    sheet.cell(row=start_row + r, column=start_col + c, value=value)
        if hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def test_row_numbers_are_sheet_rows_even_with_leading_blank_rows_and_columns(tmp_path):
    table = read_one(write_xlsx(tmp_path / "r.xlsx", [HEADER, PERSON, PERSON], start_row=4, start_col=3),
                       FIELDS)
    assert table.header_row == 4
    assert list(table.source_rows) == [5, 6]
    assert list(table.frame.columns[:2]) == ["第A列", "第B列"]
    assert table.frame["姓名"].tolist() == ["张三", "张三"]


def test_id_numbers_typed_as_numbers(tmp_path):
    rows = [HEADER, ["1", "张三", 510525197205140135, "委员", "村"], ["2", "李四", 510525720514013, "委员", "村"]]
    table = read_one(write_xlsx(tmp_path / "n.xlsx", rows), FIELDS)
    ids = table.frame["公民身份号码"].tolist()
    assert ids[0].startswith("5.1052519720514") and ids[0].endswith("E+17")  # never a plausible 18 digits
    assert ids[1] == "510525720514013"  # 15 digits fit a double exactly


def test_visible_roster_sheet_is_preferred_to_a_hidden_one(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", None, sheets=[
        ("模板", [HEADER, PERSON], True), ("说明", [["请填写"]], False), ("花名册", [HEADER, PERSON, PERSON], False)])
    table = read_one(path, FIELDS)
    assert table.sheet == "花名册" and len(table.frame) == 2
    assert "共3个工作表" in table.notes[0]
    assert read_one(path, FIELDS, sheet="模板").sheet == "模板"
    assert read_one(path, FIELDS, sheet="1").sheet == "模板"


def test_hidden_sheet_is_used_when_it_alone_has_a_roster(tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", None, sheets=[("说明", [["请填写"]], False), ("数据", [HEADER, PERSON], True)])
    table = read_one(path, FIELDS)
    assert table.sheet == "数据" and "隐藏工作表" in table.notes[0]


def test_csv_with_trailing_delimiters_on_data_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(PERSON) + ",\n" + ",".join(PERSON) + ",\n", encoding="utf-8")
    table = read_one(path, FIELDS)
    assert list(table.frame.columns) == HEADER and len(table.frame) == 2


def test_csv_line_longer_than_the_header_beyond_the_scanned_lines(tmp_path):
    lines = [",".join(HEADER)] + [",".join(PERSON)] * 40 + [",".join(PERSON) + ",多出来的"]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="long.csv，第42行：这一行有6列，比表头的5列多"):
        read_one(path, FIELDS)


def test_csv_cells_larger_than_the_csv_module_limit_in_the_header_scan(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(",".join(HEADER) + "\n1,张三,x,委员," + "村" * 300_000 + "\n", encoding="utf-8")
    limit = csv.field_size_limit()
    table = read_one(path, FIELDS)
    assert len(table.frame.iloc[0]["村(社区)"]) == 300_000
    assert csv.field_size_limit() == limit < 300_000, "the csv module's own limit is restored"


def test_candidates_carry_detection_notes_and_counts(tmp_path):
    rows = [["XX县联审表"], HEADER, PERSON, ["2", "", "", "", ""], ["填表人：王五", "", "", "", ""]]
    table = read_one(write_xlsx(tmp_path / "c.xlsx", rows), FIELDS)
    assert isinstance(table, RawTable) and table.footer_rows == 1 and int(table.skipped.sum()) == 1
    candidates = normalise_tables([table], FIELDS)
    source = candidates.inputs[0]
    assert (source["rows"], source["blank_rows_skipped"], source["footer_rows_skipped"]) == (1, 1, 1)
    assert any("表头：第2行" in n for n in source["notes"])
    assert candidates.frame["source_row"].tolist() == [3]


@pytest.mark.parametrize("name,content,message", [
    ("x.docx", b"PK\x03\x04", "不支持的文件类型「.docx」"),
    ("x.csv", b"\n\n  \n", "文件是空的"),
    ("x.pdf.csv", b"%PDF-1.4 ...", "PDF文档"),
])
def test_refusals(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_one(path, FIELDS)


def test_a_folder_is_not_a_roster(tmp_path):
    with pytest.raises(InputError, match="这是一个文件夹"):
        read_one(tmp_path, FIELDS)


csv_like = st.lists(st.lists(st.sampled_from(HEADER + PERSON + ["", "填表人：王五", '"', "a,b", "\n", "1"]),
                             max_size=6), max_size=8).map(lambda rows: "\n".join(",".join(r) for r in rows))


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", codecs.BOM_UTF8,
                               codecs.BOM_UTF16_LE, b"<html>"]),
       body=st.one_of(st.binary(max_size=300), csv_like.map(lambda t: t.encode("utf-8")),
                      csv_like.map(lambda t: t.encode("gb18030"))),
       suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".txt"]),
       header_row=st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_any_bytes_give_a_table_or_a_project_error(tmp_path_factory, prefix, body, suffix, header_row):
    path = tmp_path_factory.mktemp("fuzz") / f"roster{suffix}"
    path.write_bytes(prefix + body)
    try:
        table = read_one(path, FIELDS, header_row=header_row)
    except InputError:
        return
    assert len(table.frame) == len(table.source_rows) == len(table.skipped) and not table.skipped.all()


def test_date_cells_keep_their_day_unless_it_is_the_first():
    values = np.array([dt.date(2025, 10, 8), dt.date(2025, 10, 1), dt.datetime(2025, 2, 1)], dtype=object)
    assert list(column_text(values)) == ["2025-10-08", "2025-10", "2025-02"]


def test_files_of_one_name_are_named_from_the_folder_where_their_paths_part(tmp_path):
    paths = [tmp_path / "甲镇" / "x" / "名册.csv", tmp_path / "乙镇" / "x" / "名册.csv", tmp_path / "丙.csv"]
    assert distinct_names(paths) == ["甲镇/x/名册.csv", "乙镇/x/名册.csv", "丙.csv"]
    assert distinct_names([tmp_path / "a" / "名册.csv", tmp_path / "名册.xlsx"]) == ["名册.csv", "名册.xlsx"]
