"""What a file really is (by its first bytes, not its name) and how its text is encoded.

Pure functions on bytes. Counties rename files freely: a CSV saved as ".xlsx", an xlsx
saved as ".csv", a web page exported as ".xls". Reading by content, and saying so, turns
most of these into normal runs; the rest get a message saying what the file really is.
"""

from __future__ import annotations

import codecs
import re

from vetting.errors import InputError

#: What a file's first bytes say it is.
ZIP, OLE2, HTML, PDF, TEXT, BINARY, EMPTY = "zip", "ole2", "html", "pdf", "text", "binary", "empty"

_MAGIC = ((b"PK\x03\x04", ZIP), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2), (b"%PDF", PDF))
_HTML = re.compile(rb"^\s*(<!doctype html|<html|<table|<\?xml[^>]*>\s*<html|<meta)", re.I)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Control characters other than tab, CR, LF and form feed: their share tells binary from text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01

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
    for enc in ("utf-8-sig", "gb18030"):
        if _first_bad_byte(raw, enc) is None:
            return enc
    raise InputError("无法识别文件编码（已尝试 UTF-8 和 GB18030），请用 --encoding 指定", path)


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
