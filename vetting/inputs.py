"""Read roster files (xlsx, xls, csv) into text tables, finding the header row and keeping row numbers."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from vetting.errors import InputError
from vetting.fields import Field
from vetting.normalize.headers import alias_index, header_score

HEADER_SCAN_ROWS = 30
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass
class RawTable:
    """One sheet of text cells: '' for blank, header texts as columns, row numbers as the user sees them."""

    path: str
    sha256: str
    frame: pd.DataFrame
    source_rows: np.ndarray
    header_row: int
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.path).name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cell_text(value: object) -> str:
    """Excel cell -> text. Large numbers keep scientific notation so an ID stored as a number is detectable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15E}" if abs(value) >= 1e15 else repr(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def _find_header(rows: list[list[object]], index: Mapping[str, str], path: str) -> int:
    scores = [header_score(row, index) for row in rows[:HEADER_SCAN_ROWS]]
    best = int(np.argmax(scores)) if scores else 0
    if not scores or scores[best] < 2:
        raise InputError("前30行中找不到花名册表头（应含「姓名」「公民身份号码」等列），"
                         "请检查文件或用 --header-row 指定表头所在行", path)
    return best


def _unique_headers(cells: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(cells):
        text = _cell_text(cell).strip() or f"第{i + 1}列"
        if text in seen:
            seen[text] += 1
            text = f"{text}({seen[text]})"
        else:
            seen[text] = 1
        out.append(text)
    return out


def _read_excel(path: Path, sheet: str | None, header_row: int | None,
                index: Mapping[str, str]) -> tuple[pd.DataFrame, np.ndarray, int, str]:
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise InputError(f"无法作为Excel文件读取（{type(exc).__name__}）", str(path)) from None
    with book:
        names = [str(s) for s in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise InputError(f"没有名为「{sheet}」的工作表；现有：{'、'.join(names)}", str(path))
        candidates = [sheet] if sheet is not None else names
        for name in candidates:
            data = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
            rows = data.head(HEADER_SCAN_ROWS).values.tolist()
            if header_row is None and len(candidates) > 1 and max(
                    [header_score(r, index) for r in rows] or [0]) < 2:
                continue
            top = header_row - 1 if header_row else _find_header(rows, index, str(path))
            headers = _unique_headers(data.iloc[top].tolist())
            body = data.iloc[top + 1:]
            frame = pd.DataFrame({h: body.iloc[:, i].map(_cell_text).to_numpy(dtype=object)
                                  for i, h in enumerate(headers)})
            return frame, np.arange(top + 2, top + 2 + len(frame)), top + 1, name
    raise InputError("没有任何工作表含有花名册表头，请用 --sheet 指定", str(path))


def _decode(raw: bytes, encoding: str | None, path: str) -> tuple[str, str]:
    for enc in ([encoding] if encoding else ["utf-8-sig", "gb18030"]):
        try:
            return raw.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError("无法识别文件编码（已尝试 UTF-8 和 GB18030），请用 --encoding 指定", path)


def _read_csv(path: Path, header_row: int | None, encoding: str | None,
              index: Mapping[str, str]) -> tuple[pd.DataFrame, np.ndarray, int]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputError("文件含有二进制内容，不是CSV文本", str(path))
    text, used = _decode(raw, encoding, str(path))
    head = list(csv.reader(io.StringIO("\n".join(text[:200_000].splitlines()[:HEADER_SCAN_ROWS]))))
    top = header_row - 1 if header_row else _find_header(head, index, str(path))
    try:
        frame = pd.read_csv(io.BytesIO(raw), encoding=used, dtype=str, header=None, skiprows=top + 1,
                            na_filter=False, skip_blank_lines=False, keep_default_na=False,
                            names=_unique_headers(head[top]) if top < len(head) else None)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"CSV格式错误：{exc}", str(path)) from None
    frame = frame.fillna("")
    return frame, _csv_line_numbers(text, top, len(frame)), top + 1


def _csv_line_numbers(text: str, header_index: int, count: int) -> np.ndarray:
    """Line numbers of data records; exact even when quoted cells contain line breaks."""
    if text.count('"') == 0 or text.count("\n") - header_index - 1 <= count:
        return np.arange(header_index + 2, header_index + 2 + count)
    reader = csv.reader(io.StringIO(text))
    lines = []
    start = 1
    for _ in reader:
        lines.append(start)
        start = reader.line_num + 1
    return np.array(lines[header_index + 1:header_index + 1 + count])


def read_table(path: str | Path, fields: Mapping[str, Field], sheet: str | None = None,
               header_row: int | None = None, encoding: str | None = None) -> RawTable:
    """Read one roster file; every failure is an InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("文件不存在", str(path))
    index = alias_index(fields)
    suffix = path.suffix.lower()
    sheet_used = None
    if suffix in EXCEL_SUFFIXES:
        frame, rows, header, sheet_used = _read_excel(path, sheet, header_row, index)
    elif suffix in (".csv", ".txt"):
        frame, rows, header = _read_csv(path, header_row, encoding, index)
    else:
        raise InputError(f"不支持的文件类型「{suffix or '无扩展名'}」（支持 .xlsx .xls .csv）", str(path))
    return RawTable(str(path), file_sha256(path), frame.reset_index(drop=True), rows, header, sheet_used)
