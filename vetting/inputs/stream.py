"""A large CSV roster read slice by slice, so that memory does not grow with the file.

``RosterStream`` checks the whole file without holding it (its fingerprint, binary content, the
text encoding, block by block: ``scan_file``), finds the header on the first records as
``read_tables`` does, then yields the body as RawTables of a given number of records. The check
may run elsewhere while the slices are read (``Scan``), when the file's first bytes show the
encoding it will most likely confirm; the run then takes its answer before it uses what it read. The
slices together are exactly the table ``read_tables`` gives: the same cells, the same line
numbers, the same blank template rows; footer lines are recognised after the last person only
(the rows after each slice's last person wait for the next slice). Once every slice has been
read, ``summary`` gives what ``normalise_tables`` records for a whole file (rows, rows skipped,
the notes).

Only text rosters in a byte-oriented encoding (UTF-8, GB18030) are streamed: a workbook is
bounded by its sheet (1,048,576 rows) and read whole.
"""

from __future__ import annotations

import codecs
import hashlib
from concurrent.futures import BrokenExecutor, CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from vetting.errors import InputError
from vetting.fields import Field, alias_index
from vetting.inputs import sniff as kinds
from vetting.inputs.bodyparse import body_frames, body_offset, parsed_by_arrow
from vetting.inputs.delimited import BodyPlan, finish_body, parser_error, plan_body
from vetting.inputs.limits import MAX_CELL_CHARS, MAX_FILE_BYTES
from vetting.inputs.reader import open_checked, quoted_lines, read_notes, text_notes
from vetting.inputs.records import breaks_in_cells
from vetting.inputs.region import Cells, footer_rows, last_person, repeated_header_rows, template_rows
from vetting.inputs.table import RawTable

#: A streamed text roster may be this large (memory no longer grows with the file).
MAX_STREAM_BYTES = 64 << 30
#: The file is checked in slices of this many bytes (cut after a line end).
_SCAN_BYTES = 16 << 20
_HEAD_BYTES = 4 << 20


def streamable(path: str | Path) -> bool:
    """Whether a roster file can be read slice by slice: a regular text file (by content) that
    is not UTF-16. Anything else, or a file that cannot be opened, is read whole (which says why);
    a FIFO or device is never opened here."""
    if not Path(path).is_file():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return kinds.sniff(head) == kinds.TEXT and not head.startswith(kinds._UTF16_BOMS)


