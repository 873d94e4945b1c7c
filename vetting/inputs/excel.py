"""Excel workbooks (.xlsx, .xlsm, .xlsb, old .xls, .ods) read with python-calamine.

Calamine is used directly, not through pandas: pandas turns a whole double into a Python int,
so an 18-digit ID number that Excel stored as a number (and rounded) would come out as a
plausible 18-digit text; calamine keeps it a float, which ``cells.column_text`` marks.

The sheet is chosen by the caller's name, else as the visible sheet whose top rows look most
like a roster header (hidden sheets only when no visible one has a header).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import python_calamine as calamine

from vetting.errors import InputError
from vetting.inputs.cells import column_text
from vetting.inputs.layout import HEADER_SCAN_ROWS, MIN_HEADER_SCORE
from vetting.normalize.headers import header_score


@dataclass
class Sheet:
    """The chosen sheet's cells (a 2-D object array, row 0 = sheet row 1) and how it was chosen."""

    name: str
    cells: np.ndarray
    notes: list[str] = field(default_factory=list)


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


def read_sheet(path: Path, sheet: str | None, header_row: int | None, index: Mapping[str, str]) -> Sheet:
    """The cells of the roster sheet of a workbook."""
    book = _open(path)
    try:
        meta = {m.name: m for m in book.sheets_metadata}
        names = [n for n in book.sheet_names
                 if n not in meta or meta[n].typ not in (calamine.SheetTypeEnum.ChartSheet, calamine.SheetTypeEnum.Vba)]
        if not names:
            raise InputError("工作簿中没有工作表", str(path))
        if sheet is not None:
            chosen = _sheet(book, _pick_name(names, sheet, path), path)
            notes = [f"工作表「{chosen.name}」（--sheet 指定）"]
        elif len(names) == 1:
            chosen = _sheet(book, names[0], path)
            notes = [f"工作表「{chosen.name}」"]
        else:
            chosen, notes = _choose(book, names, meta, header_row, index, path)
        cells = _cells(chosen, path)
    finally:
        book.close()
    if cells.size == 0:
        raise InputError(f"工作表「{chosen.name}」是空的", str(path))
    return Sheet(chosen.name, cells, notes)


def _choose(book: calamine.CalamineWorkbook, names: list[str], meta: dict, header_row: int | None,
            index: Mapping[str, str], path: Path) -> tuple[calamine.CalamineSheet, list[str]]:
    """The sheet whose top rows look most like a roster header (visible sheets first)."""
    best, best_key, found = None, None, []
    for position, name in enumerate(names):
        sheet = _sheet(book, name, path)
        rows = text_grid(_cells(sheet, path, nrows=max(HEADER_SCAN_ROWS, header_row or 0)))
        if header_row is not None:
            score = header_score(rows[header_row - 1], index) if header_row <= len(rows) else 0
        else:
            score = max((header_score(r, index) for r in rows), default=0)
        visible = name not in meta or meta[name].visible == calamine.SheetVisibleEnum.Visible
        if score >= MIN_HEADER_SCORE:
            found.append(name)
        key = (score >= MIN_HEADER_SCORE, visible, score, bool(rows), -position)
        if best_key is None or key > best_key:
            best, best_key = sheet, key
    listing = "、".join(names)
    if not best_key[0] and header_row is None:
        raise InputError(f"没有任何工作表含有花名册表头（工作表：{listing}）；"
                         "请用 --sheet 指定工作表，必要时用 --header-row 指定表头行", str(path))
    notes = [f"工作表「{best.name}」（共{len(names)}个工作表：{listing}；自动选用"
             + ("含花名册表头的一个" if best_key[0] else "第一个有内容的") + ("，为隐藏工作表" if not best_key[1] else "")
             + "；可用 --sheet 指定）"]
    others = [n for n in found if n != best.name]
    if others:
        notes.append(f"工作表「{'」「'.join(others)}」也含花名册表头，未读取；如需审查请用 --sheet 分别指定")
    return best, notes
