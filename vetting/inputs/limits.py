"""The limits on what an input file (roster or agency reply) may hold, in one place.

A file is refused, with a Chinese message naming the limit, before anything large is allocated:
a small workbook can claim a huge sheet (one cell at XFD1048576 makes the spreadsheet library
lay out 17 billion cells) or unpack to gigabytes, and a text file can carry binary data after
its rows. The figures are far above any real roster (a province's 1,000,000 candidates are a
200 MB CSV) and below what the 3 GB memory target can hold.
"""

from __future__ import annotations

#: Any input file on disk, and the unpacked content of a workbook (all its zip members).
MAX_FILE_BYTES = 1 << 30
#: Cells of one worksheet as the spreadsheet library lays them out: (last row) x (last column),
#: empty cells in between included. 10 million is 250,000 people with 40 columns (about 1.4 GB).
MAX_SHEET_CELLS = 10_000_000
#: Characters in one cell (Excel itself allows 32,767).
MAX_CELL_CHARS = 1_000_000
#: A zip member larger than RATIO_FLOOR_BYTES may unpack to at most this multiple of its packed
#: size (spreadsheet XML packs 5-30 fold; zip bombs a thousand fold).
MAX_PACK_RATIO = 200
RATIO_FLOOR_BYTES = 1 << 20
#: The content of an .ods file is measured whole (its runs of repeated cells are counted in memory).
MAX_ODS_CONTENT_BYTES = 256 << 20
#: Excel's own bounds: a cell reference beyond them is not a real cell.
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384


def size_text(size: int) -> str:
    """A byte count as people say it: 1 GB, 300 MB, 316 KB, 12 字节."""
    for unit, name in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f} {name}" if value >= 10 or value == int(value) else f"{value:.1f} {name}"
    return f"{size} 字节"


def count_text(count: int) -> str:
    """A large count in 万 / 亿, as Chinese readers expect (1000万, 171.8亿)."""
    if count >= 100_000_000:
        return f"{count / 100_000_000:.1f}亿".replace(".0亿", "亿")
    if count >= 10_000:
        return f"{count / 10_000:.1f}万".replace(".0万", "万")
    return str(count)