def _slices(path: Path) -> Iterator[tuple[bytes, int]]:
    """The file's bytes in slices cut after a line feed, each with the line it starts on."""
    line, rest = 1, b""
    with path.open("rb") as handle:
        while block := handle.read(_SCAN_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1 or len(block)
            piece, rest = block[:cut], block[cut:]
            yield piece, line
            line += piece.count(b"\n")
    if rest:
        yield rest, line


def _decode_error(path: Path, label: str, line: int | None) -> InputError:
    where = f"第{line}行有无法解码的字节" if line else "文件末尾的字节不完整"
    return InputError(f"不能按编码「{label}」读取：{where}；去掉 --encoding 可自动识别 UTF-8 / GB18030", str(path))


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes in ``encoding`` (a second pass, only when UTF-8 failed)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for piece, _ in _slices(path):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def scan_file(path: Path, encoding: str | None) -> tuple[str, str]:
    """(the encoding the file is read in, its SHA-256), the whole file examined slice by slice in
    one pass: binary content is refused naming its line, as for a file read whole, and so is a
    byte the given encoding cannot decode; a file that is not UTF-8 is read again as GB18030
    (lines in two encodings are refused, in one slice or in two)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"未知的编码「{encoding}」（常用：utf-8、gb18030、gbk）", str(path)) from None
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding or "utf-8-sig")()
    decoded = True
    for piece, line in _slices(path):
        digest.update(piece)
        kinds.refuse_binary(piece, str(path), line)
        if decoded:
            try:
                decoder.decode(piece)
            except UnicodeDecodeError as exc:
                if encoding:
                    raise _decode_error(path, encoding, line + piece[:max(0, exc.start)].count(b"\n")) from None
                decoded = False
    if decoded:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if encoding:
                raise _decode_error(path, encoding, None) from None
            decoded = False
    if decoded:
        return encoding or "utf-8-sig", digest.hexdigest()
    kinds.refuse_mixed_slices(_slices(path), str(path))
    if _decodes(path, "gb18030"):
        return "gb18030", digest.hexdigest()
    raise InputError("无法识别文件编码（已尝试 UTF-8 和 GB18030），请用 --encoding 指定", str(path))


#: Starts `scan_file(path, encoding)` elsewhere (a worker process) and returns its future.
Scan = Callable[[Path, "str | None"], Future]


def _answer(checking: Future, path: Path, encoding: str | None) -> tuple[str, str]:
    """What a file's check found; made here when its worker stopped before it (with the run's
    others)."""
    try:
        return checking.result()
    except (CancelledError, BrokenExecutor):
        return scan_file(path, encoding)


def _answered(used: str, digest: str) -> Future:
    done: Future = Future()
    done.set_result((used, digest))
    return done


def _presumed_encoding(head: bytes, encoding: str | None, whole: bool) -> str | None:
    """The encoding a file's check will most likely confirm, from its first bytes: the one given
    or UTF-8 when they decode in it (a character cut at their end aside) and hold no NUL; None
    when the check should come first (a GB18030 file is found so, and any other encoding)."""
    used = encoding or "utf-8-sig"
    if b"\0" in head or not parsed_by_arrow(used):     # pyarrow refuses a giant record, pandas reads it
        return None
    try:
        codecs.getincrementaldecoder(used)().decode(head, final=whole)
    except UnicodeDecodeError:
        return None
    return used


@dataclass
class _Tally:
    """What the slices read so far hold: the people's first and last line and count, blank rows,
    rows repeating the header."""

    first: int | None = None
    last: int | None = None
    people: int = 0
    blank: list[np.ndarray] = field(default_factory=list)
    headings: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, template: np.ndarray, headings: np.ndarray) -> None:
        people = rows[~(template | headings)]
        if len(people):
            self.first = int(people[0]) if self.first is None else self.first
            self.last = int(people[-1])
            self.people += len(people)
        if template.any():
            self.blank.append(rows[template])
        if headings.any():
            self.headings.append(rows[headings])

    def span(self) -> tuple[int, int, int]:
        """(first line, last line, count) of the people read."""
        return (self.first or 0, self.last or 0, self.people)


@dataclass
class RosterStream:
    """One CSV roster read ``rows`` records at a time (see the module). ``tables()`` may be
    iterated more than once (each pass reads the file again); ``summary`` is set by a full pass."""

    path: Path
    fields: Mapping[str, Field]
    rows: int
    header_row: int | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    summary: dict | None = None
    _plan: BodyPlan | None = None
    _used: str = ""
    _digest: str = ""
    _size: int = 0
    _offset: int | None = None      # of the body's first line (bodyparse.body_offset)
    _checking: Future | None = None  # the file's check: (encoding, SHA-256) (`scan_file`)
    _sheet: str | None = None       # as given (a note says it is ignored)
    label: str | None = None        # the run's name for the file when another file shares its name

    @classmethod
    def open(cls, path: str | Path, fields: Mapping[str, Field], rows: int, sheet: str | None = None,
             header_row: int | None = None, encoding: str | None = None,
             scan: Scan | None = None) -> "RosterStream":
        """Check the file and find its header; refuses what ``read_tables`` refuses. With `scan`,
        a file whose first bytes decode in UTF-8 (or the encoding given) is checked by it, the
        stream read meanwhile in that encoding: see `confirm`."""
        checked, kind, notes = open_checked(path, sheet, MAX_STREAM_BYTES)
        if kind != kinds.TEXT:
            raise InputError("只有CSV文本花名册可以分块读取", str(checked))
        with checked.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
        size = checked.stat().st_size
        presumed = _presumed_encoding(head, encoding, size <= _HEAD_BYTES) if scan is not None else None
        if presumed is None:
            used, digest = scan_file(checked, encoding)
            checking = _answered(used, digest)
        else:
            checking, used, digest = scan(checked, encoding), presumed, ""
        try:
            text, complete = kinds.head_text(head, used, str(checked), _HEAD_BYTES)
            complete = complete and size <= _HEAD_BYTES
            if not text.strip():
                raise InputError("文件是空的（只有空白）", str(checked))
            plan = plan_body(text, complete, alias_index(fields), str(checked), header_row)
        except InputError:
            if _answer(checking, checked, encoding)[0] != used:     # its refusal is said first, as without `scan`
                return cls.open(path, fields, rows, sheet, header_row, encoding)   # read as the check found
            raise
        notes += text_notes(used, encoding, plan.delimiter)
        return cls(checked, fields, max(1, rows), header_row, encoding, notes, None, plan, used, digest, size,
                   body_offset(head, plan, used), checking, sheet)

    def confirm(self) -> bool:
        """Wait for the file's check (raising what it refuses) and take its fingerprint; False when
        the file is not in the encoding it was read in (every slice must then be read again)."""
        used, digest = _answer(self._checking, self.path, self.encoding)
        self._checking = _answered(used, digest)
        self._digest = digest
        if self.summary is not None:
            self.summary["sha256"] = digest
        return used == self._used

    def checking(self) -> bool:
        """Whether the file's check is still running."""
        return not self._checking.done()

    def _confirmed_now(self) -> None:
        """Take the file's check now: raise its refusal, or that the file must be read again."""
        if not self.confirm():
            raise InputError("文件的编码与开头所示不同，须重新读取", str(self.path))

    def reopened(self) -> RosterStream:
        """The file opened again, checked first (after `confirm` said False)."""
        again = RosterStream.open(self.path, self.fields, self.rows, self._sheet, self.header_row, self.encoding)
        again.label = self.label
        return again

    @property
    def name(self) -> str:
        """How reports and evidence name the file (RawTable.name)."""
        return self.label or self.path.name

    @property
    def columns(self) -> list[str]:
        """The header's column names, as every slice's table names them."""
        return list(self._plan.header.names)

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    def tables(self) -> Iterator[RawTable]:
        """The body as RawTables of about ``rows`` records each (blank template rows marked,
        footer lines after the last person left out), in file order."""
        plan, path = self._plan, str(self.path)
        tally, carry, line = _Tally(), None, plan.first_line
        try:
            for chunk in body_frames(path, plan, self._used, self._offset, self.rows, self._confirmed_now):
                if not self.checking():
                    self._confirmed_now()       # a refusal stops the reading at once
                if not len(chunk):
                    continue
                tail = breaks_in_cells(chunk.iloc[-1:])
                frame, lines = finish_body(chunk.reset_index(drop=True), plan, line, path, True,
                                           self._size > MAX_CELL_CHARS)
                line = int(lines[-1]) + 1 + int(sum(b[0] for b in tail.values()))
                if carry is not None:
                    frame = pd.concat([carry[0], frame], ignore_index=True)
                    lines = np.concatenate([carry[1], lines])
                cells = Cells(frame)
                template = template_rows(frame, cells)
                headings = repeated_header_rows(frame, self._plan.header.groups, cells) & ~template
                cut = last_person(frame, template | headings, cells)
                carry = (frame.iloc[cut:].reset_index(drop=True), lines[cut:]) if cut < len(frame) else None
                if cut:
                    tally.add(lines[:cut], template[:cut], headings[:cut])
                    yield self._table(frame.iloc[:cut], lines[:cut], template[:cut], headings[:cut])
        except pd.errors.ParserError as exc:
            raise self._parser_error(exc) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"CSV无法读取（{type(exc).__name__}）", path) from None
        footer_texts: list[str] = []
        if carry is not None:
            frame, lines = carry
            cells = Cells(frame)
            template = template_rows(frame, cells)
            headings = repeated_header_rows(frame, self._plan.header.groups, cells) & ~template
            footer = footer_rows(frame, template | headings, cells)
            footer_texts = quoted_lines(frame, lines, footer)
            tally.add(lines[~footer], template[~footer], headings[~footer])
            if (~footer).any():   # blank rows after the last person (no people: a run passes them by)
                yield self._table(frame.loc[~footer], lines[~footer], template[~footer], headings[~footer])
        self._summarise(tally, footer_texts)

    def _parser_error(self, exc: Exception) -> InputError:
        """pandas' parser error as read_tables words it (naming the line) when the file is small
        enough to be read whole for that, else in general terms."""
        if self._size <= MAX_FILE_BYTES:
            return parser_error(exc, self.path.read_bytes(), self._used, self._plan, self._offset is not None,
                                str(self.path))
        return InputError("CSV格式错误，无法读取（引号、分隔符或换行不成对）；请用Excel打开后另存为CSV再审查",
                          str(self.path))

    def _table(self, frame: pd.DataFrame, lines: np.ndarray, template: np.ndarray, headings: np.ndarray) -> RawTable:
        return RawTable(str(self.path), self._digest, frame.reset_index(drop=True), np.asarray(lines),
                        self._plan.header_lines[1], None, [], skipped=np.asarray(template | headings), label=self.label,
                        groups=dict(self._plan.header.groups), headings=np.asarray(headings))

    def _summarise(self, tally: _Tally, footer_texts: list[str]) -> None:
        blank = np.concatenate(tally.blank) if tally.blank else np.array([], dtype=np.int64)
        headings = np.concatenate(tally.headings) if tally.headings else np.array([], dtype=np.int64)
        notes = self.notes + read_notes(self.path, self._plan.header, self._plan.header_lines, self.header_row,
                                        tally.span(), blank, footer_texts, headings)
        self.summary = {"file": self.name, "path": str(self.path), "sha256": self._digest, "sheet": None,
                        "header_row": self._plan.header_lines[1], "rows": tally.people,
                        "blank_rows_skipped": len(blank), "footer_rows_skipped": len(footer_texts),
                        "notes": notes}

