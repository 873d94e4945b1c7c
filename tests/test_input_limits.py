"""Reading rosters and reply files safely (issue #11 items 2, 3, 9, 13): what a workbook may claim,
binary content anywhere, mixed encodings, special files, quotes that merge lines, row numbers,
number cells that are two dates, --map headers.

Anything that could make the spreadsheet library allocate without bound runs in a child process
under an address-space cap (hostile.run_isolated); in this process only the pure measurements run.
"""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import python_calamine
from test_bad_inputs import _make_bad as make_bad

from conftest import FIXTURES
from hostile import run_isolated
from vetting.engine.text import format_vec
from vetting.engine.values import Vec
from vetting.errors import InputError
from vetting.fields import alias_index, builtin_fields
from vetting.inputs import RawTable, read_tables
from vetting.inputs.cells import fractional_numbers
from vetting.inputs.delimited import read_delimited
from vetting.inputs.limits import MAX_CELL_CHARS, count_text, size_text
from vetting.inputs.opendoc import table_reach
from vetting.inputs.package import check_package
from vetting.inputs.sniff import detect_encoding, refuse_binary
from vetting.normalize.dates import parse_dates, readings_text, two_readings
from vetting.normalize.headers import check_user_mapping
from vetting.pipeline import ReadOptions, load_candidates, run_engine
from vetting.ruleset.loader import load_ruleset

BAD = FIXTURES / "bad"
FIELDS = builtin_fields()
AS_OF = dt.date(2026, 12, 15)


def xlsx(tmp_path: Path, extra: str = "", rows: list[list[object]] | None = None, name: str = "t.xlsx") -> Path:
    """A small roster workbook whose sheet XML ends with ``extra`` (raw rows, any attributes)."""
    path = tmp_path / name
    sheet = make_bad()._sheet_xml(rows or [["姓名", "公民身份号码", "拟任职务"], ["张三", "", "村委会委员"]], extra)
    make_bad().write_raw_xlsx(path, sheet)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        check_package(path)
    return caught.value.message


# ---- how far a worksheet reaches -------------------------------------------------------------------

FAR = [  # cells the library places at XFD1048576, however the reference is written
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    '<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
    "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>",
    '<row r="1048576"><c s="0"\tr="XFD1048576" t="n"><v>1</v></c></row>',
    '<row r="1048576"><c\nr="XFD1048576"><v>1</v></c></row>',
    '<row r="3"><c r="XFD1048576"><v>1</v></c></row>',
    '<row r="1048576"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576">'
    "<x:v>1</x:v></x:c></row>",
]


@pytest.mark.parametrize("extra", FAR)
def test_a_far_cell_is_refused_however_its_reference_is_written(tmp_path, extra):
    message = refusal(xlsx(tmp_path, extra))
    assert "工作表「花名册」的单元格延伸到XFD1048576" in message and "171.8亿个单元格" in message


def test_cells_without_a_reference_count_where_the_library_puts_them(tmp_path):
    """No r attribute: each cell follows the previous one, each row the previous row."""
    wide = xlsx(tmp_path, "<row>" + "<c><v>1</v></c>" * 20_000 + "</row>")
    assert "第20000列" in refusal(wide) or "最大范围" in refusal(wide)
    tall = xlsx(tmp_path, "<row><c><v>1</v></c></row>" * 3 + '<row r="10000000"><c><v>1</v></c></row>', name="tall.xlsx")
    assert "最大范围" in refusal(tall)


SAFE = [  # sheets the library reads cheaply: the measured reach must cover what it lays out
    '<row r="5"><c r="ZZ5"><v>1</v></c></row>',
    '<row r="5"><c r="zz5"><v>1</v></c></row>',
    '<row r="5"><c r="B50000"><v>1</v></c></row>',
    '<row r="50000"><c><v>1</v></c></row>',
    "<row><c><v>1</v></c><c><v>2</v></c></row><row><c r=\"C7\"><v>1</v></c><c><v>1</v></c></row>",
    '<row r="5"><c r="ZZ0005"><v>1</v></c></row>',
    "<row r='9'><c r='AB9' t='inlineStr'><is><t>x</t></is></c></row>",
]


