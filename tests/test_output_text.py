"""Text that cannot break what it lands in (vetting.textsafe): characters XML forbids are replaced
and flagged in XLSX (the written workbook is read back), control characters in CSV likewise, and
nothing a roster holds reaches the terminal as an escape sequence - not through the read notes,
`vet check` or `vet history show`. JSON keeps the text (its encoder escapes controls)."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import python_calamine
from test_bad_inputs import BAD, CASES, run_case

from vetting.cli import cli
from vetting.textsafe import CSV_FORBIDDEN, terminal_text

CASE = next(c for c in CASES if c["id"] == "escape_sequences_and_xml_forbidden_characters")
ROSTER = BAD / CASE["file"]
#: What must never reach a terminal: ESC, CR, BEL, other C0 but tab and newline, DEL, C1, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def test_terminal_text_shows_controls_as_visible_marks():
    assert terminal_text("\x1b[31m张三\x1b[0m") == "␛[31m张三␛[0m"
    assert terminal_text("a\rb\x07\x7f\x9b2J\u202eX\tY\nZ") == "a␍b␇␡<U+009B>2J<U+202E>X\tY\nZ"


def test_xlsx_report_is_readable_and_says_what_was_replaced(runner, tmp_path):
    result, output, _ = run_case(runner, CASE, tmp_path, fmt="xlsx")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output)                        # read back: a well-formed workbook
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if XML_FORBIDDEN.search(c)]
    names = [row[3] for row in book["候选人"].iter_rows(min_row=2, values_only=True)][:3]
    assert names == ["\ufffd[31m张三\ufffd[0m", "李\ufffd四\ufffd", "王\ufffd五\x9b2J"]
    warnings = [v for k, v in book["说明"].iter_rows(min_row=2, values_only=True) if k == "警告"]
    assert any(re.search(r"有 \d+ 处文字含有 Excel 文件不能容纳的控制字符，已替换为“\ufffd”", w) for w in warnings)
    calamine = python_calamine.CalamineWorkbook.from_path(str(output))
    assert "候选人" in calamine.sheet_names and calamine.get_sheet_by_name("候选人").to_python()[1][3] == names[0]


def test_csv_report_and_sidecars_hold_no_control_characters(runner, tmp_path):
    result, output, _ = run_case(runner, CASE, tmp_path, fmt="csv")
    assert result.exit_code == 0, result.output
    written = sorted(tmp_path.glob("out*.csv"))
    assert len(written) >= 2
    for path in written:
        assert not re.search(CSV_FORBIDDEN, path.read_text(encoding="utf-8-sig")), path.name
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:4]] == ["\ufffd[31m张三\ufffd[0m", "李\ufffe四\uffff", "王\ufffd五\ufffd2J"]
    meta = output.with_suffix(".meta.csv").read_text(encoding="utf-8-sig")
    assert "CSV 文件不能容纳的控制字符" in meta


def test_json_report_keeps_the_text_escaped(runner, tmp_path):
    result, output, _ = run_case(runner, CASE, tmp_path)
    raw = output.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\\u001b[31m张三" in raw
    assert json.loads(raw)["candidates"][0]["name"] == "\x1b[31m张三\x1b[0m"


def test_nothing_reaches_the_terminal_as_an_escape_sequence(runner, tmp_path, monkeypatch):
    db = tmp_path / "h.sqlite3"
    ran = runner.invoke(cli, ["run", str(ROSTER), "--as-of", "2026-12-15", "--db", str(db)])
    assert ran.exit_code == 0 and "\\u001b[31m" in ran.stdout   # the JSON on stdout: data, escaped by JSON
    assert not RAW_CONTROL.search(ran.stderr) and "␛[2J" in ran.stderr
    sheets = runner.invoke(cli, ["run", str(BAD / "escape_sheet_names.xlsx"), "--as-of", "2026-12-15", "--no-history"])
    assert sheets.exit_code == 0 and not RAW_CONTROL.search(sheets.stderr) and "甲村␛(0" in sheets.stderr
    check = runner.invoke(cli, ["check", str(ROSTER), "--row", "2", "--as-of", "2026-12-15"])
    assert check.exit_code == 0, check.output
    assert not RAW_CONTROL.search(check.output) and "␛[31m张三␛[0m" in check.output
    for args in (["history"], ["history", "show", "latest"], ["history", "compare", "1", "1"]):
        shown = runner.invoke(cli, [*args, "--db", str(db)])
        assert shown.exit_code == 0, shown.output
        assert not RAW_CONTROL.search(shown.output), args
    assert "␛[31m张三␛[0m" in runner.invoke(cli, ["history", "show", "latest", "--db", str(db)]).output


def test_controls_are_replaced_in_every_kind_of_text_column():
    import pandas as pd

    from vetting.textsafe import REPLACEMENT, replace_series

    values = ["无\x07", "无", None, "无\x07", "有\x0b"]
    for dtype in (object, "string[pyarrow]", "category"):
        out, count = replace_series(pd.Series(values, dtype=dtype), CSV_FORBIDDEN)
        assert count == 3, dtype
        assert out.tolist()[:2] == [f"无{REPLACEMENT}", "无"] and pd.isna(out.iloc[2]), dtype
    same, count = replace_series(pd.Series(["无", 3, None], dtype=object), CSV_FORBIDDEN)
    assert count == 0 and same.tolist()[:2] == ["无", 3]


def test_a_long_column_of_repeated_texts_is_cleaned_as_cell_by_cell(monkeypatch):
    """Object columns of shared texts (rule names, bases) are searched once per distinct text:
    the same values (missing ones kept as they were) and the same count as cell by cell."""
    import numpy as np
    import pandas as pd

    from vetting import textsafe

    pool = np.array(["无\x07", "无", None, "有\x0b", 3, np.nan, "公安尚未反馈"], dtype=object)
    column = pd.Series(pool[np.random.default_rng(7).integers(0, len(pool), 5000)], dtype=object)
    distinct, count = textsafe.replace_series(column, CSV_FORBIDDEN)
    monkeypatch.setattr(textsafe, "_DISTINCT_FROM", 10**9)
    cell_by_cell, expected = textsafe.replace_series(column, CSV_FORBIDDEN)
    assert count == expected > 1000
    assert [repr(v) for v in distinct] == [repr(v) for v in cell_by_cell]


def test_a_long_column_of_clean_shared_texts_is_returned_as_it_is(monkeypatch):
    """The distinct texts of a long object column are found with a set (a shared string keeps its
    hash): none to clean, the column itself comes back; an unhashable cell is searched as text."""
    import numpy as np
    import pandas as pd

    from vetting import textsafe

    pool = np.array(["无", None, 3, np.nan, "公安尚未反馈"], dtype=object)
    column = pd.Series(pool[np.random.default_rng(3).integers(0, len(pool), 5000)], dtype=object)
    same, count = textsafe.replace_series(column, CSV_FORBIDDEN)
    assert same is column and count == 0
    odd = column.copy()
    odd.iloc[10] = ["无\x07"]                        # not a text: passed through, as cell by cell
    distinct, count = textsafe.replace_series(odd, CSV_FORBIDDEN)
    monkeypatch.setattr(textsafe, "_DISTINCT_FROM", 10**9)
    cell_by_cell, expected = textsafe.replace_series(odd, CSV_FORBIDDEN)
    assert count == expected and [repr(v) for v in distinct] == [repr(v) for v in cell_by_cell]
