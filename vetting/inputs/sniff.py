"""What a file really is (by its first bytes, not its name) and how its text is encoded.

Pure functions on bytes. Counties rename files freely: a CSV saved as ".xlsx", an xlsx
saved as ".csv", a web page exported as ".xls". Reading by content, and saying so, turns
most of these into normal runs; the rest get a message saying what the file really is.
"""

from __future__ import annotations

import codecs
import re
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vetting.errors import InputError

#: What a file's first bytes say it is.
ZIP, OLE2, HTML, PDF, TEXT, BINARY, EMPTY = "zip", "ole2", "html", "pdf", "text", "binary", "empty"

_MAGIC = ((b"PK\x03\x04", ZIP), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2), (b"%PDF", PDF))
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<table|<\?xml[^>]*>\s*<html|<meta)", re.I)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Control characters other than tab, CR, LF and form feed: their share tells binary from text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01
_IS_CONTROL = np.zeros(0x10000, dtype=bool)
_IS_CONTROL[[*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F]] = True
#: Binary content is looked for block by block over the whole file.
_BLOCK = 1 << 16
#: A line that decodes as UTF-8 with at least this many non-ASCII characters is UTF-8 text (a GBK
#: line with several Chinese characters practically never is valid UTF-8).
_UTF8_EVIDENCE = 4

KIND_LABELS = {ZIP: "Excel(.xlsx)", OLE2: "旧版Excel(.xls)", HTML: "网页(HTML)", PDF: "PDF文档",
               TEXT: "CSV文本", BINARY: "二进制数据", EMPTY: "空文件"}


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes (a few KB are enough)."""
    if not head.strip():
        return EMPTY
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_UTF16_BOMS):
        return TEXT
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if _HTML.match(body):
        return HTML
    if b"\x00" in head:
        return BINARY
    return TEXT


def detect_encoding(raw: bytes, encoding: str | None, path: str) -> str:
    """The text encoding of ``raw``: the given one, else UTF-8 (BOM or not), UTF-16 with BOM, GB18030.

    GB18030 is a superset of GBK and GB2312, so files saved by Chinese Excel or WPS decode
    with it. The whole file is checked, in chunks, without holding its decoded text.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"未知的编码「{encoding}」（常用：utf-8、gb18030、gbk）", path) from None
        offset = _first_bad_byte(raw, encoding)
        if offset is not None:
            line = raw[:offset].count(b"\n") + 1
            raise InputError(f"不能按编码「{encoding}」读取：第{line}行有无法解码的字节；"
                             "去掉 --encoding 可自动识别 UTF-8 / GB18030", path)
        return encoding
    if raw.startswith(_UTF16_BOMS):
        return "utf-16"
    if _first_bad_byte(raw, "utf-8-sig") is None:
        return "utf-8-sig"
    refuse_mixed_slices([(raw, 1)], path)
    if _first_bad_byte(raw, "gb18030") is None:
        return "gb18030"
    raise InputError("无法识别文件编码（已尝试 UTF-8 和 GB18030），请用 --encoding 指定", path)


def refuse_mixed_slices(slices: Iterable[tuple[bytes, int]], path: str) -> None:
    """Refuse a file that is not UTF-8 as a whole but has lines that clearly are: lines saved in
    two encodings (one pasted from another file). Read as GB18030, the UTF-8 lines would come
    out garbled without any error; read as UTF-8, the others would. The file comes as slices cut
    at line ends, each with the line it starts on (one slice: the whole file); UTF-8 lines in one
    slice and others in another are two encodings all the same. Examined column-wise, a few MB
    at a time, until four lines of each kind are found."""
    utf8: list[int] = []
    other: list[int] = []
    for piece, first_line in _pieces(slices):
        if len(utf8) > 3 and len(other) > 3:
            break
        lines = pc.list_flatten(pc.split_pattern(pa.array([piece.decode("utf-8", errors="replace")],
                                                          pa.large_string()), "\n"))
        broken = pc.match_substring(lines, "\ufffd").to_numpy(zero_copy_only=False)
        clean = np.flatnonzero(~broken)
        foreign = pc.count_substring_regex(lines.take(pa.array(clean)), "[^\\x00-\\x7f]").to_numpy(zero_copy_only=False)
        utf8 += (first_line + clean[foreign >= _UTF8_EVIDENCE]).tolist()[:4 - min(4, len(utf8))]
        other += (first_line + np.flatnonzero(broken)).tolist()[:4 - min(4, len(other))]
    if utf8 and other:
        raise InputError(f"文件混用了两种编码：第{_lines_text(utf8)}是UTF-8，第{_lines_text(other)}不是（多为GBK）；"
                         "按任何一种编码读取都会有一部分行成为乱码。请用Excel或记事本打开后统一另存为UTF-8再审查"
                         "（如确为单一编码，可用 --encoding 指定）", path)


