"""Which rows under the header are not people: blank template rows, repeated headers and footer lines.

Pure, column-wise (vectorised) logic on a table of cell texts.

* A template row is blank in every column except 序号-like columns: office templates come
  with numbered empty rows, and a number alone is nobody. Such rows are skipped and counted.
* A row that repeats the header (rosters of several townships pasted one under another, each
  with its heading) is skipped and named: most of its filled cells read as their own column's
  heading.
* A footer line ("填表人：…  审核人：…", "注：…", "合计") is recognised only in the block of
  rows after the last person, so a person can never be taken for a footer; a footer-like line
  between people stays a row (and its blanks are reported as data problems).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.fields import header_key
from vetting.textbytes import may_hold, stored_arrow

#: Header texts (after header_key) of running-number columns.
SERIAL_HEADERS = frozenset({"序号", "序", "编号", "顺序号", "排序", "序列号", "no", "no.", "number"})
#: A footer line starts with one of these words, then a colon, a space or the end of the text.
FOOTER_WORDS = (
    "填表人", "填报人", "制表人", "制表", "审核人", "审批人", "签发人", "核对人", "复核人", "经办人", "联系人",
    "负责人", "单位负责人", "主要负责人", "分管领导", "主管领导", "领导签字", "签字", "签名", "盖章", "单位盖章",
    "单位(盖章)", "(盖章)", "联系电话", "联系方式", "电话", "填报单位", "报送单位", "填表日期", "填报日期",
    "制表日期", "审核日期", "报送日期", "填表时间", "填报时间", "日期", "备注", "注", "说明", "填表说明", "附注",
    "合计", "总计", "小计", "共计")
#: The footer test as an RE2 pattern (pyarrow); "（盖章）" is matched after bracket unification.
_FOOTER_RE2 = ("^(?:" + "|".join(re.escape(w) for w in sorted(FOOTER_WORDS, key=len, reverse=True))
               + r")(?:[:：\s]|$)|^注\s*\d")
#: Rows examined at a time when looking for the footer block from the bottom up.
_TAIL = 256


def serial_columns(columns: pd.Index | list) -> list[bool]:
    """Which columns are 序号-like (by header text)."""
    return [header_key(str(c)) in SERIAL_HEADERS for c in columns]


def _trimmed(column: pd.Series) -> pa.Array:
    """A column as a pyarrow string array, trimmed, with blank cells as null."""
    arr = stored_arrow(column)
    if arr is None:
        arr = pa.array(column.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True) \
            if column.dtype == object else stored_arrow(column.astype("string[pyarrow]"))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr.cast(pa.large_string()))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)


class Cells:
    """A table's cells as the checks here read them (trimmed, blank as null), each column made
    once and shared: a streamed roster runs every check on every slice."""

    def __init__(self, frame: pd.DataFrame, start: int = 0, made: dict | None = None):
        self.frame, self.start, self._made = frame, start, {} if made is None else made

    def column(self, position: int) -> pa.Array:
        """Column `position` from row `start` on (only those rows trimmed when the whole column
        was not needed before: footer lines are looked for at the bottom of a slice)."""
        whole = self._made.get(position)
        if whole is None and not self.start:
            whole = self._made[position] = _trimmed(self.frame.iloc[:, position])
        if whole is not None:
            return whole.slice(self.start) if self.start else whole
        key = (position, self.start)
        if key not in self._made:
            self._made[key] = _trimmed(self.frame.iloc[self.start:, position])
        return self._made[key]

    def may_equal(self, position: int, texts: Iterable[str]) -> bool:
        """Whether a cell of column `position` may read as one of `texts` once trimmed: False when
        the column's bytes hold none of them (no column is trimmed to find that out)."""
        if position in self._made:
            return True
        text = stored_arrow(self.frame.iloc[:, position])
        return text is None or may_hold(text, *(t.encode("utf-8") for t in texts if t))

    def tail(self, start: int) -> "Cells":
        """The same cells from row `start` on (sharing what is made)."""
        return Cells(self.frame, self.start + start, self._made)

    @property
    def columns(self) -> pd.Index:
        return self.frame.columns

    def __len__(self) -> int:
        return len(self.frame) - self.start


