"""XLSX report: sheets 候选人, 问题清单, 汇总 and 说明, streamed with openpyxl's write-only
mode and saved atomically. Every text cell is formula-neutralised (openpyxl would otherwise
store text starting with "=" as a formula); characters XLSX cannot hold are replaced by U+FFFD
and counted in the 说明 sheet (`write_xlsx`; see vetting.textsafe)."""

from __future__ import annotations

import os
from typing import Callable, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from vetting.atomic import write_atomic
from vetting.errors import VettingError
from vetting.reports.common import (
    awaiting_table,
    candidate_table,
    clean_result,
    findings_table,
    meta_lines,
    neutralise_frame,
    redact,
    summary_table,
    unmatched_table,
    village_table,
)
from vetting.result import VettingResult
from vetting.textsafe import REPLACEMENT, XLSX_FORBIDDEN

#: Row fill of the 候选人 sheet by verdict code.
VERDICT_FILLS = {"disqualified": "FFC7CE", "unsuitable": "FFE4C4", "review": "FFEB9C",
                 "pending": "E7E6E6"}
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
_WIDTHS = {"文件": 18, "行号": 7, "姓名": 10, "拟任职务": 16, "村(社区)": 14, "乡镇(街道)": 14,
           "公民身份号码": 21, "审查结论": 10, "结论代码": 13, "未覆盖规则": 14, "问题数": 8, "理由": 60, "依据": 36,
           "证据": 36, "规则": 10, "规则名称": 24, "严重程度": 10, "分类": 10, "代码": 14,
           "名称": 24, "数量": 10, "项目": 16, "值": 90}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_xlsx(result: VettingResult, path: str | os.PathLike, show_id: bool = False) -> None:
    """Write the XLSX report to `path` atomically; IDs masked unless `show_id`, characters a
    workbook cannot hold replaced and counted in the 说明 sheet."""
    write_atomic(path, xlsx_payload(clean_result(redact(result, show_id), XLSX_FORBIDDEN, "Excel"), show_id=True))


def xlsx_payload(result: VettingResult, show_id: bool = False) -> Callable[[str], None]:
    """The function that writes the XLSX report at the path it is given (for `vetting.atomic`);
    the tables are built at once, so that a report too large for Excel fails before any file is
    made. IDs masked unless `show_id`."""
    result = redact(result, show_id)
    candidates = candidate_table(result, show_id=True)
    findings = findings_table(result)
    for name, table in (("候选人", candidates), ("问题清单", findings)):
        if len(table) >= MAX_ROWS:
            raise VettingError(f"「{name}」表有 {len(table)} 行，超过 Excel 单表上限"
                               f"（{MAX_ROWS - 1} 行），请改用 csv 或 json 格式输出")
    meta = pd.DataFrame(meta_lines(result.meta), columns=["项目", "值"], dtype="str")

    def save(tmp_path: str) -> None:
        wb = Workbook(write_only=True)
        _write_candidates(wb, candidates)
        _write_sheet(wb, "问题清单", findings, wrap=("理由", "证据", "依据"))
        for title, extra in (("村级问题", village_table(result)), ("待反馈清单", awaiting_table(result.meta)),
                             ("未匹配回复", unmatched_table(result.meta))):
            if len(extra):   # typed by common: text columns as text, 行号 as integers
                wrap = tuple(c for c in ("理由", "证据", "依据", "内容") if c in extra.columns)
                _write_sheet(wb, title, extra, wrap=wrap)
        _write_sheet(wb, "汇总", summary_table(result))
        _write_sheet(wb, "说明", meta, wrap=("值",))
        wb.save(tmp_path)

    return save


def _write_candidates(wb: Workbook, table: pd.DataFrame) -> None:
    ws = _new_sheet(wb, "候选人", table)
    fills = {code: PatternFill("solid", start_color=rgb, end_color=rgb)
             for code, rgb in VERDICT_FILLS.items()}
    reason_at = table.columns.get_loc("理由")
    verdicts = table["结论代码"].tolist()
    has_reason = table["理由"].ne("").tolist()
    for values, verdict, wrap in zip(_rows(table), verdicts, has_reason):
        fill = fills.get(verdict)
        if fill is None and not wrap:
            ws.append(values)
            continue
        cells = [WriteOnlyCell(ws, value) for value in values]
        if fill is not None:
            for cell in cells:
                cell.fill = fill
        if wrap:
            cells[reason_at].alignment = _WRAP
        ws.append(cells)


def _write_sheet(wb: Workbook, title: str, table: pd.DataFrame,
                 wrap: Iterable[str] = ()) -> None:
    ws = _new_sheet(wb, title, table)
    wrap_at = [table.columns.get_loc(c) for c in wrap]
    for values in _rows(table):
        if wrap_at:
            values = [WriteOnlyCell(ws, v) for v in values]
            for i in wrap_at:
                values[i].alignment = _WRAP
        ws.append(values)


def _new_sheet(wb: Workbook, title: str, table: pd.DataFrame):
    """A sheet with column widths, a frozen bold header row and an auto-filter."""
    ws = wb.create_sheet(title)
    for i, heading in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(heading, 14)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    header = [WriteOnlyCell(ws, heading) for heading in table.columns]
    for cell in header:
        cell.font = _BOLD
    ws.append(header)
    return ws


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