def _pieces(slices: Iterable[tuple[bytes, int]], size: int = 1 << 22) -> Iterator[tuple[bytes, int]]:
    """The slices cut again at line ends into pieces of about `size` bytes, each with the 0-based
    line it starts on."""
    for raw, line in slices:
        line, start = line - 1, 0
        while start < len(raw):
            end = raw.find(b"\n", start + size)
            end = len(raw) if end < 0 else end + 1
            yield raw[start:end], line
            line += raw.count(b"\n", start, end)
            start = end


def _lines_text(indexes: list[int]) -> str:
    shown = "、".join(str(i + 1) for i in indexes[:3])
    return f"{shown}行" + ("等" if len(indexes) > 3 else "")


def refuse_binary(raw: bytes, path: str, first_line: int = 1) -> None:
    """Refuse a text file with binary content anywhere: a NUL character, or a block in which more
    than 1% of the characters are control characters (other than tab, line breaks, form feed).

    The whole file is examined, block by block: valid rows followed by gigabytes of NUL bytes
    must not be read as a CSV. UTF-16 files are examined as 16-bit characters. ``first_line``:
    the line ``raw`` starts on (a file examined slice by slice).
    """
    if raw.startswith(_UTF16_BOMS):
        order = "<u2" if raw.startswith(codecs.BOM_UTF16_LE) else ">u2"
        units = np.frombuffer(raw, dtype=order, count=(len(raw) - 2) // 2, offset=2)
        width, newline = 2, b"\n\x00" if order == "<u2" else b"\x00\n"
    else:
        units, width, newline = np.frombuffer(raw, dtype=np.uint8), 1, b"\n"
    if width == 1:
        nul = raw.find(b"\0")
    else:
        zero = np.flatnonzero(units == 0)
        nul = int(zero[0]) * 2 + 2 if len(zero) else -1
    if nul >= 0:
        line = _line_at(raw, nul, newline) + first_line - 1
        raise InputError(f"第{line}行起有空字符（NUL，二进制数据）：文件不是纯文本的CSV，"
                         "可能已损坏或混入了其他数据", path)
    for start in range(0, len(units), _BLOCK * 256):  # 16 MB at a time: no file-sized temporaries
        part = units[start:start + _BLOCK * 256]
        low = np.flatnonzero((part < 0x20) | (part == 0x7F))
        control = low[_IS_CONTROL[part[low]]]
        if not len(control):
            continue
        per_block = np.bincount(control // _BLOCK)
        size = np.minimum(_BLOCK, len(part) - np.arange(len(per_block)) * _BLOCK)
        bad = np.flatnonzero(per_block > _MAX_CONTROL_SHARE * size)
        if len(bad):
            first = start + int(control[np.searchsorted(control, bad[0] * _BLOCK)])
            line = _line_at(raw, first * width + (2 if width == 2 else 0), newline) + first_line - 1
            raise InputError(f"第{line}行起的内容是二进制数据（控制字符过多），不是CSV文本", path)


def _line_at(raw: bytes, offset: int, newline: bytes) -> int:
    return raw.count(newline, 0, offset) + 1


def head_text(raw: bytes, encoding: str, path: str, limit: int = 4 << 20) -> tuple[str, bool]:
    """(text of the first ``limit`` bytes, whether that is the whole file); refuses binary content."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    whole = len(raw) <= limit
    text = decoder.decode(raw[:limit], final=whole)
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:4096]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise InputError("文件内容是二进制数据，不是CSV文本或Excel表格", path)
    return text, whole


def _first_bad_byte(raw: bytes, encoding: str, chunk: int = 1 << 20) -> int | None:
    """Offset of the first byte that does not decode, or None (checked chunk by chunk)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    for start in range(0, max(len(raw), 1), chunk):
        try:
            decoder.decode(raw[start:start + chunk], final=start + chunk >= len(raw))
        except UnicodeDecodeError as exc:
            return start + max(0, exc.start)
    return None
