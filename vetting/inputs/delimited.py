"""CSV (comma or tab separated) rosters: header scan on the first records, then one pandas pass.

The first records are parsed with the csv module to find the header (and the delimiter);
the body is read by pandas' C parser straight from the file's bytes. Row numbers are the
line numbers the user sees in a text editor, also when quoted cells hold line breaks and when
lines end in CR only (old Mac files); ``records`` computes them from the cells read, column-wise.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator, Mapping

import numpy as np
import pandas as pd

from vetting.errors import InputError
from vetting.fields import header_score
from vetting.inputs import records as body
from vetting.inputs.bodyparse import body_frames, body_offset
from vetting.inputs.layout import HEADER_SCAN_ROWS, Header, find_header
from vetting.inputs.limits import MAX_CELL_CHARS

DELIMITERS = (",", "\t", ";")
DELIMITER_NAMES = {",": "逗号", "\t": "制表符", ";": "分号"}
_PANDAS_EXTRA_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PANDAS_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class Delimited:
    """A CSV body as text columns, with the header found and the line number of every record."""

    frame: pd.DataFrame
    lines: np.ndarray
    header: Header
    header_lines: tuple[int, int]
    delimiter: str


@contextmanager
def _big_fields() -> Iterator[None]:
    """Let the csv module read cells of any length (its default limit is 131,072 characters)."""
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings (CR LF, LF or a lone CR, as pandas splits them)."""
    return iter(io.StringIO(text, newline=""))


def scan_records(text: str, delimiter: str, complete: bool, limit: int,
                 path: str | None = None) -> tuple[list[list[str]], list[int]]:
    """The first ``limit`` records of ``text`` and the line each starts on (1-based), plus the line
    the next record starts on (``starts`` is one longer than ``records``)."""
    records, starts = [], []
    with _big_fields():
        reader = csv.reader(_lines(text), delimiter=delimiter)
        line = 1
        try:
            for record in reader:
                records.append(record)
                starts.append(line)
                line = reader.line_num + 1
                if len(records) >= limit:
                    break
        except csv.Error:
            raise InputError("CSV格式错误，无法读取这一行", path, row=line) from None
    starts.append(line)
    if not complete and records and len(records) < limit:
        records, starts = records[:-1], starts[:-1]  # the last record may be cut off by the head limit
    return records, starts


def choose_delimiter(text: str, complete: bool, index: Mapping[str, str], header_row: int | None) -> str:
    """The delimiter under which some early row looks most like a roster header (comma on ties)."""
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        if delimiter != "," and delimiter not in text[:1 << 16]:
            continue
        try:
            records, _ = scan_records(text, delimiter, complete, HEADER_SCAN_ROWS + 1)
        except InputError:
            continue
        if header_row is not None:
            row = records[header_row - 1] if 0 < header_row <= len(records) else []
            key = (header_score(row, index), len(row))
        else:
            key = (max((header_score(r, index) for r in records[:HEADER_SCAN_ROWS]), default=0), 0)
        if key > best_key:
            best, best_key = delimiter, key
    return best


@dataclass
class BodyPlan:
    """How a CSV's body is read, decided on its first records: the delimiter, the header and
    where it ends, the line the first record of the body starts on, and whether every line ends
    with one delimiter more than the header (an empty last field)."""

    delimiter: str
    header: Header
    header_lines: tuple[int, int]
    body_start: int
    first_line: int
    trailing: bool

    @property
    def width(self) -> int:
        return len(self.header.names)

    def read_options(self, encoding: str) -> dict:
        """pandas.read_csv options for the body: every cell as text, blank lines kept."""
        return dict(sep=self.delimiter, encoding=encoding, dtype=str, header=None,
                    names=list(range(self.width + self.trailing)), index_col=False, skiprows=self.body_start,
                    na_filter=False, keep_default_na=False, skip_blank_lines=False)


def plan_body(text: str, complete: bool, index: Mapping[str, str], path: str,
              header_row: int | None = None) -> BodyPlan:
    """The delimiter and header of a CSV whose decoded beginning is ``text``; a record of the
    first ones longer than the header is refused, naming its line."""
    delimiter = choose_delimiter(text, complete, index, header_row)
    limit = max(HEADER_SCAN_ROWS, header_row or 0) + 1
    records, starts = scan_records(text, delimiter, complete, limit, path)
    header = find_header(records, index, path, header_row)
    own = max(len(records[i]) for i in range(header.first, header.last + 1))
    header = replace(header, names=header.names[:own])  # the grid was padded to its longest line
    body_start = header.last + 1
    width = len(header.names)
    sample = [r for r in records[body_start:] if r]
    trailing = bool(sample) and all(len(r) == width + 1 and not r[-1].strip() for r in sample)
    for record, line in zip(records[body_start:], starts[body_start:]):
        if len(record) > width + trailing:
            raise _too_many_fields(len(record), width, line, delimiter, path)
    return BodyPlan(delimiter, header, (starts[header.first], starts[header.last]), body_start,
                    starts[body_start], trailing)


