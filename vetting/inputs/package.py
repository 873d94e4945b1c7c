"""Zip-based workbooks (.xlsx, .xlsm, .xlsb, .ods) measured against the limits before they are opened.

The spreadsheet library trusts the file: it lays out every cell from A1 to the farthest one
that holds a value (one cell at XFD1048576 asks for 17 billion cells and aborts the process)
and unpacks shared strings whole (a 316 KB file can hold a 300 MB cell). So the package is
measured first, streaming, without building anything per cell:

* the members' unpacked sizes (as declared, and as actually unpacked: a lie fails the CRC),
  their total and their packing ratio;
* in every XML member, the farthest cell reference and the number of rows, the way the
  library places cells (a cell or row without a reference follows the previous one);
* in worksheets, shared strings and ODS content, the longest text between two tags.

The sheet's declared ``<dimension ref=…>`` is not used: the library ignores it, and so may we.
The scan works on bytes with numpy, 16 MB at a time (about 1 s per 150 MB of sheet XML).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from vetting.errors import InputError
from vetting.inputs import limits as L
from vetting.inputs.cells import column_letter
from vetting.inputs.limits import count_text, size_text
from vetting.inputs.opendoc import table_reach

_CHUNK = 1 << 24
#: Bytes of look-ahead a pattern may need past its start (tag names, `r = "XFD1048576"`).
_AHEAD = 64
_WS = np.array([0x20, 0x09, 0x0A, 0x0D], dtype=np.uint8)
_TAG_END = np.array([0x20, 0x09, 0x0A, 0x0D, ord(">"), ord("/")], dtype=np.uint8)
_TAG_END_LUT = np.zeros(256, dtype=bool)
_TAG_END_LUT[_TAG_END] = True
#: Excel's references have at most 3 letters and 7 digits; longer ones are taken as beyond its range.
_REF_LETTERS = 4
_REF_DIGITS = 8
_FAR = 1 << 40
_DAMAGED = "无法作为Excel文件读取：文件已损坏或不完整；可用Excel打开后另存为.xlsx再试"


@dataclass
class Reach:
    """What the scan of one XML member found (running totals while streaming)."""

    max_row: int = 0
    max_col: int = 0
    row_tags: int = 0
    row_refs: int = 0
    cell_tags: int = 0
    cell_refs: int = 0
    widest_row: int = 0
    longest_text: int = 0
    unusual: bool = False

    @property
    def rows(self) -> int:
        """Last row the library can reach: the farthest reference, plus rows placed after it."""
        return self.max_row + max(0, self.row_tags - self.row_refs)

    @property
    def columns(self) -> int:
        """Last column the library can reach (cells without a reference follow the previous one)."""
        return self.max_col + (self.widest_row if self.cell_tags > self.cell_refs else 0)


def check_package(path: Path) -> None:
    """Refuse a zip-based workbook that unpacks too large, too far or into too long a cell.

    A file that is not a readable zip is left to the spreadsheet library, whose message says
    the workbook is damaged.
    """
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    with book:
        infos = [i for i in book.infolist() if not i.is_dir()]
        _check_sizes(infos, str(path))
        names = _sheet_names(book)
        for info in infos:
            if not info.filename.lower().endswith(".xml"):
                continue
            reach = _scan(book, info, str(path), text=_holds_cells(info.filename))
            where = names.get(info.filename)
            where = f"工作表「{where}」" if where else f"工作簿中的「{info.filename}」"
            _check_reach(reach, where, str(path))
            if info.filename == "content.xml":
                _check_opendoc(book, info, str(path))


def _check_opendoc(book: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> None:
    """The tables of an .ods file, by their runs of repeated cells and rows (see ``opendoc``)."""
    if info.file_size > L.MAX_ODS_CONTENT_BYTES:
        raise InputError(f"ODS表格的内容解压后有{size_text(info.file_size)}，超过上限{size_text(L.MAX_ODS_CONTENT_BYTES)}；"
                         "请另存为.xlsx或CSV后再审查", path)
    try:
        content = book.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        raise InputError(_DAMAGED, path) from None
    for name, rows, columns in table_reach(content):
        _check_reach(Reach(max_row=rows, max_col=columns), f"工作表「{name}」", path)


def _check_sizes(infos: list[zipfile.ZipInfo], path: str) -> None:
    total = sum(i.file_size for i in infos)
    if total > L.MAX_FILE_BYTES:
        raise InputError(f"工作簿解压后共{size_text(total)}，超过上限{size_text(L.MAX_FILE_BYTES)}；"
                         "请拆分为多个文件或另存为CSV后再审查", path)
    for info in infos:
        if info.file_size > L.RATIO_FLOOR_BYTES and info.file_size > L.MAX_PACK_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise InputError(f"工作簿中的「{info.filename}」压缩后只有{size_text(info.compress_size)}，解压后却有"
                             f"{size_text(info.file_size)}（{ratio}倍），超过上限{L.MAX_PACK_RATIO}倍：文件可能是恶意构造的"
                             "“压缩炸弹”，已拒绝读取", path)


def _check_reach(reach: Reach, where: str, path: str) -> None:
    if reach.unusual:
        raise InputError(f"{where}中单元格位置的写法异常（r属性的等号两侧有空白），无法确认其范围；"
                         "请用Excel打开后另存为.xlsx再试", path)
    if reach.longest_text > L.MAX_CELL_CHARS:
        raise InputError(f"{where}中有一段单元格文本长达{count_text(reach.longest_text)}个字符，超过上限"
                         f"{count_text(L.MAX_CELL_CHARS)}个字符（Excel本身最多32767个）；请删去超长内容后再审查", path)
    rows, columns = reach.rows, reach.columns
    if not rows or not columns:
        return
    if rows > L.EXCEL_MAX_ROWS or columns > L.EXCEL_MAX_COLUMNS:
        raise InputError(f"{where}的单元格超出了Excel的最大范围（延伸到第{rows}行、第{columns}列；Excel最多"
                         f"{L.EXCEL_MAX_ROWS}行、{L.EXCEL_MAX_COLUMNS}列）：文件可能是恶意构造的或已损坏，已拒绝读取", path)
    if rows * columns > L.MAX_SHEET_CELLS:
        corner = f"{column_letter(columns - 1)}{rows}"
        raise InputError(f"{where}的单元格延伸到{corner}（第{rows}行、第{columns}列），读取时要展开"
                         f"{count_text(rows * columns)}个单元格，超过上限{count_text(L.MAX_SHEET_CELLS)}个；"
                         "请删除远处多余的单元格、拆分文件或另存为CSV后再审查", path)


def _holds_cells(name: str) -> bool:
    """Members whose text between tags is cell text: worksheets, shared strings, ODS content."""
    low = name.lower()
    return "worksheets/" in low or low.endswith("sharedstrings.xml") or low == "content.xml"


def _scan(book: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, text: bool) -> Reach:
    """Stream one member through the counters; a member that does not unpack as declared is damaged."""
    reach = Reach()
    carry = _Carry()
    try:
        with book.open(info) as stream:
            tail = b""
            while True:
                chunk = stream.read(_CHUNK)
                last = not chunk
                data = tail + chunk
                if not data:
                    break
                upto = len(data) if last else max(0, len(data) - _AHEAD)
                padded = data + b"\0" * _AHEAD
                _count(np.frombuffer(padded, dtype=np.uint8), padded, upto, reach, carry, text)
                tail = data[upto:]
                if last:
                    break
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        raise InputError(_DAMAGED, path) from None
    reach.widest_row = max(reach.widest_row, carry.cells_in_row)
    if carry.text_bytes > L.MAX_CELL_CHARS:
        reach.longest_text = max(reach.longest_text, carry.text_chars)
    return reach


@dataclass
class _Carry:
    """Counts that run over a chunk boundary: cells of the open row, characters since the last tag."""

    cells_in_row: int = 0
    last_byte: int = 0x20
    text_bytes: int = 0
    text_chars: int = 0


_PREFIXED = re.compile(rb"<[A-Za-z0-9]{1,8}:(row|c)[\s/>]")
_IS_WS = np.zeros(256, dtype=bool)
_IS_WS[_WS] = True
_QUOTES = (ord('"'), ord("'"))


def _count(data: np.ndarray, raw: bytes, upto: int, reach: Reach, carry: _Carry, text: bool) -> None:
    """Add one chunk's tags, references and text lengths (positions before ``upto``) to ``reach``."""
    lt = np.flatnonzero(data[:upto] == ord("<"))
    name = data[lt + 1]
    cells = lt[(name == ord("c")) & _TAG_END_LUT[data[lt + 2]]]
    rows = lt[(name == ord("r")) & (data[lt + 2] == ord("o")) & (data[lt + 3] == ord("w")) & _TAG_END_LUT[data[lt + 4]]]
    colon = np.flatnonzero(data[:upto] == ord(":")) if len(lt) else lt
    opener = lt[np.maximum(np.searchsorted(lt, colon) - 1, 0)]
    near = np.unique(opener[(colon > opener) & (colon - opener <= 9)])
    prefixed = [m for m in (_PREFIXED.match(raw, i) for i in near.tolist()) if m]
    if prefixed:  # <x:c …>, <x:row …>: written by a few libraries
        extra = np.array([m.start() for m in prefixed], dtype=np.int64)
        is_row = np.array([m[1] == b"row" for m in prefixed], dtype=bool)
        rows = np.sort(np.concatenate([rows, extra[is_row]]))
        cells = np.sort(np.concatenate([cells, extra[~is_row]]))
    reach.row_tags += len(rows)
    reach.cell_tags += len(cells)
    in_row = np.bincount(np.searchsorted(rows, cells), minlength=len(rows) + 1)
    in_row[0] += carry.cells_in_row
    reach.widest_row = max(reach.widest_row, int(in_row[:-1].max(initial=0)))
    carry.cells_in_row = int(in_row[-1])
    _references(data, raw, upto, reach, carry.last_byte)
    carry.last_byte = int(data[upto - 1]) if upto else carry.last_byte
    if text:
        _text_runs(raw, lt, upto, reach, carry)


