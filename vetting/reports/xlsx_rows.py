"""The body of a large sheet as SpreadsheetML, built column by column with Arrow and streamed into
an xlsxwriter sheet in constant-memory mode.

xlsxwriter turns each cell into XML in Python, a few microseconds a cell: most of an XLSX report's
time at 100,000 candidates. Here the same XML - inline strings, numbers, styled blanks, exactly
what xlsxwriter writes for them in constant-memory mode, and shared strings for a column that
repeats a few texts (rule names, legal bases) - is made for a block of rows in a few
Arrow kernels and appended to the sheet's row file, after which the sheet goes on as if xlsxwriter
had written those rows itself. That uses a small part of xlsxwriter's inside (the sheet's row file,
its row and dimension bookkeeping and the shared string table, see `can_stream`); where it is not there the caller writes
cell by cell instead, and the tests prove both ways give the same workbook.

Text is escaped as xlsxwriter escapes it: ``& < >``, a literal ``_xHHHH_`` (which Excel would
read as an escaped character) and a carriage return (which XML would read as a line feed).
Characters XML cannot hold at all are replaced before (vetting.textsafe)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Rows turned into XML at a time: bounds the memory the XML of a block takes.
BLOCK_ROWS = 20_000
_INTERNALS = ("fh", "previous_row", "table", "_write_single_row", "_check_dimensions", "constant_memory", "str_table")
#: A text column with at most this share of distinct values (rule names, bases, file names) goes
#: to the workbook's shared strings: each cell then holds a number instead of the whole text.
SHARED_SHARE = 0.125
SHARED_MIN = 16


def can_stream(ws: Any) -> bool:
    """Whether `ws` is a constant-memory xlsxwriter sheet with the parts `stream_rows` uses."""
    return all(hasattr(ws, name) for name in _INTERNALS) and bool(ws.constant_memory)


def column_letters(column: int) -> str:
    """The letters of a 0-based column: 0 -> A, 27 -> AB."""
    letters, column = "", column + 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def stream_rows(ws: Any, first_row: int, columns: Sequence[pa.Array], styles: Sequence[np.ndarray],
                blank_styles: Sequence[np.ndarray]) -> None:
    """Append rows `first_row`… (0-based) to `ws`: one value per row in each of `columns` (text
    or integers; null is an empty cell), each cell in the style index `styles[i][n]` (0: none),
    an empty cell written only when `blank_styles[i][n]` is not 0. Every earlier row must be
    written already and no later one; `can_stream(ws)` must hold."""
    count = len(columns[0]) if columns else 0
    if not count:
        return
    ws._write_single_row(first_row)   # flush the rows xlsxwriter holds; it now waits at first_row
    columns = [_shared(ws.str_table, column) for column in columns]
    for start in range(0, count, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, count)
        numbers = pc.cast(pa.array(np.arange(first_row + 1 + start, first_row + 1 + stop)), pa.string())
        cells = [_cells(column_letters(i), numbers, column.slice(start, stop - start), style[start:stop], blank[start:stop])
                 for i, (column, style, blank) in enumerate(zip(columns, styles, blank_styles))]
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
        _append(ws.fh, _utf8(rows))
    last = first_row + count - 1
    ws._check_dimensions(last, len(columns) - 1)
    ws._check_dimensions(first_row, 0)
    ws.previous_row = last + 1   # the next row xlsxwriter writes starts after these
    ws.table.clear()


def arrow_column(values: pd.Series) -> pa.Array:
    """A table column as Arrow text or integers (what `stream_rows` takes)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_integer(array.type) or pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    raise TypeError(f"column of type {array.type}")