def finish_body(frame: pd.DataFrame, plan: BodyPlan, first_line: int, path: str, spans: bool = True,
                long_cells: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """Records read by pandas -> (text columns named by the header, the line each record starts
    on, the first on ``first_line``). ``spans``: cells may hold line breaks (counted per cell);
    ``long_cells``: cells may exceed the length limit. A record that swallowed the lines after
    it, a cell too long, or a value in the extra trailing field is refused, naming its line."""
    breaks = body.breaks_in_cells(frame) if spans else {}
    lines = body.record_starts(first_line, len(frame), breaks)
    if breaks:
        body.refuse_swallowed_lines(frame, breaks, lines, plan.header.names, plan.delimiter, path)
    if long_cells:
        body.refuse_long_cells(frame, lines, plan.header.names, path)
    width = plan.width
    if plan.trailing:  # every line ends with one more delimiter than the header: an empty last field
        overflow = frame.iloc[:, width].fillna("").astype(str).str.strip().ne("").to_numpy(dtype=bool)
        if overflow.any():
            raise _too_many_fields(width + 1, width, int(lines[np.flatnonzero(overflow)[0]]), plan.delimiter, path)
        frame = frame.iloc[:, :width]
    frame = frame.fillna("")
    frame.columns = plan.header.names
    return frame, lines


def read_delimited(raw: bytes, text: str, complete: bool, encoding: str, index: Mapping[str, str],
                   path: str, header_row: int | None = None) -> Delimited:
    """Read a CSV whose bytes are ``raw`` (``text`` is its decoded beginning)."""
    plan = plan_body(text, complete, index, path, header_row)
    offset = body_offset(raw, plan, encoding)
    try:
        (frame,) = body_frames(raw, plan, encoding, offset)
    except pd.errors.ParserError as exc:
        raise parser_error(exc, raw, encoding, plan, offset is not None, path) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"CSV无法读取（{type(exc).__name__}）", path) from None
    spans = b'"' in raw and not _one_line_each(raw, encoding, plan.first_line, len(frame))
    frame, lines = finish_body(frame, plan, plan.first_line, path, spans, len(raw) > MAX_CELL_CHARS)
    return Delimited(frame, lines, plan.header, plan.header_lines, plan.delimiter)


def _one_line_each(raw: bytes, encoding: str, first_line: int, count: int) -> bool:
    """Whether the ``count`` records from ``first_line`` on are exactly the file's remaining lines,
    so that no cell holds a line break (counted on the bytes: for UTF-8 and GB18030 the bytes of
    CR and LF never occur inside another character)."""
    if encoding.lower().startswith("utf-16"):
        return False
    lines = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n") + (raw[-1:] not in (b"\n", b"\r"))
    return lines - (first_line - 1) == count


def _too_many_fields(seen: int, width: int, line: int, delimiter: str, path: str) -> InputError:
    """A line longer than the header: its cells have shifted, so reading it would misplace values.

    A CSV saved by Excel has equally long lines; a longer one nearly always holds an unquoted
    delimiter inside a cell. The line is named instead of guessing which cell was split.
    """
    return InputError(f"这一行有{seen}列，比表头的{width}列多（可能是某个单元格中含有未加引号的"
                      f"{DELIMITER_NAMES[delimiter]}，其后各列已错位）；请改正后再审查", path, row=line)


def parser_error(exc: Exception, raw: bytes, encoding: str, plan: BodyPlan, from_body: bool, path: str) -> InputError:
    """pandas' English parser error -> a Chinese message naming the line (`from_body`: pandas
    read from the body's first line on, so that its record numbers start there)."""
    delimiter, skipped = plan.delimiter, plan.body_start if from_body else 0
    if found := _PANDAS_OPEN_QUOTE.search(str(exc)):
        line = body.record_line(raw, encoding, delimiter, skipped + int(found[1]))
        return InputError("这一行的一个单元格以引号（\"）开头，但直到文件末尾都没有配对的引号，其后各行都会被并进这个"
                          "单元格；请删去或补齐这个引号后再审查", path, row=line)
    if found := _PANDAS_EXTRA_FIELDS.search(str(exc)):
        expected, record, seen = (int(g) for g in found.groups())
        return _too_many_fields(seen, expected, body.record_line(raw, encoding, delimiter, skipped + record - 1),
                                delimiter, path)
    return InputError("CSV格式错误，无法读取（引号、分隔符或换行不成对）；请用Excel打开后另存为CSV再审查", path)