def _text_runs(raw: bytes, lt: np.ndarray, upto: int, reach: Reach, carry: _Carry) -> None:
    """The longest text between two tags, in characters (bytes first: a run of bytes no longer
    than the limit cannot hold more characters than the limit)."""
    if not len(lt):  # inside a long text: every byte of this chunk belongs to it
        carry.text_bytes += upto
        carry.text_chars += _chars(raw[:upto])
        return
    first = carry.text_bytes + int(lt[0])
    if first > L.MAX_CELL_CHARS:
        reach.longest_text = max(reach.longest_text, carry.text_chars + _chars(raw[:int(lt[0])]))
    runs = np.diff(lt) - 1
    for k in np.flatnonzero(runs > L.MAX_CELL_CHARS)[:8].tolist():
        reach.longest_text = max(reach.longest_text, _chars(raw[int(lt[k]) + 1:int(lt[k + 1])]))
    carry.text_bytes = upto - int(lt[-1]) - 1
    carry.text_chars = _chars(raw[int(lt[-1]) + 1:upto])


def _chars(data: bytes) -> int:
    """UTF-8 characters in ``data`` (continuation bytes not counted)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return int(np.count_nonzero((arr & 0xC0) != 0x80))


def _references(data: np.ndarray, raw: bytes, upto: int, reach: Reach, before: int = 0x20) -> None:
    """Cell and row references (r="XFD1048576", r='5') of this chunk into ``reach``; a reference in a
    self-closing tag (<c r="XFD1" s="3"/>, a formatted empty cell) holds no value and is not placed.
    ``before`` is the byte that preceded this chunk."""
    r = np.flatnonzero(data[:upto] == ord("r"))
    r = r[_IS_WS[np.where(r > 0, data[r - 1], before)]]
    after = data[r + 1]
    _spaced(data, raw, r[_IS_WS[after]], r[(after == ord("=")) & _IS_WS[data[r + 2]]], reach)
    at = r[(after == ord("=")) & np.isin(data[r + 2], _QUOTES)]
    if not len(at):
        return
    value = data[at[:, None] + 3 + np.arange(_REF_LETTERS + _REF_DIGITS + 1)]
    upper = value & 0xDF
    letters = np.argmin((upper >= ord("A")) & (upper <= ord("Z")), axis=1)
    digit = (value >= ord("0")) & (value <= ord("9"))
    running = digit | (np.arange(value.shape[1]) < letters[:, None])
    stop = np.where(running.all(axis=1), value.shape[1], np.argmin(running, axis=1))
    digits = stop - letters
    row = np.zeros(len(at), dtype=np.int64)
    for k in range(int(stop.max())):
        row = np.where((k >= letters) & (k < stop), row * 10 + value[:, k] - ord("0"), row)
    col = np.zeros(len(at), dtype=np.int64)
    for k in range(int(letters.max())):
        col = np.where(k < letters, col * 26 + upper[:, k] - (ord("A") - 1), col)
    too_long = (letters > _REF_LETTERS - 1) | (digits > _REF_DIGITS - 1)  # beyond XFD / 1048576 anyway
    row, col = np.where(too_long, _FAR, row), np.where(too_long, _FAR, col)
    is_row, is_cell = (letters == 0) & (digits > 0), (letters > 0) & (digits > 0)
    reach.row_refs += int(is_row.sum())
    reach.cell_refs += int(is_cell.sum())
    row, col = np.where(is_row | is_cell, row, 0), np.where(is_cell, col, 0)
    far_row, far_col = int(np.argmax(row)), int(np.argmax(col))
    if _self_closing(raw, at[far_row]) or _self_closing(raw, at[far_col]):  # rare: exclude all such tags
        gt = np.flatnonzero(data == ord(">"))
        end = np.searchsorted(gt, at)
        closed = np.zeros(len(at), dtype=bool)
        known = end < len(gt)
        closed[known] = data[gt[end[known]] - 1] == ord("/")
        row, col = np.where(closed, 0, row), np.where(closed, 0, col)
    reach.max_row = max(reach.max_row, int(row.max()))
    reach.max_col = max(reach.max_col, int(col.max()))


def _self_closing(raw: bytes, at: int) -> bool:
    """Whether the tag holding the attribute at ``at`` ends with '/>' (unknown: taken as not)."""
    end = raw.find(b">", at)
    return end > 0 and raw[end - 1:end] == b"/"


def _spaced(data: np.ndarray, raw: bytes, alone: np.ndarray, after: np.ndarray, reach: Reach) -> None:
    """Flag r = "A1" / r= "A1" inside a tag: legal XML the library accepts, never written by Excel;
    its position is not read by the vectorised scan, so the sheet's reach would be unknown."""
    if len(alone):
        window = data[alone[:, None] + 1 + np.arange(_AHEAD - 2)]
        first = np.argmin(_IS_WS[window], axis=1)
        alone = alone[window[np.arange(len(alone)), first] == ord("=")]
    for at in np.concatenate([after, alone]).tolist():
        if raw.rfind(b"<", 0, at) >= raw.rfind(b">", 0, at):  # inside a tag, not cell text
            reach.unusual = True
            return


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")


def _attrs(tag: bytes) -> dict[str, str]:
    return {m[1].decode("utf-8", "replace"): (m[2] or m[3] or b"").decode("utf-8", "replace")
            for m in _ATTR.finditer(tag)}


def _sheet_names(book: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member -> sheet name, read from xl/workbook.xml and its relationships (best effort:
    a member that cannot be named is called by its path in messages)."""
    try:
        names = {n.lower(): n for n in book.namelist()}
        workbook = book.read(names["xl/workbook.xml"])[:1 << 22]
        rels = book.read(names["xl/_rels/workbook.xml.rels"])[:1 << 22]
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError):
        return {}
    targets = {}
    for tag in _REL.findall(rels):
        attrs = _attrs(tag)
        target = attrs.get("Target", "")
        full = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        targets[attrs.get("Id")] = names.get(full.lower(), full)
    out = {}
    for tag in _SHEET.findall(workbook):
        attrs = _attrs(tag)
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if rid in targets and "name" in attrs:
            out[targets[rid]] = attrs["name"]
    return out