def template_rows(frame: pd.DataFrame, cells: Cells | None = None) -> np.ndarray:
    """Rows with no text outside 序号-like columns (blank or numbered-but-empty template rows)."""
    cells = cells or Cells(frame)
    blank = np.ones(len(cells), dtype=bool)
    for position, is_serial in enumerate(serial_columns(cells.columns)):
        if not is_serial:
            blank &= cells.column(position).is_null().to_numpy(zero_copy_only=False)
            if not blank.any():     # every row has text: the other columns cannot change that
                break
    return blank


def repeated_header_rows(frame: pd.DataFrame, groups: Mapping[str, str] | None = None,
                         cells: Cells | None = None) -> np.ndarray:
    """Rows that repeat the header: at least two cells, and more than half of the row's filled
    cells, read as their own column's heading or, under a two-row header, as the group title
    above it (`groups`: 基本情况 over 姓名; the upper row of a repeated band), 序号-like columns
    ignored. A person's row never does: a name is not "姓名", a role not "拟任职务"."""
    groups = groups or {}
    cells = cells or Cells(frame)
    same = np.zeros(len(cells), dtype=np.int64)
    read = [position for position, is_serial in enumerate(serial_columns(cells.columns)) if not is_serial]
    for position in read:
        column = cells.columns[position]
        titles = [str(column).strip(), *([str(groups[column]).strip()] if column in groups else [])]
        if not cells.may_equal(position, titles):
            continue
        arr = cells.column(position)
        heading = pc.equal(arr, pa.scalar(titles[0], pa.large_string()))
        if len(titles) > 1:
            heading = pc.or_(heading, pc.equal(arr, pa.scalar(titles[1], pa.large_string())))
        same += pc.fill_null(heading, False).to_numpy(zero_copy_only=False)
    if not (same >= 2).any():
        return np.zeros(len(cells), dtype=bool)
    filled = np.zeros(len(cells), dtype=np.int64)
    for position in read:
        filled += cells.column(position).is_valid().to_numpy(zero_copy_only=False)
    return (same >= 2) & (2 * same > filled)


def is_footer_text(text: str) -> bool:
    """Whether a row's first text cell reads like a footer line ("填表人：张三", "注：1.…")."""
    compact = str(text).strip().replace("（", "(").replace("）", ")")
    return bool(pc.match_substring_regex(pa.array([compact]), _FOOTER_RE2)[0].as_py())


def footer_lines(frame: pd.DataFrame, cells: Cells | None = None) -> np.ndarray:
    """Rows whose first text cell (bare numbers in 序号-like columns ignored) reads like a footer."""
    cells = cells or Cells(frame)
    first = None
    for position, is_serial in enumerate(serial_columns(cells.columns)):
        arr = cells.column(position)
        if is_serial:
            arr = pc.if_else(pc.fill_null(pc.match_substring_regex(arr, r"^\d+$"), False),
                             pa.scalar(None, pa.large_string()), arr)
        first = arr if first is None else pc.coalesce(first, arr)
        if not first.null_count:     # every row has its first text: later columns cannot change it
            break
    if first is None:
        return np.zeros(len(cells), dtype=bool)
    first = pc.replace_substring(pc.replace_substring(first, "（", "("), "）", ")")
    return pc.fill_null(pc.match_substring_regex(first, _FOOTER_RE2), False).to_numpy(zero_copy_only=False)


def last_person(frame: pd.DataFrame, not_people: np.ndarray, cells: Cells | None = None) -> int:
    """The position after the last row that is a person: neither marked in `not_people` (blank
    rows, repeated headers) nor a footer line; 0 when there is none. Footer lines are looked
    for from the bottom up only, ``_TAIL`` candidate rows at a time."""
    cells = cells or Cells(frame)
    candidates = np.flatnonzero(~not_people)
    size = _TAIL
    while len(candidates):
        start = int(candidates[max(0, len(candidates) - size)])
        window = candidates[candidates >= start]
        people = window[~footer_lines(frame, cells.tail(start))[window - start]]
        if len(people):
            return int(people[-1]) + 1
        if start == candidates[0]:
            return 0
        size *= 4
    return 0


def footer_rows(frame: pd.DataFrame, template: np.ndarray, cells: Cells | None = None) -> np.ndarray:
    """Footer lines in the block of rows after the last person (``template`` marks blank rows and
    repeated headers); only the bottom of the table is examined (see `last_person`)."""
    cells = cells or Cells(frame)
    after = last_person(frame, template, cells)
    footer = np.zeros(len(frame), dtype=bool)
    if after < len(frame):
        footer[after:] = footer_lines(frame, cells.tail(after))
    return footer
