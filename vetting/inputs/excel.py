"""Excel workbooks (.xlsx, .xlsm, .xlsb, old .xls, .ods) read with python-calamine.

Calamine is used directly, not through pandas: pandas turns a whole double into a Python int,
so an 18-digit ID number that Excel stored as a number (and rounded) would come out as a
plausible 18-digit text; calamine keeps it a float, which ``cells.column_text`` marks.

The sheets are chosen by the caller's name, else every visible sheet whose top rows look like
a roster header (counties often keep one sheet per village); a hidden sheet only when no
visible one has a header.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import python_calamine as calamine

from vetting.errors import InputError
from vetting.fields import header_score
from vetting.inputs.cells import column_text
from vetting.inputs.layout import HEADER_SCAN_ROWS, MIN_HEADER_SCORE
from vetting.inputs.limits import MAX_SHEET_CELLS, count_text


def text_grid(cells: np.ndarray) -> list[list[str]]:
    """A small block of cells as rows of text (for header detection)."""
    if cells.size == 0:
        return [[] for _ in range(cells.shape[0])]
    columns = [column_text(cells[:, j]) for j in range(cells.shape[1])]
    return [list(row) for row in zip(*columns)]


def _as_array(rows: list[list[object]]) -> np.ndarray:
    """Rows of cell values (calamine's are rectangular) -> a 2-D object array."""
    if not rows:
        return np.empty((0, 0), dtype=object)
    try:
        cells = np.array(rows, dtype=object)
        if cells.ndim == 2:
            return cells
    except ValueError:
        pass
    width = max(len(r) for r in rows)  # ragged rows: not produced by calamine, kept for safety
    return np.array([list(r) + [""] * (width - len(r)) for r in rows], dtype=object)


def _open(path: Path) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for bad files
        raise InputError(f"无法作为Excel文件读取：文件已损坏、不完整或设置了打开密码（{type(exc).__name__}）；"
                         "可用Excel打开后另存为.xlsx再试", str(path)) from None


def _sheet(book: calamine.CalamineWorkbook, name: str, path: Path) -> calamine.CalamineSheet:
    try:
        return book.get_sheet_by_name(name)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"工作表「{name}」无法读取（{type(exc).__name__}）；文件可能已损坏", str(path)) from None


def _cells(sheet: calamine.CalamineSheet, path: Path, nrows: int | None = None) -> np.ndarray:
    end = sheet.end  # the last cell (0-based); the cells from A1 to it become Python objects
    rows, columns = (end[0] + 1, end[1] + 1) if end else (0, 0)
    if min(rows, nrows or rows) * columns > MAX_SHEET_CELLS:
        raise InputError(f"工作表「{sheet.name}」有{rows}行×{columns}列，共{count_text(rows * columns)}个单元格，超过上限"
                         f"{count_text(MAX_SHEET_CELLS)}个；请删除多余的行列、拆分文件或另存为CSV后再审查", str(path))
    try:
        return _as_array(sheet.to_python(skip_empty_area=False, nrows=nrows))
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"工作表「{sheet.name}」无法读取（{type(exc).__name__}）；文件可能已损坏", str(path)) from None


def _pick_name(names: list[str], wanted: str, path: Path) -> str:
    """The sheet the user named: exact, then ignoring case and spaces, then a 1-based number."""
    if wanted in names:
        return wanted
    loose = {n.strip().casefold(): n for n in names}
    if wanted.strip().casefold() in loose:
        return loose[wanted.strip().casefold()]
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    raise InputError(f"没有名为「{wanted}」的工作表；现有工作表：{'、'.join(names)}", str(path))


@dataclass(frozen=True)
class SheetSurvey:
    """What the top rows of one sheet look like: its best header score and visibility."""

    name: str
    position: int
    score: int
    visible: bool
    has_rows: bool

    @property
    def has_header(self) -> bool:
        return self.score >= MIN_HEADER_SCORE


@dataclass
class SheetPlan:
    """The sheets of a workbook to read as rosters (workbook order) and notes on the choice:
    which were read, which were left out and why (shown to the user once per workbook)."""

    names: list[str]
    notes: list[str] = field(default_factory=list)