@pytest.mark.parametrize("extra", SAFE)
def test_measured_reach_covers_what_the_library_lays_out(tmp_path, extra):
    path = xlsx(tmp_path, extra)
    check_package(path)
    book = zipfile.ZipFile(path)
    from vetting.inputs.package import _scan
    reach = _scan(book, book.getinfo("xl/worksheets/sheet1.xml"), str(path), text=True)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("花名册")
    assert reach.rows >= sheet.end[0] + 1 and reach.columns >= sheet.end[1] + 1


@pytest.mark.parametrize("chunk", [5, 70, 333, 4096])
def test_the_measure_does_not_depend_on_where_the_stream_is_cut(tmp_path, monkeypatch, chunk):
    from vetting.inputs import package
    extra = "".join(SAFE) + '<row r="12"><c r="AB12" t="inlineStr"><is><t>' + "长" * 3000 + "</t></is></c></row>"
    path = xlsx(tmp_path, extra)
    book = zipfile.ZipFile(path)
    info = book.getinfo("xl/worksheets/sheet1.xml")
    whole = package._scan(book, info, str(path), text=True)
    monkeypatch.setattr(package, "_CHUNK", chunk)
    monkeypatch.setattr(package.L, "MAX_CELL_CHARS", 2000)
    assert package._scan(book, info, str(path), text=True) == replace(whole, longest_text=3002)  # "t>" + text


def test_formatted_empty_cells_far_away_are_not_laid_out_and_not_refused(tmp_path):
    path = xlsx(tmp_path, '<row r="1048576" s="3" customFormat="1"/><row r="9"><c r="XFD9" s="1"/></row>')
    check_package(path)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("花名册")
    assert sheet.end == (1, 2)


def test_a_reference_with_blanks_around_its_equals_sign_is_refused(tmp_path):
    assert "r属性的等号两侧有空白" in refusal(xlsx(tmp_path, '<row r="5"><c r = "ZZ5"><v>1</v></c></row>'))
    check_package(xlsx(tmp_path, '<row r="5"><c r="A5" t="inlineStr"><is><t>Mr r = x</t></is></c></row>',
                       name="text.xlsx"))  # the same words in cell text are text


def test_a_sheet_within_the_limits_but_large_is_refused_by_cell_count(tmp_path):
    message = refusal(xlsx(tmp_path, '<row r="400000"><c r="Z400000"><v>1</v></c></row>'))
    assert "延伸到Z400000（第400000行、第26列）" in message and "1040万个单元格" in message


def test_cell_length_counts_characters_not_bytes(tmp_path):
    chinese = make_bad()._varied_text(400_000)  # 1.2 MB of UTF-8, 400,000 characters: allowed
    check_package(xlsx(tmp_path, rows=[["姓名", "拟任职务"], [chinese, "村委会委员"]]))
    message = refusal(xlsx(tmp_path, rows=[["姓名", "拟任职务"], ["a" * (MAX_CELL_CHARS + 5), ""]], name="b.xlsx"))
    assert "100万个字符" in message


