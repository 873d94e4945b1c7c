"""XLSX report: sheets 候选人, 问题清单 (then 村级问题, 待反馈清单, 未匹配回复 when the run has
any), 各村汇总 (verdicts and open items per township and village), 汇总 (counts, the colour
legend, the profile of the passing candidates and reserves, native charts) and 说明 (the audit
block), streamed with openpyxl's write-only mode and saved atomically.

Ready to print and sign: every sheet is set up for A4 landscape, one page wide, the header row
repeated, page numbers in the footer. Every list has a 序号 column; labels are Chinese, with the
codes in their own column (结论代码, 代码); ID numbers are text cells in text format, masked
or not. Every text cell is formula-neutralised (openpyxl would otherwise store text starting
with "=" as a formula); characters XLSX cannot hold are replaced by U+FFFD and counted in the
说明 sheet (`write_xlsx`; see vetting.textsafe)."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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
from vetting.result import VettingResult
from vetting.textsafe import REPLACEMENT, XLSX_FORBIDDEN, replace_text
from vetting.vocab import VERDICT_LABELS, VERDICTS

MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
_WIDTHS = {"序号": 6, "文件": 18, "行号": 7, "姓名": 10, "拟任职务": 16, "村(社区)": 14, "乡镇(街道)": 14,
           "公民身份号码": 21, "审查结论": 10, "结论代码": 13, "未覆盖规则": 14, "问题数": 8, "理由": 60, "依据": 36,
           "证据": 36, "规则": 10, "规则名称": 24, "严重程度": 10, "分类": 12, "代码": 14,
           "名称": 24, "数量": 10, "项目": 16, "值": 90, "内容": 40, "联审部门": 12, "回复文件": 18,
           "人选人数": 10, "人选占比": 10, "后备力量人数": 12, "后备力量占比": 12, "年龄": 12, "文化程度": 12}
#: Columns whose text wraps in its cell; columns stored as text (so Excel never reads a number).
WRAP = frozenset({"理由", "证据", "依据", "内容", "值", "含义"})
#: Sheets that wrap fewer columns (one line per candidate, the reasons wrapped).
SHEET_WRAP = {"候选人": frozenset({"理由"})}
TEXT_COLUMNS = frozenset({"公民身份号码"})
VILLAGE_SHEET = "各村汇总"
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
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_FILLS = {code: PatternFill("solid", start_color=rgb, end_color=rgb) for code, rgb in VERDICT_FILLS.items()
          if code != "pass"}
#: Column headings that name a verdict (各村汇总) wear its row colour: the legend at the top.
_HEADING_FILLS = {VERDICT_LABELS[code]: fill for code, fill in _FILLS.items()}


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


def xlsx_payload(result: VettingResult, show_id: bool = False) -> Callable[[str], None]:
    """The function that writes the XLSX report at the path it is given (for `vetting.atomic`);
    the tables are built at once, so that a report too large for Excel fails before any file is
    made. IDs masked unless `show_id`."""
    result = redact(result, show_id)
    lists = [("候选人", numbered(candidate_table(result, show_id=True))), ("问题清单", numbered(findings_table(result)))]
    for name, table in lists:
        if len(table) >= MAX_ROWS:
            raise VettingError(f"「{name}」表有 {len(table)} 行，超过 Excel 单表上限"
                               f"（{MAX_ROWS - 1} 行），请改用 csv 或 json 格式输出")
    lists += [(title, numbered(table)) for title, build in OPTIONAL_SHEETS if len(table := build(result))]
    villages = village_sheet(result)
    summary = _summary_parts(result)
    meta = pd.DataFrame(meta_lines(result.meta), columns=["项目", "值"], dtype="str")
    as_of = result.meta.get("as_of")

    def save(tmp_path: str) -> None:
        wb = Workbook(write_only=True)
        for title, table in lists:
            _write_table(wb, title, table, as_of)
        _write_table(wb, VILLAGE_SHEET, villages, as_of, footer=_total_row(villages))
        _write_summary(wb, summary, len(villages), as_of)
        _write_table(wb, "说明", meta, as_of)
        wb.save(tmp_path)

    return save


def _total_row(villages: pd.DataFrame) -> list:
    numbers = [int(villages[c].sum()) for c in villages.columns[3:]]
    return ["合计", "", f"{len(villages)} 个村(社区)", *numbers]


def _summary_parts(result: VettingResult) -> dict[str, Any]:
    """What the 汇总 sheet holds, as tables: the counts, then each profile dimension."""
    return {"counts": summary_table(result), "targets": target_texts(result),
            "profiles": [(title, profile_table(result, dimension)) for dimension, title in PROFILE_CHARTS]}


def _write_table(wb: Workbook, title: str, table: pd.DataFrame, as_of: str | None, footer: list | None = None) -> None:
    """A sheet holding `table`: widths, bold frozen header, auto-filter, print set-up; rows
    filled by their 结论代码, long texts wrapped, ID columns as text."""
    ws = _new_sheet(wb, title, table, as_of)
    codes = table["结论代码"].tolist() if "结论代码" in table else None
    wrap_at = [i for i, c in enumerate(table.columns) if c in SHEET_WRAP.get(title, WRAP)]
    text_at = [i for i, c in enumerate(table.columns) if c in TEXT_COLUMNS]
    for n, values in enumerate(_rows(table)):
        fill = _FILLS.get(codes[n]) if codes else None
        styled = range(len(values)) if fill is not None else [*text_at, *(i for i in wrap_at if values[i])]
        for i in styled:
            values[i] = cell = WriteOnlyCell(ws, values[i])
            if fill is not None:
                cell.fill = fill
            if i in wrap_at and cell.value:
                cell.alignment = _WRAP
            if i in text_at:
                cell.number_format = "@"
        ws.append(values)
    if footer:
        ws.append(_bold_row(ws, footer))


def _new_sheet(wb: Workbook, title: str, table: pd.DataFrame, as_of: str | None, filtered: bool = True,
               title_rows: bool = True) -> Any:
    """A sheet with column widths, print set-up, a frozen bold header row (a verdict's column
    heading in that verdict's colour) and an auto-filter."""
    ws = wb.create_sheet(title)
    layout.print_setup(ws, as_of, title_rows)
    for i, heading in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(heading, 14)
    ws.freeze_panes = "A2"
    if filtered:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    ws.append(_bold_row(ws, list(table.columns), _HEADING_FILLS))
    return ws


def _bold_row(ws: Any, values: list, fills: dict | None = None) -> list:
    cells = [WriteOnlyCell(ws, value) for value in _safe(values)]
    for cell in cells:
        cell.font = _BOLD
        if fills and cell.value in fills:
            cell.fill = fills[cell.value]
    return cells


def _write_summary(wb: Workbook, parts: dict[str, Any], villages: int, as_of: str | None) -> None:
    """汇总: the counts table, the colour legend, each profile table with the targets met, and
    the charts beside them (verdicts by village from 各村汇总, then one per profile table)."""
    counts = parts["counts"]
    ws = _new_sheet(wb, "汇总", counts, as_of, filtered=False, title_rows=False)
    for values in _rows(counts):
        ws.append(values)
    row = len(counts) + 1
    row = _write_legend(ws, row + 1)
    charts = [layout.verdict_chart(VILLAGE_SHEET, 2, villages + 1, _verdict_columns(), (2, 3))] if villages else []
    for title, table in parts["profiles"]:
        ws.append([])
        ws.append(_bold_row(ws, list(table.columns)))
        for values in _rows(table):
            ws.append([_share_cell(ws, v) if isinstance(v, float) else v for v in values])
        series = [(table.columns.get_loc(f"{PROFILE_SHORT[key]}人数") + 1, name, colour)
                  for (key, name), colour in zip(PROFILE_GROUPS, GROUP_COLOURS)]
        charts.append(layout.distribution_chart(title, "汇总", row + 3, row + 2 + len(table), 1, series))
        row += 2 + len(table)
    for text in parts["targets"]:
        ws.append(_safe([text]))
    anchor = 1
    for chart in charts:
        ws.add_chart(chart, f"H{anchor}")
        anchor += layout.rows_taken(chart)


def _write_legend(ws: Any, row: int) -> int:
    """The colour legend after a blank row: each verdict's fill, label, code and meaning.
    Returns the last row written."""
    ws.append([])
    ws.append(_bold_row(ws, list(layout.LEGEND_HEADINGS)))
    for label, code, meaning, rgb in layout.legend_rows():
        cells = [WriteOnlyCell(ws, v) for v in (label, code, meaning)]
        if rgb:
            cells[0].fill = PatternFill("solid", start_color=rgb, end_color=rgb)
        ws.append(cells)
    return row + 1 + len(VERDICTS)


def _verdict_columns() -> dict[str, int]:
    """The column of each verdict's count on 各村汇总 (序号 comes first)."""
    keys = [key for key, _ in VILLAGE_COLUMNS]
    return {v: keys.index(v) + 2 for v in VERDICTS}


def _share_cell(ws: Any, value: float) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.number_format = "0.0%"
    return cell


def _safe(values: Iterable) -> list:
    """Header or label values made safe for a cell (replaced characters, neutralised formulas)."""
    return [neutralise_formula(replace_text(v, XLSX_FORBIDDEN)[:MAX_CELL_CHARS]) if isinstance(v, str) else v
            for v in values]


def _rows(table: pd.DataFrame) -> Iterable[list]:
    """Rows of plain Python values (NA -> None) with text made safe for XLSX."""
    safe = neutralise_frame(table.apply(_clean_text))  # replace illegal characters first, then neutralise
    columns = [safe[c].to_numpy(dtype=object, na_value=None) for c in safe.columns]
    return map(list, zip(*columns))


def _clean_text(s: pd.Series) -> pd.Series:
    """The last guard before a cell is written (headings, labels): characters XLSX cannot hold
    replaced, text cut to Excel's cell limit (masked long before, see `redact`)."""
    if not isinstance(s.dtype, pd.StringDtype):
        return s
    return s.str.replace(XLSX_FORBIDDEN, REPLACEMENT, regex=True).str.slice(0, MAX_CELL_CHARS)
