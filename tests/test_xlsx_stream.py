"""The XLSX report's rows built by Arrow (vetting.reports.xlsx_rows) give the same workbook as
xlsxwriter writing cell by cell - values, types, fills, wrapping, text format, across several
blocks of rows - and a findings list longer than a sheet continues on further sheets."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from test_report_sidecars import with_lists
from test_reports import sample_result

from vetting.reports import xlsx_report, xlsx_rows
from vetting.reports.xlsx_report import write_xlsx
from vetting.reports.xlsx_rows import column_letters

#: Texts XML and Excel treat specially: escapes, Excel's own _xHHHH_ escape, CR, spaces at the ends.
AWKWARD = ["a & b < c > d", "_x0041_ stays", "line\r\nnext", "  padded  ", "=1+1", "", "\"quoted\"", "<b>x</b>"]


def awkward_result():
    """`with_lists` whose reasons and names hold the awkward texts, and more findings than a block."""
    result = with_lists()
    findings = pd.concat([result.findings] * 3, ignore_index=True)
    findings["reason"] = [AWKWARD[i % len(AWKWARD)] for i in range(len(findings))]
    result.findings = findings
    result.candidates.loc[2, "name"] = "  _x000D_ "
    return result


def cells(path) -> dict:
    """Every cell of every sheet as (value, type, fill, wrap, number format, bold), by sheet."""
    book = openpyxl.load_workbook(path)
    return {ws.title: [[(c.value, c.data_type, c.fill.fill_type, c.fill.fgColor.rgb if c.fill.fill_type else None,
                         bool(c.alignment.wrap_text), c.number_format, bool(c.font.bold)) for c in row]
                       for row in ws.iter_rows()]
            for ws in book.worksheets}


def excel_reading(book: dict) -> dict:
    """Cells as Excel reads them: every _xHHHH_ escape decoded (openpyxl decodes those of shared
    strings only)."""
    def text(value):
        return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value) if isinstance(value, str) \
            else value
    return {title: [[(text(c[0]), *c[1:]) for c in row] for row in rows] for title, rows in book.items()}


def test_arrow_rows_and_cell_by_cell_give_the_same_workbook(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 4)   # several blocks per sheet
    monkeypatch.setattr(xlsx_rows, "SHARED_MIN", 0)   # inline strings only
    monkeypatch.setattr(xlsx_rows, "SHARED_SHARE", 0)
    write_xlsx(awkward_result(), tmp_path / "fast.xlsx")
    monkeypatch.setattr(xlsx_report, "can_stream", lambda ws: False)
    write_xlsx(awkward_result(), tmp_path / "slow.xlsx")
    fast, slow = cells(tmp_path / "fast.xlsx"), cells(tmp_path / "slow.xlsx")
    assert fast == slow
    # openpyxl shows Excel's escapes as stored: Excel reads _x005F_ as "_" and _x000D_ as CR
    reasons = {row[7][0] for row in fast["问题清单"][1:]}
    assert reasons == {"a & b < c > d", "_x005F_x0041_ stays", "line_x000D_\nnext", "  padded  ", "'=1+1", None,
                       "\"quoted\"", "<b>x</b>"}
    assert fast["候选人"][3][3][0] == "  _x005F_x000D_ "


def test_repeated_texts_go_to_shared_strings_and_read_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 4)
    write_xlsx(awkward_result(), tmp_path / "shared.xlsx")
    with zipfile.ZipFile(tmp_path / "shared.xlsx") as package:
        strings = package.read("xl/sharedStrings.xml").decode("utf-8")
    assert "近三年受过党纪处分" in strings and "a &amp; b &lt; c &gt; d" in strings and "_x005F_x0041_" in strings
    assert "line_x000D_" in strings
    # openpyxl decodes some escapes of shared strings and none of inline ones: compare texts without
    # Excel's own escape sequences in them, each as Excel reads it
    result = awkward_result()
    result.findings["reason"] = result.findings["reason"].replace("_x0041_ stays", "x41")
    result.candidates.loc[2, "name"] = "  padded "
    write_xlsx(result, tmp_path / "shared.xlsx")
    monkeypatch.setattr(xlsx_report, "can_stream", lambda ws: False)
    write_xlsx(result, tmp_path / "inline.xlsx")
    assert excel_reading(cells(tmp_path / "shared.xlsx")) == excel_reading(cells(tmp_path / "inline.xlsx"))


def test_a_findings_list_longer_than_a_sheet_continues_on_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_report, "SHEET_ROWS", 4)
    result = awkward_result()
    write_xlsx(result, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    parts = [name for name in book.sheetnames if name.startswith("问题清单")]
    assert parts == ["问题清单", "问题清单（续1）", "问题清单（续2）", "问题清单（续3）", "问题清单（续4）"]
    numbers = [row[0] for name in parts for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert numbers == list(range(1, len(result.findings) + 1)), "every finding once, numbered on"
    assert all(book[name]["A1"].value == "序号" and book[name].freeze_panes == "A2" for name in parts)


def test_candidates_beyond_a_sheet_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_report, "SHEET_ROWS", 3)
    with pytest.raises(Exception, match="超过 Excel 单表上限"):
        write_xlsx(sample_result(), tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_column_letters():
    assert [column_letters(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_the_workbook_is_packed_at_the_chosen_level(tmp_path, monkeypatch):
    """The package is deflated at ZIP_LEVEL (xlsxwriter has no option for it): the same workbook
    packed at zlib's best level is smaller, at no compression far larger; the writer's ZipFile is
    itself again afterwards, also when saving fails."""
    import xlsxwriter.exceptions
    import xlsxwriter.workbook

    original = xlsxwriter.workbook.ZipFile
    rows = [[f"第{i}行 审查理由 {i * 7919 % 1000:03d} 「纪委监委意见」", i] for i in range(20_000)]

    def packed(level):
        monkeypatch.setattr(xlsx_report, "ZIP_LEVEL", level)
        path = tmp_path / f"level{level}.xlsx"
        with xlsx_report.streamed_workbook(str(path)) as wb:
            ws = wb.add_worksheet()
            for n, row in enumerate(rows):
                ws.write_row(n, 0, row)
        assert xlsxwriter.workbook.ZipFile is original
        with zipfile.ZipFile(path) as package:
            assert package.testzip() is None
            assert {info.compress_type for info in package.infolist()} == {zipfile.ZIP_DEFLATED}
        return path.stat().st_size

    chosen = xlsx_report.ZIP_LEVEL
    assert packed(9) < packed(chosen) < packed(0)
    taken = tmp_path / "taken.xlsx"
    taken.mkdir()                                   # the package cannot be written there: saving fails
    with pytest.raises(xlsxwriter.exceptions.FileCreateError):
        with xlsx_report.streamed_workbook(str(taken)) as wb:
            wb.add_worksheet().write(0, 0, "x")
    assert xlsxwriter.workbook.ZipFile is original
