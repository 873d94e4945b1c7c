"""How far the tables of an OpenDocument spreadsheet (.ods) reach, before the library lays them out.

ODS compresses runs of equal cells and rows into one element with `table:number-columns-repeated`
/ `table:number-rows-repeated`: one valued cell repeated 16,384 times in a row repeated 5,000
times is 82 million cells from a few hundred bytes, and the library allocates them all. Runs of
empty cells and rows (LibreOffice ends every sheet with one reaching row 1,048,576) are not laid
out, so only runs that hold a value count. Column-wise over the tags of content.xml with numpy.
"""

from __future__ import annotations

import re

import numpy as np

_TAGS = {b"table": 0, b"table-row": 1, b"table-cell": 2, b"covered-table-cell": 2}
_TAG = re.compile(rb"<table:(table|table-row|table-cell|covered-table-cell)[\s/>]")
_REPEAT = re.compile(rb"table:number-(columns|rows)-repeated\s*=\s*[\"'](\d{1,12})")
_NAME = re.compile(rb"table:name\s*=\s*[\"']([^\"']*)")


def table_reach(content: bytes) -> list[tuple[str, int, int]]:
    """(table name, rows, columns) for each table: the last row and column that hold a value."""
    found = [(m.start(), _TAGS[m[1]]) for m in _TAG.finditer(content)]
    if not found:
        return []
    starts = np.array([f[0] for f in found], dtype=np.int64)
    kinds = np.array([f[1] for f in found], dtype=np.int8)
    data = np.frombuffer(content, dtype=np.uint8)
    closes = np.flatnonzero(data == ord(">"))
    ends = closes[np.minimum(np.searchsorted(closes, starts), len(closes) - 1)]
    empty = data[ends - 1] == ord("/")
    repeat = np.ones(len(starts), dtype=np.int64)
    for m in _REPEAT.finditer(content):
        tag = int(np.searchsorted(starts, m.start())) - 1
        if tag >= 0 and m.start() < ends[tag] and (kinds[tag] == 2) == (m[1] == b"columns"):
            repeat[tag] = min(int(m[2]), 1 << 24)
    cells = np.flatnonzero(kinds == 2)
    valued = ~empty[cells]
    for k in np.flatnonzero(empty[cells]).tolist():  # a cell with a value but no text: <… office:value="1"/>
        valued[k] = content.find(b"value-type", int(starts[cells[k]]), int(ends[cells[k]])) >= 0
    rows = np.flatnonzero(kinds == 1)
    tables = np.flatnonzero(kinds == 0)
    out = []
    row_of_cell = np.searchsorted(rows, cells) - 1
    column_end = np.cumsum(repeat[cells])
    first = np.searchsorted(row_of_cell, np.arange(len(rows)))
    row_base = np.where(first > 0, column_end[np.maximum(first - 1, 0)], 0)
    within = column_end - row_base[np.maximum(row_of_cell, 0)]
    width = np.zeros(len(rows), dtype=np.int64)
    inside = row_of_cell >= 0
    np.maximum.at(width, row_of_cell[inside & valued], within[inside & valued])
    table_of_row = np.searchsorted(tables, rows) - 1
    for t, tag in enumerate(tables.tolist()):
        mine = np.flatnonzero(table_of_row == t)
        if not len(mine):
            continue
        row_end = np.cumsum(repeat[rows[mine]])
        used = width[mine] > 0
        name = _NAME.search(content, tag, int(ends[tag]) + 1)
        label = name[1].decode("utf-8", "replace") if name else f"第{t + 1}个工作表"
        out.append((label, int(row_end[used].max(initial=0)), int(width[mine].max(initial=0))))
    return out
