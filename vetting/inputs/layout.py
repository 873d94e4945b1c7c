"""Find the roster header in the top rows of a sheet: one row, or two rows under merged cells.

Pure logic on a small grid of cell texts (no I/O), so it can be tested exhaustively.

Offices put a title and a "填报单位 … 填报时间 …" line above the header, and often a two-level
header: "基本情况" merged over 姓名/性别/…, "联审部门意见" merged over one column per agency,
while 序号 or 备注 are merged down over both rows. A merged cell's text sits in its top-left
cell only; the others read as blank. The two rows are combined per column: the lower cell
where it has text, else the upper cell, so that agency columns keep their own names. Where
the lower text alone is no known header but "group + lower" is (党纪处分 over 类别/日期 gives
"党纪处分日期"), the combined text is used.

The header row is the row with the most cells that are known field labels or aliases.
Deciding that the row *below* it is a second header row is done strictly, because a data row
taken for a header would lose a person: every cell of it must sit under a merged group or a
blank, merged-down columns must be blank in it, and it must hold labels, not values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from vetting.errors import InputError
from vetting.fields import header_key, header_score
from vetting.inputs.cells import column_letter

#: Rows searched for the header when it is not given.
HEADER_SCAN_ROWS = 30
#: A header row must name at least this many distinct known fields.
MIN_HEADER_SCORE = 2
#: Header labels are short; longer cells are titles or notes.
MAX_LABEL_CHARS = 40
#: Cell texts that are answers, not labels (a lower header row never holds these).
_VALUE_WORDS = frozenset({"无", "有", "是", "否", "男", "女", "没有", "暂无", "未", "不详", "√", "×",
                          "/", "-", "--", "—", "——", "\\", "称职", "基本称职", "不称职", "优秀", "合格"})
_NUMBERISH = re.compile(r"^[\d\s.,:/\-年月日号+eE]+$")


@dataclass(frozen=True)
class Header:
    """Where the header is (0-based row indexes into the grid) and the column names it gives."""

    first: int
    last: int
    names: list[str]
    score: int
    renamed: list[tuple[str, str]] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # column name -> the merged group title above it


def find_header(grid: Sequence[Sequence[object]], index: Mapping[str, str], path: str | None = None,
                header_row: int | None = None, width: int | None = None, where: str = "") -> Header:
    """The header of a sheet whose top rows are ``grid`` (``header_row`` is 1-based when given).

    Raises InputError when no row looks like a roster header, when the given row is outside
    the grid or blank, or when two columns carry the same known header text. ``where`` (e.g.
    "工作表「汇总」") prefixes the messages.
    """
    rows = _normalise(grid, width)
    if header_row is not None:
        base = header_row - 1
        if base < 0 or base >= len(rows):
            raise InputError(f"{where}指定的表头行第{header_row}行超出了表格范围（表格只有{len(rows)}行）", path)
        if not any(rows[base]):
            raise InputError(f"{where}指定的表头行第{header_row}行是空行", path)
        score = header_score(rows[base], index)
    else:
        scores = [header_score(row, index) for row in rows[:HEADER_SCAN_ROWS]]
        base = max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else 0
        score = scores[base] if scores else 0
        if score < MIN_HEADER_SCORE:
            raise InputError(f"{where}前{HEADER_SCAN_ROWS}行中找不到花名册表头（表头行应含「姓名」「公民身份号码」"
                             "「拟任职务」等列名中的至少两个）；如表头在更靠后的行，请用 --header-row 指定",
                             path)
    first, last = base, base
    if base + 1 < len(rows) and _is_lower_row(rows[base], rows[base + 1], index):  # strict test first
        last = base + 1
    elif base > 0 and _is_upper_row(rows[base - 1], rows[base]):
        first = base - 1
    names = _combine(rows[first], rows[last], index) if last > first else \
        [cell or f"第{column_letter(i)}列" for i, cell in enumerate(rows[base])]
    names, renamed = _unique(names, index, path, where)
    groups = _groups(rows[first], rows[last], names) if last > first else {}
    return Header(first, last, names, score, renamed, groups)


def _groups(upper: Sequence[str], lower: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """For each column with a lower label under a group title (联审部门意见 over 公安、法院…): the title."""
    out, group = {}, ""
    for top, bottom, name in zip(upper, lower, names):
        group = top or group
        if bottom and group and top != bottom:
            out[name] = group
    return out


def _normalise(grid: Sequence[Sequence[object]], width: int | None) -> list[list[str]]:
    """Rows of stripped text, all of the same width."""
    rows = [["" if c is None else str(c).strip() for c in row] for row in grid]
    width = width if width is not None else max((len(r) for r in rows), default=0)
    return [r[:width] + [""] * (width - len(r)) for r in rows]


def _spans(row: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) column ranges: a cell with text and the blank cells after it (a merge, maybe)."""
    starts = [i for i, cell in enumerate(row) if cell]
    return [(s, (starts[k + 1] if k + 1 < len(starts) else len(row)) - 1) for k, s in enumerate(starts)]