def _cells(letters: str, numbers: pa.Array, values: pa.Array | _SharedColumn, style: np.ndarray,
           blank: np.ndarray) -> pa.Array:
    """The XML of one column's cells in a block of rows (empty text where no cell is written)."""
    ref = pc.binary_join_element_wise('<c r="', letters, numbers, '"', "")
    attr = _style_attributes(style)
    if isinstance(values, _SharedColumn):
        body = pc.binary_join_element_wise(' t="s"><v>', pc.cast(values.indices, pa.string()), "</v></c>", "")
        values = values.indices
    elif pa.types.is_integer(values.type):
        body = pc.binary_join_element_wise("><v>", pc.cast(values, pa.string()), "</v></c>", "")
    else:
        body = pc.binary_join_element_wise(' t="inlineStr"><is><t xml:space="preserve">', _escaped(values),
                                           "</t></is></c>", "")
    full = pc.binary_join_element_wise(ref, attr, body, "")
    empty = pc.if_else(pa.array(blank != 0), pc.binary_join_element_wise(ref, _style_attributes(blank), "/>", ""), "")
    return pc.if_else(pc.is_valid(values), full, empty)


class _SharedColumn:
    """A text column as indices into the workbook's shared strings (null: an empty cell)."""

    def __init__(self, indices: pa.Array) -> None:
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def slice(self, start: int, length: int) -> _SharedColumn:
        return _SharedColumn(self.indices.slice(start, length))


def _shared(table: Any, column: pa.Array) -> pa.Array | _SharedColumn:
    """`column` as shared strings of `table` (xlsxwriter's SharedStringTable) when it repeats
    few distinct texts; otherwise unchanged. Shared strings are escaped by xlsxwriter itself."""
    if pa.types.is_integer(column.type) or not len(column):
        return column
    encoded = pc.dictionary_encode(column)
    if len(encoded.dictionary) > max(SHARED_MIN, SHARED_SHARE * len(column)):
        return column
    positions = np.array([table._get_shared_string_index(text) for text in encoded.dictionary.to_pylist()],
                         dtype=np.int64)
    used = len(column) - column.null_count
    table.count += used - len(positions)   # every reference counts, each text was counted once
    indices = pc.take(pa.array(positions), encoded.indices)
    return _SharedColumn(indices)


def _style_attributes(style: np.ndarray) -> pa.Array:
    """' s="N"' per cell, or nothing for style 0."""
    codes, where = np.unique(style, return_inverse=True)
    texts = pa.array([f' s="{int(code)}"' if code else "" for code in codes], pa.string())
    return texts.take(pa.array(where.astype(np.int32)))


def _escaped(values: pa.Array) -> pa.Array:
    """Text escaped for an inline string, as xlsxwriter escapes it."""
    text = values.cast(pa.string())
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "_x000D_")):
        if old == "\r" and pc.any(pc.match_substring_regex(text, "_x[0-9a-fA-F]{4}_")).as_py():
            text = pc.replace_substring_regex(text, "(_x[0-9a-fA-F]{4}_)", r"_x005F\1")   # before CR's own escape
        if pc.any(pc.match_substring(text, old)).as_py():   # most texts hold none: no copy then
            text = pc.replace_substring(text, old, new)
    return text


def _append(fh: Any, data: bytes) -> None:
    """`data` (UTF-8) appended to the sheet's row file: straight to its byte buffer when it has
    one (after what the text layer holds), else as text."""
    buffer = getattr(fh, "buffer", None)
    if buffer is None or getattr(fh, "encoding", "").lower().replace("-", "") != "utf8":
        fh.write(data.decode("utf-8"))
        return
    fh.flush()
    buffer.write(data)
    buffer.flush()


def _utf8(rows: pa.Array) -> bytes:
    """The rows' XML as UTF-8 bytes (the array's values are stored back to back)."""
    if rows.null_count:
        rows = pc.fill_null(rows, "")
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    rows = rows.cast(pa.large_string())
    _, offsets, data = rows.buffers()
    start, end = np.frombuffer(offsets, dtype=np.int64)[[rows.offset, rows.offset + len(rows)]]
    return data[int(start):int(end)].to_pybytes()
