"""The records of a CSV body as frames of text cells, parsed by pyarrow when it can and by pandas
otherwise, with the same result either way.

pandas' C parser is what `read_delimited` promises (short rows padded with blanks, a line of
spaces as a short row, its error messages); pyarrow's parses the same well-formed file three
times faster and hands over Arrow strings directly, but refuses a row whose field count differs
from the header's, takes a quote left open at the end of the file as a cell to the end, and may
lose the line feed of a CR LF inside a quoted cell. So a UTF-8 body is parsed by pyarrow until a
row it refuses, any other parse error, a carriage return in a cell or an open quote at the end;
from there on pandas parses it again from the start, and the frames pyarrow already gave are
passed over. Where both parse a row, they read the same cells
(tests/test_bodyparse.py proves it on arbitrary text).
"""

from __future__ import annotations

import codecs
import io
import re
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from vetting.textbytes import may_hold

if TYPE_CHECKING:
    from vetting.inputs.delimited import BodyPlan

#: Bytes pyarrow parses at a time; a record longer than this is left to pandas. pyarrow reads
#: and parses blocks ahead of the caller while a run waits for its workers: at 4 MB that held
#: ~400 MB more at 1M rows (own peak 723 MB against 330 MB with pandas), at 128 KB ~80 MB, with
#: the same speed (1M rows in slices: 3.5-4.5 s against 6-7 s).
ARROW_BLOCK = 128 << 10
_LINE_END = re.compile(rb"\r\n|\r|\n")
_UTF8 = ("utf-8", "utf-8-sig")
_LINE_BYTE_ENCODINGS = (*_UTF8, "gb18030", "gbk", "gb2312")
_TEXT = pd.Series([], dtype=str).dtype      # what pandas' read_csv(dtype=str) gives (Arrow strings in pandas 3)


def line_offset(head: bytes, line: int) -> int | None:
    """The byte offset at which line `line` (1-based; CR LF, LF and a lone CR end a line) starts
    in `head`, or None when `head` ends before it."""
    if line <= 1:
        return 0
    for count, end in enumerate(_LINE_END.finditer(head), start=2):
        if count == line:
            return end.end()
    return None


def body_offset(head: bytes, plan: BodyPlan, encoding: str) -> int | None:
    """The byte offset of the body's first line in `head` (the file's first bytes), for an
    encoding in which a byte CR or LF is always a line end (UTF-8, the GB family); else None."""
    if _codec(encoding) not in _LINE_BYTE_ENCODINGS:
        return None
    return line_offset(head, plan.first_line)


def body_frames(source: str | bytes, plan: BodyPlan, encoding: str, offset: int | None,
                rows: int | None = None, before_pandas: Callable[[], None] | None = None) -> Iterator[pd.DataFrame]:
    """The body's records as frames of `rows` records each (one frame when None), cells as text,
    columns numbered as `plan.read_options` names them, as pandas' chunked reader gives them
    (errors included). `source` is a path or the file's bytes; `offset` is the byte offset of the
    body's first line (`line_offset`), where both parsers start; None when unknown or for UTF-16
    (pandas then skips the header's records itself, as pyarrow cannot). A body without records
    is left to pandas (whose empty frame the callers know). `before_pandas` is called before
    pandas parses (a stream whose file is still being checked waits for the check: pandas reads
    a giant record, such as a run of NUL bytes, into memory whole)."""
    given = 0
    if offset is not None and parsed_by_arrow(encoding):
        try:
            for frame in _arrow_frames(source, plan, offset, rows):
                yield frame
                given += 1
            if given:
                return
        except pa.ArrowInvalid:
            pass                                    # pandas reads on (see the module)
    if before_pandas is not None:
        before_pandas()
    options = plan.read_options(encoding)
    if offset is not None:
        options["skiprows"] = 0     # pandas' own skipping misreads a lone-CR file's first body cell
    with _opened(source, offset or 0) as handle:
        if rows is None:
            yield pd.read_csv(handle, **options)
            return
        with pd.read_csv(handle, chunksize=rows, **options) as chunks:
            for k, chunk in enumerate(chunks):
                if k >= given:
                    yield chunk


def _arrow_frames(source: str | bytes, plan: BodyPlan, offset: int, rows: int | None) -> Iterator[pd.DataFrame]:
    width = plan.width + plan.trailing
    names = [str(i) for i in range(width)]
    read = pcsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK, use_threads=False)
    parse = pcsv.ParseOptions(delimiter=plan.delimiter, newlines_in_values=True, ignore_empty_lines=False)
    convert = pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                  quoted_strings_can_be_null=False)
    with _opened(source, offset) as handle:
        reader = pcsv.open_csv(handle, read_options=read, parse_options=parse, convert_options=convert)
        held: list[pa.RecordBatch] = []
        count, start = 0, 0
        for batch in reader:
            held.append(batch)
            count += batch.num_rows
            while rows is not None and count > rows:      # the last record waits for the check below
                table = pa.Table.from_batches(held)
                yield _frame(_trusted(table.slice(0, rows)), start)
                held, count, start = table.slice(rows).to_batches(), count - rows, start + rows
        if count:
            table = pa.Table.from_batches(held, schema=reader.schema)
            if _open_at_end(source, table.column(width - 1)[-1].as_py()):
                raise pa.ArrowInvalid("the last cell's quote is never closed")
            yield _frame(_trusted(table), start)


def _trusted(table: pa.Table) -> pa.Table:
    """`table`, unless a cell holds a carriage return: pyarrow drops the line feed of a CR LF
    inside a quoted cell when its blocks part between the two (apache/arrow#51368, open in
    pyarrow 26), leaving a lone CR; such a body is left to pandas. Excel ends lines with CR LF,
    but breaks lines inside a cell with LF alone."""
    for column in table.columns:
        if may_hold(column, b"\r") and pc.any(pc.match_substring(column, "\r")).as_py():
            raise pa.ArrowInvalid("a carriage return inside a cell")
    return table


def _open_at_end(source: str | bytes, last: str) -> bool:
    """Whether the file may end inside a quoted cell (pyarrow then takes the rest of the file as
    that cell, where pandas refuses it): its bytes end with a quote and the last cell as a quoted
    cell spells it, unclosed. A closed cell ends otherwise, but for a last cell written `""`."""
    tail = b'"' + last.replace('"', '""').encode("utf-8")
    if isinstance(source, bytes):
        return source.endswith(tail)
    with open(source, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - len(tail)))
        return handle.read() == tail


def _opened(source: str | bytes, offset: int) -> BinaryIO:
    """`source` from byte `offset` on, as a file."""
    if isinstance(source, bytes):
        return io.BytesIO(memoryview(source)[offset:])
    handle = open(source, "rb")
    handle.seek(offset)
    return handle


def parsed_by_arrow(encoding: str) -> bool:
    """Whether a body in `encoding` is parsed by pyarrow first (see the module): UTF-8."""
    return _codec(encoding) in _UTF8


def _codec(encoding: str) -> str:
    """An encoding's canonical name ("UTF8", "utf_8" -> "utf-8"); the name itself when unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _frame(table: pa.Table, start: int) -> pd.DataFrame:
    """Arrow columns as pandas' parser gives them: text dtype, columns numbered, rows counted on."""
    mapper = {pa.string(): _TEXT, pa.large_string(): _TEXT}.get if isinstance(_TEXT, pd.StringDtype) else None
    frame = table.combine_chunks().to_pandas(types_mapper=mapper)
    frame.columns = list(range(table.num_columns))
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame if mapper is not None else frame.astype(object)