def _label_like(cell: str) -> bool:
    return (len(cell) <= MAX_LABEL_CHARS and ":" not in cell and "：" not in cell
            and cell not in _VALUE_WORDS and not _NUMBERISH.match(cell))


def _is_upper_row(upper: Sequence[str], header: Sequence[str]) -> bool:
    """``upper`` is the top row of a two-row header above ``header``.

    It holds at least two short labels (no colons, numbers or answers), and at least one sits
    over a blank header cell (a label merged down over both rows) or at the start of a group of
    labelled header cells (a label merged across). A title or a "填报单位：…" line does not
    qualify. Taking a row for the upper row never drops data (data start below ``header``);
    it only names the columns that are blank in ``header``.
    """
    cells = [i for i, cell in enumerate(upper) if cell]
    if len(cells) < 2 or not all(_label_like(upper[i]) for i in cells):
        return False
    for start, end in _spans(upper):
        below = header[start:end + 1]
        if not below[0] or (end > start and all(below[:2])):
            return True
    return False


def _is_lower_row(header: Sequence[str], lower: Sequence[str], index: Mapping[str, str]) -> bool:
    """``lower`` is the bottom row of a two-row header below ``header``.

    Every span of ``header`` (a label and the blank cells after it) is either blank in
    ``lower`` (merged down) or, when it covers two or more columns, fully labelled in
    ``lower`` (merged across, e.g. one column per agency); at least one such group exists.
    ``lower`` holds only short distinct labels that are not also upper labels: no answers
    such as 无/否/是, no numbers or dates, nothing under columns before the first label.
    A group titled with a field's own name (党纪处分) must prove itself with a sub-label
    that completes it to a known header (日期 -> 党纪处分日期). Combining must not recognise
    fewer fields than the upper row alone.
    """
    spans = _spans(header)
    if not spans or any(lower[:spans[0][0]]):
        return False
    labels = [cell for cell in lower if cell]
    if (not labels or len(set(labels)) != len(labels) or not all(_label_like(c) for c in labels)
            or set(labels) & set(header)):
        return False
    groups = 0
    for start, end in spans:
        below = list(lower[start:end + 1])
        while below and not below[-1]:
            below.pop()  # a span may run on over blank columns at the right edge of the sheet
        if not below:
            continue
        if len(below) < 2 or not all(below):
            return False
        title = header[start]
        if header_key(title) in index and not any(header_key(title + b) in index for b in below):
            return False
        groups += 1
    return groups > 0 and header_score(_combine(header, lower, index), index) >= header_score(header, index)


def _combine(upper: Sequence[str], lower: Sequence[str], index: Mapping[str, str]) -> list[str]:
    """Column names of a two-row header (see the module docstring)."""
    names = []
    group = ""
    group_start = -1
    for i, (top, bottom) in enumerate(zip(upper, lower)):
        if top:
            group, group_start = top, i
        if not bottom:
            names.append(top or f"第{column_letter(i)}列")
            continue
        if header_key(bottom) in index or not group:
            names.append(bottom)
        elif header_key(group + bottom) in index:
            names.append(group + bottom)
        elif i == group_start and header_key(group) in index:
            names.append(group)
        else:
            names.append(bottom)
    return names


def _unique(names: list[str], index: Mapping[str, str], path: str | None,
            where: str = "") -> tuple[list[str], list[tuple[str, str]]]:
    """Refuse a known header text used twice; number other repeats: 备注, 备注(2)."""
    columns: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        columns.setdefault(name, []).append(i)
    for name, positions in columns.items():
        if len(positions) > 1 and header_key(name) in index:
            letters = "、".join(f"第{column_letter(i)}列" for i in positions)
            raise InputError(f"{where}{letters}的表头都是「{name}」，无法确定使用哪一列；请删除或改名其中一列", path)
    taken = set(names)
    seen: dict[str, int] = {}
    out, renamed = [], []
    for name in names:
        if name not in seen:
            seen[name] = 1
            out.append(name)
            continue
        number = seen[name]
        while True:
            number += 1
            candidate = f"{name}({number})"
            if candidate not in taken:
                break
        seen[name] = number
        taken.add(candidate)
        out.append(candidate)
        renamed.append((name, candidate))
    return out, renamed
