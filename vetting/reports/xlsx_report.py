"""XLSX report: sheets 候选人, 问题清单 (then 村级问题, 待反馈清单, 未匹配回复 when the run has
any), 各村汇总 (verdicts and open items per township and village), 汇总 (counts, the colour
legend, the profile of the passing candidates and reserves, native charts) and 说明 (the audit
block), streamed row by row with xlsxwriter in constant-memory mode and saved atomically.

Ready to print and sign: every sheet is set up for A4 landscape, one page wide, the header row
repeated, page numbers in the footer. Every list has a 序号 column; labels are Chinese, with the
codes in their own column (结论代码, 代码); ID numbers are text cells in text format, masked
or not. Every text cell is written as text (`write_string`; the workbook never turns a string
into a formula, number or link) and formula-neutralised as well, so that a copy into another
program cannot run it either; characters XLSX cannot hold are replaced by U+FFFD and counted in
the 说明 sheet (`write_xlsx`; see vetting.textsafe). A findings list longer than a sheet can
hold continues on 问题清单（续1）, （续2）…; nothing is left out.

xlsxwriter keeps each sheet's rows in a temporary file until the book is closed: those files go
to a private folder beside the report that is removed however the writing ends, so that no
candidate data is left behind."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import xlsxwriter
import xlsxwriter.workbook

from vetting.atomic import write_atomic
from vetting.errors import VettingError
from vetting.reports import xlsx_layout as layout
from vetting.reports.common import (
    awaiting_table,
    candidate_table,
    clean_result,
    findings_table,
    meta_lines,
    neutralise_formula,
    neutralise_frame,
    redact,
    summary_table,
    unmatched_table,
    village_table,
)
from vetting.reports.decided import decisions_table
from vetting.reports.overview import (
    PROFILE_GROUPS,
    PROFILE_SHORT,
    VERDICT_FILLS,
    VILLAGE_COLUMNS,
    profile_table,
    target_texts,
    village_overview,
)
from vetting.reports.xlsx_rows import arrow_column, can_stream, stream_rows
from vetting.result import VettingResult
from vetting.textsafe import REPLACEMENT, XLSX_FORBIDDEN, replace_text
from vetting.vocab import VERDICT_LABELS, VERDICTS

MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
#: Data rows per sheet (the heading row takes one): a longer findings list continues on another sheet.
SHEET_ROWS = MAX_ROWS - 1
CONTINUED = "（续{}）"
#: Every string is text: never a formula, number or link (the writer is also only ever given
#: `write_string` for text); rows are streamed to disk (constant memory).
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                    "strings_to_urls": False, "nan_inf_to_errors": True}
#: Deflate level of the workbook's package: 3 packs sheet XML 2.25x as fast as zlib's default (6)
#: into a file about 10 % larger (a 100,000-candidate report before the agencies reply holds 450 MB
#: of findings XML: 6 of its 20 s went to packing at the default).
ZIP_LEVEL = 3
_WIDTHS = {"序号": 6, "文件": 18, "行号": 7, "姓名": 10, "拟任职务": 16, "村(社区)": 14, "乡镇(街道)": 14,
           "公民身份号码": 21, "审查结论": 10, "结论代码": 13, "未覆盖规则": 14, "问题数": 8, "问题规则": 14,
           "摘要": 60, "理由": 60, "依据": 36, "证据": 36, "规则": 10, "规则名称": 24, "严重程度": 10, "分类": 12,
           "代码": 14, "名称": 24, "数量": 10, "项目": 16, "值": 90, "内容": 40, "联审部门": 12, "回复文件": 18,
           "人选人数": 10, "人选占比": 10, "后备力量人数": 12, "后备力量占比": 12, "年龄": 12, "文化程度": 12}
#: Columns whose text wraps in its cell; columns stored as text (so Excel never reads a number).
WRAP = frozenset({"理由", "证据", "依据", "内容", "值", "含义"})
#: Sheets that wrap other columns (one short line per candidate, the summary wrapped).
SHEET_WRAP = {"候选人": frozenset({"摘要"})}
TEXT_COLUMNS = frozenset({"公民身份号码"})
VILLAGE_SHEET = "各村汇总"
FINDINGS_SHEET = "问题清单"
#: Sheets written only when the run has rows for them: (title, table of the masked result).
OPTIONAL_SHEETS: tuple[tuple[str, Callable[[VettingResult], pd.DataFrame]], ...] = (
    ("村级问题", village_table),
    ("待反馈清单", lambda r: awaiting_table(r.meta)),
    ("未匹配回复", lambda r: unmatched_table(r.meta)),
    ("复核结论", lambda r: decisions_table(r.decisions)),
)
#: Profile tables on 汇总 with a chart each: (dimension, chart title).
PROFILE_CHARTS = (("age", "通过审查的人选年龄分布"), ("education", "通过审查的人选文化程度"))
GROUP_COLOURS = ("1F6FB2", "E67E22")
#: Row fills by verdict code (passing rows have none).
_FILLS = {code: rgb for code, rgb in VERDICT_FILLS.items() if code != "pass"}
#: Column headings that name a verdict (各村汇总) wear its row colour: the legend at the top.
_HEADING_FILLS = {VERDICT_LABELS[code]: rgb for code, rgb in _FILLS.items()}


def write_xlsx(result: VettingResult, path: str | os.PathLike, show_id: bool = False) -> None:
    """Write the XLSX report to `path` atomically; IDs masked unless `show_id`, characters a
    workbook cannot hold replaced and counted in the 说明 sheet."""
    write_atomic(path, xlsx_payload(clean_result(redact(result, show_id), XLSX_FORBIDDEN, "Excel"), show_id=True))


def numbered(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with a 序号 column (1, 2, …) in front."""
    return pd.concat([pd.DataFrame({"序号": range(1, len(table) + 1)}, index=table.index), table], axis=1)