def test_a_member_larger_than_it_says_is_damaged(tmp_path):
    path = xlsx(tmp_path, rows=[["姓名", "拟任职务"], ["张三" * 5000, "村委会委员"]])
    data = bytearray(path.read_bytes())
    book = zipfile.ZipFile(path)
    info = book.getinfo("xl/worksheets/sheet1.xml")
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature, info.header_offset if signature == b"PK\x03\x04" else book.start_dir)
        while data[at + (30 if signature == b"PK\x03\x04" else 46):][:len(info.filename)] != info.filename.encode():
            at = data.find(signature, at + 4)
        data[at + offset:at + offset + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert "已损坏" in refusal(path)


def test_ods_runs_of_values_count_and_runs_of_empty_cells_do_not():
    rows = [["姓名", "拟任职务"], ["张三", "村委会委员"]]
    plain = zipfile.ZipFile(__import__("io").BytesIO(make_bad().ods_bytes(rows))).read("content.xml")
    assert table_reach(plain) == [("花名册", 2, 2)]
    run = ('<table:table-row table:number-rows-repeated="7"><table:table-cell office:value-type="float" '
           'office:value="1" table:number-columns-repeated="40"/><table:table-cell/></table:table-row>')
    packed = zipfile.ZipFile(__import__("io").BytesIO(make_bad().ods_bytes(rows, run))).read("content.xml")
    assert table_reach(packed) == [("花名册", 9, 40)]


def test_ods_as_laid_out_by_libreoffice_is_read(tmp_path):
    path = tmp_path / "花名册.ods"
    path.write_bytes(make_bad().ods_bytes(make_bad().simple_rows(["张三", "李四"])))
    [table] = read_tables(path, FIELDS)
    assert list(table.source_rows) == [2, 3]


# ---- what any input file may be -------------------------------------------------------------------

def test_a_file_over_1_GB_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "花名册.csv"
    with big.open("wb") as handle:  # sparse: nothing is written to disk
        handle.write("姓名,公民身份号码\n张三,\n".encode())
        handle.truncate(2 << 30)
    done = run_isolated(["run", str(big), "--as-of", "2026-12-15", "-o", str(tmp_path / "o.json"), "--no-history"],
                        {}, memory_mb=1500, seconds=60)
    assert done.returncode == 2
    assert "文件有2 GB，超过上限1 GB" in done.stderr.decode()


def test_a_reply_file_gets_the_same_limits(tmp_path):
    reply = tmp_path / "公安回复.xlsx"
    make_bad().generate_far_cell(reply)
    done = run_isolated(["run", str(FIXTURES / "demo_roster.csv"), "--findings", f"公安={reply}", "--as-of",
                         "2026-12-15", "-o", str(tmp_path / "o.json"), "--no-history"], {}, memory_mb=1500, seconds=60)
    assert done.returncode == 2, done.stderr.decode()
    assert "公安回复.xlsx：工作表「花名册」的单元格延伸到XFD1048576" in done.stderr.decode()
    assert not (tmp_path / "o.json").exists()


def test_special_files_are_refused_by_kind(tmp_path):
    with pytest.raises(InputError, match="不是普通文件（是字符设备）"):
        read_tables("/dev/null", FIELDS)
    with pytest.raises(InputError, match="这是一个文件夹"):
        read_tables(tmp_path, FIELDS)


@pytest.mark.parametrize("raw,line", [
    ("姓名\n张三\n".encode() + b"\x00" * 10, 3),
    ("姓名\n张三\n李四".encode() + bytes(range(1, 9)) * 200, 3),
    (codecs.BOM_UTF16_LE + "姓名\n张三\n\x00".encode("utf-16-le"), 3),
])
def test_binary_content_anywhere_is_refused_naming_the_line(raw, line):
    with pytest.raises(InputError, match=f"第{line}行起"):
        refuse_binary(raw, "f.csv")


def test_text_with_tabs_form_feeds_and_utf16_is_not_binary():
    refuse_binary("姓名\t性别\r\n张三\t男\f\n".encode("gb18030") * 1000, "f.csv")
    refuse_binary(codecs.BOM_UTF16_LE + "姓名\t性别\r\n张三\t男\r\n".encode("utf-16-le"), "f.csv")
    refuse_binary(("姓名\n" + "张三\x07\n" * 10 + "李四," * 30_000).encode(), "f.csv")  # a few bells in 64 KB


def test_lines_in_two_encodings_are_refused_also_when_gb18030_would_read_them_garbled():
    gbk = "姓名,拟任职务\n李四,村委会委员\n".encode("gbk")
    pasted = "张三,王二\n".encode("utf-8")  # even runs of 3-byte characters: valid GB18030, garbled
    assert pasted.decode("gb18030") != "张三,王二\n"
    with pytest.raises(InputError, match="混用了两种编码：第3行是UTF-8，第1、2行不是"):
        detect_encoding(gbk + pasted, None, "f.csv")
    assert detect_encoding(gbk * 50, None, "f.csv") == "gb18030"
    assert detect_encoding(gbk + pasted, "gb18030", "f.csv") == "gb18030"  # the user's word is kept


# ---- CSV: quotes, line ends, row numbers --------------------------------------------------------------

INDEX = alias_index(FIELDS)


def csv_table(text: str, encoding: str = "utf-8"):
    raw = text.encode(encoding)
    return read_delimited(raw, text, True, encoding, INDEX, "f.csv")


def test_stray_quotes_inside_cells_do_not_shift_row_numbers():
    table = csv_table('姓名,拟任职务,备注\n张三,村委会委员,身高5尺6寸"\n李四,村委会委员,5寸"照片\n王五,村委会委员,\n')
    assert list(table.lines) == [2, 3, 4] and table.frame["备注"].tolist() == ['身高5尺6寸"', '5寸"照片', ""]


def test_line_breaks_in_quoted_cells_with_a_few_commas_are_not_a_merge():
    header = ",".join(make_bad().LABELS)
    person = make_bad().csv_text(make_bad().simple_rows(["张三"])).split("\r\n")[1]
    quoted = person + '"第一行\n甲,乙,丙"'
    table = csv_table(f"{header}\n{quoted}\n{person}\n")
    assert list(table.lines) == [2, 4]


def test_a_merged_line_is_found_in_a_narrow_reply_file_too():
    with pytest.raises(InputError, match=r"f.csv，第2行，「姓名」列：.*第3行因此被并进了"):
        csv_table('公民身份号码,姓名,核查情况\n510525197205140135,"张三,无\n510525198309210240,李四,"无"\n')


def test_cr_only_line_ends_are_read_with_editor_line_numbers():
    table = csv_table('姓名,拟任职务,备注\r张三,村委会委员,"甲\r乙"\r李四,村委会委员,\r')
    assert list(table.lines) == [2, 4] and table.frame["姓名"].tolist() == ["张三", "李四"]


# ---- number cells that are two dates ----------------------------------------------------------------

def test_fractional_number_cells_are_marked():
    assert fractional_numbers(np.array(["2025.1", "", None], dtype=object)) is None
    assert fractional_numbers(np.array([2025.0, 3.0], dtype=object)) is None
    marks = fractional_numbers(np.array([2025.1, "2025.1", 2025.0, float("nan"), dt.date(2025, 1, 1)], dtype=object))
    assert list(marks) == [True, False, False, False, False]


def test_a_number_cell_2025_1_reads_as_january_to_october_and_its_text_as_january():
    cells = pd.Series(["2025.1", "2025.1", "2025.11", "1899.1", "2025.2"])
    parsed = parse_dates(cells, np.array([True, False, True, True, True]))
    days = np.stack([np.datetime_as_string(parsed[c].to_numpy("datetime64[D]")) for c in ("lo", "hi")], 1).tolist()
    assert days[0] == ["2025-01-01", "2025-10-31"] and days[1] == ["2025-01-01", "2025-01-31"]
    assert days[2] == ["2025-11-01", "2025-11-30"] and days[4] == ["2025-02-01", "2025-02-28"]
    assert pd.isna(parsed["lo"][3]) and "1899.1" in parsed["problem"][3]
    lo, hi = parsed["lo"].to_numpy("datetime64[D]"), parsed["hi"].to_numpy("datetime64[D]")
    assert list(two_readings(lo, hi)) == [True, False, False, False, False]
    assert readings_text(lo[:1])[0] == "2025年1月或2025年10月"
    vec = Vec("date", lo[:2], hi[:2], np.array([True, True]))
    assert list(format_vec(vec)) == ["2025年1月或2025年10月", "2025-01"]


def test_number_cell_dates_give_the_same_verdicts_on_both_engines():
    ruleset = load_ruleset("national")
    candidates = load_candidates([str(BAD / "number_cell_dates.xlsx")], ruleset, ReadOptions())
    results = {engine: run_engine(ruleset, candidates, AS_OF, engine) for engine in ("vector", "durable")}
    for part in ("candidates", "findings"):
        pd.testing.assert_frame_equal(getattr(results["vector"], part), getattr(results["durable"], part))
    assert results["vector"].candidates["verdict"].tolist() == ["review", "disqualified", "pass"]
    findings = results["vector"].findings
    d01 = findings[findings["rule"] == "D01"]
    assert dict(zip(d01["row_id"], d01["severity"])) == {0: "review", 1: "disqualify"}
    assert "「党纪处分日期」可能是2025年1月或2025年10月" in d01[d01["row_id"] == 0]["reason"].iloc[0]


def test_footer_rows_keep_number_marks_aligned(tmp_path):
    rows = [list(make_bad().LABELS)] + [[""] * len(make_bad().LABELS) for _ in range(2)] + [["填表人：王五"]]
    rows[1][make_bad().LABELS.index("姓名")], rows[1][make_bad().LABELS.index("党纪处分日期")] = "张三", 2025.1
    rows[2][make_bad().LABELS.index("姓名")], rows[2][make_bad().LABELS.index("党纪处分日期")] = "李四", 1.5
    path = tmp_path / "f.xlsx"
    make_bad().write_xlsx(path, [("花名册", rows, [])])
    [table] = read_tables(path, FIELDS)
    assert table.footer_rows == 1 and list(table.numbers["党纪处分日期"]) == [True, True]


# ---- --map -----------------------------------------------------------------------------------------

def test_a_map_header_must_exist_in_some_roster():
    one = RawTable("甲.csv", "", pd.DataFrame(columns=["姓名", "籍贯"]), np.array([]), 1)
    two = RawTable("乙.csv", "", pd.DataFrame(columns=["姓名", "本人身份"]), np.array([]), 1)
    check_user_mapping({"本人身份": "role"}, [one, two])
    with pytest.raises(InputError, match="甲.csv、乙.csv：.*「本人成分」在花名册中不存在.*现有表头：姓名、籍贯、本人身份"):
        check_user_mapping({"本人成分": "role"}, [one, two])


def test_sizes_and_counts_read_as_people_say_them():
    assert [size_text(n) for n in (12, 316 << 10, 300 << 20, 1 << 30)] == ["12 字节", "316 KB", "300 MB", "1 GB"]
    assert [count_text(n) for n in (999, 10_000_000, 17_179_869_184)] == ["999", "1000万", "171.8亿"]


def test_a_file_scanned_in_slices_names_the_mixed_lines_by_their_place_in_the_file(tmp_path, monkeypatch):
    """A streamed roster is scanned slice by slice: the lines in another encoding are named by
    their line in the file, and UTF-8 lines in one slice with GBK lines only in a later one are
    two encodings all the same (read as GB18030 the first slice would come out garbled)."""
    from vetting.inputs import stream

    monkeypatch.setattr(stream, "_SCAN_BYTES", 64)
    head = "姓名,拟任职务\n" + "张三丰,村委会委员\n" * 10
    tail = "李四光,村委会委员\n" * 10
    path = tmp_path / "名册.csv"
    path.write_bytes(head.encode("utf-8") + tail.encode("gbk"))
    with pytest.raises(InputError, match="第1、2、3行等是UTF-8，第12、13、14行等不是"):
        stream.scan_file(path, None)
    path.write_bytes(head.encode("gbk") * 3 + tail.encode("gbk"))
    assert stream.scan_file(path, None)[0] == "gb18030"