@contextmanager
def open_workbook(path: Path) -> Iterator[calamine.CalamineWorkbook]:
    """The workbook at `path`, open for the duration of the block (read several sheets from
    one parse of the file); unreadable workbooks are an InputError naming the file."""
    book = _open(path)
    try:
        yield book
    finally:
        book.close()


def plan_sheets(book: calamine.CalamineWorkbook, path: Path, sheet: str | None, header_row: int | None,
                index: Mapping[str, str]) -> SheetPlan:
    """Which sheets to read: the one the user named (``--sheet``); the only sheet; else every
    visible sheet whose top rows hold a roster header (counties keep one
    sheet per village, and nobody on them may be left out); when no visible sheet has a header,
    the single sheet that looks most like a roster (`choose_sheets`)."""
    meta = {m.name: m for m in book.sheets_metadata}
    names = [n for n in book.sheet_names
             if n not in meta or meta[n].typ not in (calamine.SheetTypeEnum.ChartSheet, calamine.SheetTypeEnum.Vba)]
    if not names:
        raise InputError("工作簿中没有工作表", str(path))
    if sheet is not None:
        name = _pick_name(names, sheet, path)
        return SheetPlan([name], [f"工作表「{name}」（--sheet 指定）"])
    if len(names) == 1:
        return SheetPlan([names[0]], [f"工作表「{names[0]}」"])
    survey = []
    for position, name in enumerate(names):
        rows = text_grid(_cells(_sheet(book, name, path), path, nrows=max(HEADER_SCAN_ROWS, header_row or 0)))
        if header_row is not None:
            score = header_score(rows[header_row - 1], index) if header_row <= len(rows) else 0
        else:
            score = max((header_score(r, index) for r in rows), default=0)
        visible = name not in meta or meta[name].visible == calamine.SheetVisibleEnum.Visible
        survey.append(SheetSurvey(name, position, score, visible, any(any(c.strip() for c in r) for r in rows)))
    return choose_sheets(survey, header_row is not None, str(path))


def choose_sheets(survey: list[SheetSurvey], header_row_given: bool, path: str) -> SheetPlan:
    """The choice of `plan_sheets` from the surveyed sheets (pure, so it is testable alone)."""
    listing = "、".join(s.name for s in survey)
    rosters = [s for s in survey if s.has_header and s.visible]
    if len(rosters) > 1:
        chosen = [s.name for s in rosters]
        notes = [f"共{len(survey)}个工作表：{listing}；其中{len(chosen)}个可见工作表含花名册表头，逐个读取："
                 f"{'、'.join(chosen)}（报告中的文件名后注明工作表，如「…[{chosen[0]}]」；可用 --sheet 只读其中一个）"]
    else:
        best = max(survey, key=lambda s: (s.has_header, s.visible, s.score, s.has_rows, -s.position))
        if not best.has_header and not header_row_given:
            raise InputError(f"没有任何工作表含有花名册表头（工作表：{listing}）；"
                             "请用 --sheet 指定工作表，必要时用 --header-row 指定表头行", path)
        chosen = [best.name]
        notes = [f"工作表「{best.name}」（共{len(survey)}个工作表：{listing}；自动选用"
                 + ("含花名册表头的一个" if best.has_header else "第一个有内容的")
                 + ("，为隐藏工作表" if not best.visible else "")
                 + "；可用 --sheet 指定）"]
    skipped = [f"「{s.name}」（{_why_skipped(s)}）" for s in survey if s.name not in chosen]
    if skipped:
        notes.append("未读取的工作表：" + "、".join(skipped))
    return SheetPlan(chosen, notes)


def _why_skipped(s: SheetSurvey) -> str:
    if not s.has_rows:
        return "空白"
    if not s.has_header:
        return "没有花名册表头"
    if not s.visible:
        return "隐藏工作表，虽含花名册表头也不自动读取；如需审查请用 --sheet 指定"
    return "也含花名册表头，未读取；如需审查请用 --sheet 分别指定"


def sheet_cells(book: calamine.CalamineWorkbook, name: str, path: Path) -> np.ndarray:
    """Every cell of sheet `name` (row 0 = sheet row 1); an empty sheet is an InputError."""
    cells = _cells(_sheet(book, name, path), path)
    if cells.size == 0:
        raise InputError(f"工作表「{name}」是空的", str(path))
    return cells