def village_sheet(result: VettingResult) -> pd.DataFrame:
    """The per-village table (VILLAGE_COLUMNS) with Chinese headings and a 序号 column."""
    overview = village_overview(result)
    return numbered(overview.rename(columns=dict(VILLAGE_COLUMNS)))


def sheet_parts(title: str, table: pd.DataFrame, rows: int | None = None) -> list[tuple[str, pd.DataFrame]]:
    """`table` cut into sheets of at most `rows` rows (SHEET_ROWS): the first keeps `title`, the
    next ones are "title（续1）", "title（续2）"… (an empty table is one empty sheet)."""
    rows = rows or SHEET_ROWS
    starts = range(0, max(len(table), 1), rows)
    return [(title if n == 0 else title + CONTINUED.format(n), table.iloc[start:start + rows])
            for n, start in enumerate(starts)]


def xlsx_payload(result: VettingResult, show_id: bool = False) -> Callable[[str], None]:
    """The function that writes the XLSX report at the path it is given (for `vetting.atomic`);
    the tables are built at once, so that a report too large for Excel fails before any file is
    made. IDs masked unless `show_id`."""
    result = redact(result, show_id)
    candidates = numbered(candidate_table(result, show_id=True))
    if len(candidates) > SHEET_ROWS:
        raise VettingError(f"「候选人」表有 {len(candidates)} 行，超过 Excel 单表上限"
                           f"（{SHEET_ROWS} 行），请改用 csv 或 json 格式输出")
    lists = [("候选人", candidates), *sheet_parts(FINDINGS_SHEET, numbered(findings_table(result)))]
    lists += [(title, numbered(table)) for title, build in OPTIONAL_SHEETS if len(table := build(result))]
    villages = village_sheet(result)
    summary = _summary_parts(result)
    meta = pd.DataFrame(meta_lines(result.meta), columns=["项目", "值"], dtype="str")
    as_of = result.meta.get("as_of")

    def save(tmp_path: str) -> None:
        with streamed_workbook(tmp_path) as wb:
            styles = _Styles(wb)
            for title, table in lists:
                _write_table(wb, styles, title, table, as_of)
            _write_table(wb, styles, VILLAGE_SHEET, villages, as_of, footer=_total_row(villages))
            _write_summary(wb, styles, summary, villages, as_of)
            _write_table(wb, styles, "说明", meta, as_of)

    return save


