"""A CSV body as pandas read it: the line each record starts on, and the checks that no line was
merged into a cell unnoticed and that no cell is too long.

Line numbers are those of a text editor: a record starts one line after the previous one, plus
the line breaks inside its quoted cells (CR LF, LF and a lone CR each count as one, as editors
show them). They are computed from the cells pandas returned, so they always agree with what
was read, also when a cell holds a stray quote character.

A quote at the start of a cell opens a quoted cell that runs to the next quote: a name typed
as `"张三` swallows the following lines into that one cell, and the people on them disappear.
A cell whose inner lines each look like a record of their own (about as many delimiters as the
header has columns) is such a merge and is refused, naming the line, the column and the lines
swallowed. Everything is column-wise (pyarrow); nothing loops over rows.
"""

from __future__ import annotations

import csv
import io
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.errors import InputError
from vetting.inputs.limits import MAX_CELL_CHARS, count_text
from vetting.textbytes import may_hold


def _text(column: pd.Series) -> pa.ChunkedArray:
    """A column as pyarrow text, shared with pandas where it already is (no copy)."""
    arr = pa.array(column.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _large(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    return arr if pa.types.is_large_string(arr.type) else arr.cast(pa.large_string())


def _arrow(column: pd.Series) -> pa.ChunkedArray:
    return _large(_text(column))


def _line_breaks(arr: pa.ChunkedArray) -> np.ndarray:
    """Line breaks in each cell: CR LF, LF and a lone CR count one each."""
    count = pc.add(pc.count_substring(arr, "\n"), pc.count_substring(arr, "\r"))
    return pc.subtract(count, pc.count_substring(arr, "\r\n")).to_numpy().astype(np.int64)


def breaks_in_cells(frame: pd.DataFrame) -> dict[int, np.ndarray]:
    """Column position -> line breaks per cell, for the columns where some cell has one."""
    out = {}
    for position in range(frame.shape[1]):
        arr = _text(frame.iloc[:, position])
        if not may_hold(arr, b"\n", b"\r"):
            continue
        arr = _large(arr)
        if pc.any(pc.match_substring(arr, "\n")).as_py() or pc.any(pc.match_substring(arr, "\r")).as_py():
            out[position] = _line_breaks(arr)
    return out


def record_starts(first_line: int, count: int, breaks: dict[int, np.ndarray]) -> np.ndarray:
    """The line each of ``count`` records starts on, the first on ``first_line``."""
    per_record = np.zeros(count, dtype=np.int64)
    for column in breaks.values():
        per_record += column
    spans = 1 + per_record
    return first_line + np.concatenate([[0], np.cumsum(spans)[:-1]]).astype(np.int64) if count else spans


def refuse_swallowed_lines(frame: pd.DataFrame, breaks: dict[int, np.ndarray], lines: np.ndarray,
                           names: Sequence[str], delimiter: str, path: str) -> None:
    """Refuse a quoted cell that holds whole records: lines with at least half as many
    delimiters as the header (and at least two, or the header's own count when smaller)."""
    width = len(names)
    needed = min(max(width - 1, 1), max(2, (width - 1) // 2))
    worst: tuple[int, int, int] | None = None
    for position, counts in breaks.items():
        rows = np.flatnonzero(counts > 0)
        cells = _arrow(frame.iloc[:, position]).take(pa.array(rows))
        cells = pc.replace_substring(pc.replace_substring(cells, "\r\n", "\n"), "\r", "\n")
        parts = pc.split_pattern(cells, "\n").combine_chunks()
        inner = pc.list_slice(parts, 1)
        flat = pc.list_flatten(inner)
        if not len(flat):
            continue
        owner = pc.list_parent_indices(inner).to_numpy()
        most = np.zeros(len(rows), dtype=np.int64)
        np.maximum.at(most, owner, pc.count_substring(flat, delimiter).to_numpy())
        hit = np.flatnonzero(most >= needed)
        if len(hit):
            row = int(rows[hit[0]])
            if worst is None or lines[row] < lines[worst[0]]:
                worst = (row, position, int(counts[row]))
    if worst is not None:
        row, position, swallowed = worst
        line = int(lines[row])
        span = f"第{line + 1}行" if swallowed == 1 else f"第{line + 1}–{line + swallowed}行"
        column = names[position] if position < len(names) else f"第{position + 1}列"
        raise InputError(f"这个单元格以引号（\"）开头，与它配对的引号直到第{line + swallowed}行才出现，{span}因此被并进了"
                         "这一个单元格（这些行本是各自的记录，其中的人选会被漏掉）；请删去或补齐这个引号后再审查",
                         path, row=line, column=column)


def refuse_long_cells(frame: pd.DataFrame, lines: np.ndarray, names: Sequence[str], path: str) -> None:
    """Refuse a cell longer than MAX_CELL_CHARS characters, naming its line and column."""
    for position in range(frame.shape[1]):
        text = _text(frame.iloc[:, position])
        if (pc.max(pc.binary_length(text)).as_py() or 0) <= MAX_CELL_CHARS:
            continue                        # no more characters than bytes
        lengths = pc.utf8_length(_large(text))
        longest = pc.max(lengths).as_py() or 0
        if longest > MAX_CELL_CHARS:
            row = int(np.argmax(lengths.to_numpy() > MAX_CELL_CHARS))
            column = names[position] if position < len(names) else f"第{position + 1}列"
            raise InputError(f"单元格长达{count_text(longest)}个字符，超过上限{count_text(MAX_CELL_CHARS)}个字符；"
                             "请删去超长内容后再审查", path, row=int(lines[row]), column=column)


def record_line(raw: bytes, encoding: str, delimiter: str, record: int) -> int:
    """The line on which record ``record`` (0-based, counting every record of the file) starts.

    Used only to name the line in an error message: the csv module reads the file record by
    record with the same quoting rules as pandas.
    """
    text = raw.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        line = 1
        for number, _ in enumerate(reader):
            if number == record:
                return line
            line = reader.line_num + 1
        return line
    except csv.Error:
        return line
    finally:
        csv.field_size_limit(old)