@contextlib.contextmanager
def streamed_workbook(path: str) -> Iterator[Any]:
    """An xlsxwriter workbook at `path` in constant-memory mode (WORKBOOK_OPTIONS), closed (saved)
    when the block ends without error. Its rows wait in a private folder beside `path`, removed
    however the block ends, so that no candidate data is left in a temporary file (named after
    `path`, the staged file of vetting.atomic, so that a killed run's is found: `remove_leftovers`)."""
    scratch = tempfile.mkdtemp(prefix=f"{os.path.basename(path)}.rows.", dir=os.path.dirname(os.path.abspath(path)))
    try:
        wb = xlsxwriter.Workbook(path, {**WORKBOOK_OPTIONS, "tmpdir": scratch})
        yield wb
        with _zip_level(ZIP_LEVEL):
            wb.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _zip_level(level: int) -> Iterator[None]:
    """xlsxwriter packs a workbook at zlib's default level and has no option to choose another
    (jmcnamara/XlsxWriter#853): while the block runs, the ZipFile its workbook module packs with
    takes `level`. Where a later xlsxwriter packs otherwise, the workbook is packed at its default."""
    original = getattr(xlsxwriter.workbook, "ZipFile", None)
    if original is None:
        yield
        return
    xlsxwriter.workbook.ZipFile = functools.partial(original, compresslevel=level)
    try:
        yield
    finally:
        xlsxwriter.workbook.ZipFile = original


class _Styles:
    """The workbook's cell formats, each made once: bold headings (a verdict's heading in its
    fill), shares as percentages, and body cells by (fill, wrapped, text format)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.bold = wb.add_format({"bold": True})
        self.headings = {label: wb.add_format({"bold": True, "pattern": 1, "bg_color": "#" + rgb})
                         for label, rgb in _HEADING_FILLS.items()}
        self.share = wb.add_format({"num_format": "0.0%"})
        self._cells: dict[tuple[str | None, bool, bool], Any] = {}

    def cell(self, fill: str | None, wrap: bool, text: bool) -> Any:
        """The format of a body cell: filled with `fill` (RGB) if given, wrapped at the top,
        in text format; None for a plain cell."""
        key = (fill, wrap, text)
        if key not in self._cells:
            props: dict[str, Any] = {}
            if fill:
                props.update(pattern=1, bg_color="#" + fill)
            if wrap:
                props.update(text_wrap=True, valign="top")
            if text:
                props["num_format"] = "@"
            self._cells[key] = self.wb.add_format(props) if props else None
        return self._cells[key]


def _total_row(villages: pd.DataFrame) -> list:
    numbers = [int(villages[c].sum()) for c in villages.columns[3:]]
    return ["合计", "", f"{len(villages)} 个村(社区)", *numbers]


def _summary_parts(result: VettingResult) -> dict[str, Any]:
    """What the 汇总 sheet holds, as tables: the counts, then each profile dimension."""
    return {"counts": summary_table(result), "targets": target_texts(result),
            "profiles": [(title, profile_table(result, dimension)) for dimension, title in PROFILE_CHARTS]}


def _write_table(wb: Any, styles: _Styles, title: str, table: pd.DataFrame, as_of: str | None,
                 footer: list | None = None) -> None:
    """A sheet holding `table`: widths, bold frozen header, auto-filter, print set-up; rows
    filled by their 结论代码, long texts wrapped, ID columns as text."""
    ws = _new_sheet(wb, styles, title, table, as_of)
    codes = table["结论代码"].to_numpy(dtype=object, na_value=None) if "结论代码" in table else None
    fills = [_FILLS.get(code) for code in codes] if codes is not None else None
    wrap = SHEET_WRAP.get(title, WRAP)
    _write_body(ws, styles, 1, table, fills, [c in wrap for c in table.columns], [c in TEXT_COLUMNS for c in table.columns])
    if footer:
        _write_row(ws, len(table) + 1, footer, styles.bold)


def _write_body(ws: Any, styles: _Styles, first_row: int, table: pd.DataFrame, fills: list | None,
                wrap: Sequence[bool], text: Sequence[bool]) -> None:
    """The rows of `table` from sheet row `first_row` (0-based), in row order (the sheet is
    streamed): text as text, numbers as numbers, a missing or empty value as an empty cell
    (written only when it wears a fill or the text format). Each cell is filled with its row's
    fill (RGB or None), wrapped if its column wraps and it holds text, in text format if its
    column is; built by Arrow (vetting.reports.xlsx_rows) where the writer allows it."""
    safe = _safe_frame(table)
    fill = fills if fills is not None else [None] * len(table)
    if can_stream(ws):
        try:
            columns = [arrow_column(safe[c]) for c in safe.columns]
        except (TypeError, pa.ArrowException):
            columns = None
        if columns is not None:
            which, used = pd.factorize(pd.Series(fill, dtype=object), use_na_sentinel=False)
            xf = np.array([[(_xf(styles.cell(f, w, t)), _xf(styles.cell(f, False, t))) for w, t in zip(wrap, text)]
                           for f in (None if pd.isna(f) else f for f in used)], dtype=np.int64)
            xf = xf.reshape(len(used), len(columns), 2)     # by fill (first seen first), column, wrapped/blank
            stream_rows(ws, first_row, columns, [xf[which, i, 0] for i in range(len(columns))],
                        [xf[which, i, 1] for i in range(len(columns))])
            return
    columns = [values.to_numpy(dtype=object, na_value=None) for _, values in safe.items()]
    for n in range(len(table)):
        for i, values in enumerate(columns):
            value = values[n]
            write_cell(ws, first_row + n, i, value, styles.cell(fill[n], wrap[i] and value is not None, text[i]))


def _xf(fmt: Any) -> int:
    """The style index of a cell format (0 for none)."""
    return 0 if fmt is None else fmt._get_xf_index()


def write_cell(ws: Any, row: int, column: int, value: Any, fmt: Any) -> None:
    """`value` in a cell of an xlsxwriter sheet: text always as text (never a formula, number or
    link), numbers as numbers, None as an empty cell written only when `fmt` styles it."""
    if isinstance(value, str):
        ws.write_string(row, column, value, fmt)
    elif value is None:
        if fmt is not None:
            ws.write_blank(row, column, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, column, bool(value), fmt)
    else:
        ws.write_number(row, column, value, fmt)


def _write_row(ws: Any, row: int, values: Iterable, fmt: Any = None, formats: dict | None = None) -> None:
    """One row of labels or values made safe for a cell (`_safe`), in `fmt` (a value found in
    `formats` in its own format instead)."""
    for i, value in enumerate(_safe(values)):
        write_cell(ws, row, i, value, (formats or {}).get(value, fmt) if isinstance(value, str) else fmt)


def _new_sheet(wb: Any, styles: _Styles, title: str, table: pd.DataFrame, as_of: str | None, filtered: bool = True,
               title_rows: bool = True) -> Any:
    """A sheet with column widths, print set-up, a frozen bold header row (a verdict's column
    heading in that verdict's colour) and an auto-filter."""
    ws = wb.add_worksheet(title)
    layout.print_setup(ws, as_of, title_rows)
    for i, heading in enumerate(table.columns):
        ws.set_column(i, i, _WIDTHS.get(heading, 14))
    ws.freeze_panes(1, 0)
    if filtered:
        ws.autofilter(0, 0, len(table), len(table.columns) - 1)
    _write_row(ws, 0, list(table.columns), styles.bold, styles.headings)
    return ws


def _write_summary(wb: Any, styles: _Styles, parts: dict[str, Any], villages: pd.DataFrame, as_of: str | None) -> None:
    """汇总: the counts table, the colour legend, each profile table with the targets met, and
    the charts beside them (verdicts by village from 各村汇总, then one per profile table)."""
    counts = parts["counts"]
    ws = _new_sheet(wb, styles, "汇总", counts, as_of, filtered=False, title_rows=False)
    plain = [False] * len(counts.columns)
    _write_body(ws, styles, 1, counts, None, plain, plain)
    row = len(counts) + 2   # 0-based: a blank row after the counts
    row = _write_legend(ws, styles, row)
    charts = [_village_chart(wb, villages)] if len(villages) else []
    for title, table in parts["profiles"]:
        row += 1   # a blank row
        _write_row(ws, row, list(table.columns), styles.bold)
        for n, values in enumerate(_rows(table)):
            for i, value in enumerate(values):
                write_cell(ws, row + 1 + n, i, value, styles.share if isinstance(value, float) else None)
        series = [(table.columns.get_loc(f"{PROFILE_SHORT[key]}人数") + 1, name, colour,
                   table[f"{PROFILE_SHORT[key]}人数"].astype("int64").tolist())
                  for (key, name), colour in zip(PROFILE_GROUPS, GROUP_COLOURS)]
        labels = table.iloc[:, 0].astype("str").tolist()
        charts.append(layout.distribution_chart(wb, title, "汇总", row + 2, row + 1 + len(table), 1, labels, series))
        row += 1 + len(table)
    for text in parts["targets"]:
        _write_row(ws, row, [text])
        row += 1
    anchor = 0
    for chart in charts:
        ws.insert_chart(anchor, 7, chart)
        anchor += layout.rows_taken(chart)


def _village_chart(wb: Any, villages: pd.DataFrame) -> Any:
    """Verdicts by village, drawn from the 各村汇总 sheet (its values cached in the chart)."""
    places = list(zip(villages["乡镇(街道)"].astype("str"), villages["村(社区)"].astype("str")))
    counts = {v: villages[VERDICT_LABELS[v]].astype("int64").tolist() for v in VERDICTS}
    return layout.verdict_chart(wb, VILLAGE_SHEET, 2, len(villages) + 1, _verdict_columns(), (2, 3),
                                [(_safe_one(t), _safe_one(v)) for t, v in places], counts)


def _write_legend(ws: Any, styles: _Styles, row: int) -> int:
    """The colour legend at sheet row `row` (0-based): each verdict's fill, label, code and
    meaning. Returns the row after it."""
    _write_row(ws, row, list(layout.LEGEND_HEADINGS), styles.bold)
    for n, (label, code, meaning, rgb) in enumerate(layout.legend_rows(), start=row + 1):
        ws.write_string(n, 0, label, styles.cell(rgb, False, False))
        ws.write_string(n, 1, code)
        ws.write_string(n, 2, meaning)
    return row + 1 + len(VERDICTS)


def _verdict_columns() -> dict[str, int]:
    """The column of each verdict's count on 各村汇总 (序号 comes first), 1-based."""
    keys = [key for key, _ in VILLAGE_COLUMNS]
    return {v: keys.index(v) + 2 for v in VERDICTS}


def _safe_one(value: Any) -> Any:
    """One value made safe for a cell (replaced characters, cut to a cell, neutralised formula)."""
    return neutralise_formula(replace_text(value, XLSX_FORBIDDEN)[:MAX_CELL_CHARS]) if isinstance(value, str) else value


def _safe(values: Iterable) -> list:
    """Header or label values made safe for a cell (`_safe_one`)."""
    return [_safe_one(v) for v in values]


def _safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its text made safe for XLSX: characters it cannot hold replaced first, then
    formulas neutralised; empty text as missing (an empty cell)."""
    safe = neutralise_frame(table.apply(_clean_text))
    return safe.apply(lambda s: s.mask(s.eq("")) if isinstance(s.dtype, pd.StringDtype) else s)


def _rows(table: pd.DataFrame) -> Iterable[list]:
    """Rows of plain Python values (NA -> None) with text made safe for XLSX."""
    safe = _safe_frame(table)
    return map(list, zip(*(values.to_numpy(dtype=object, na_value=None) for _, values in safe.items())))


def _clean_text(s: pd.Series) -> pd.Series:
    """The last guard before a cell is written (headings, labels): characters XLSX cannot hold
    replaced, text cut to Excel's cell limit (masked long before, see `redact`)."""
    if not isinstance(s.dtype, pd.StringDtype):
        return s
    if s.str.contains(XLSX_FORBIDDEN, regex=True).any():   # cleaned long before (`clean_result`): rarely
        s = s.str.replace(XLSX_FORBIDDEN, REPLACEMENT, regex=True)
    if (s.str.len() > MAX_CELL_CHARS).any():
        s = s.str.slice(0, MAX_CELL_CHARS)
    return s
