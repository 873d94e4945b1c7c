"""``read_tables``: one roster file -> RawTables (one per roster sheet), refusing unusable files
with a Chinese message.

Wires the pieces together: check the path, tell the file kind by content, read the sheets or
CSV, find the header, leave out footer lines after the last person, mark blank template rows,
refuse a file without a single person, and write down what was detected (``RawTable.notes``).
Every failure is an InputError naming the file.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from vetting.errors import InputError, os_reason
from vetting.fields import Field, alias_index
from vetting.inputs import sniff as kinds
from vetting.inputs.cells import column_text, fractional_numbers
from vetting.inputs.delimited import DELIMITER_NAMES, read_delimited
from vetting.inputs.excel import open_workbook, plan_sheets, sheet_cells, text_grid
from vetting.inputs.layout import HEADER_SCAN_ROWS, Header, find_header
from vetting.inputs.limits import MAX_FILE_BYTES, size_text
from vetting.inputs.package import check_package
from vetting.inputs.region import Cells, footer_rows, repeated_header_rows, template_rows
from vetting.inputs.table import RawTable, file_sha256
from vetting.privacy import cut_text

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_SNIFF_BYTES = 8192
_ROW_LIST_MAX = 6
_QUOTE_MAX = 24


class NoPeopleError(InputError):
    """A table whose header has no person under it (only blank template rows or a footer)."""


def read_tables(path: str | Path, fields: Mapping[str, Field], sheet: str | None = None,
                header_row: int | None = None, encoding: str | None = None) -> list[RawTable]:
    """Read one roster file into one RawTable per roster: a CSV or a single sheet gives one;
    a workbook with several visible sheets holding a roster header (one per village) gives
    one per sheet, in workbook order, each labelled ``file.xlsx[sheet]`` so that reports say
    which sheet a person is on. A roster sheet with nobody under its header is left out with
    a note, unless no sheet has anyone (then the file is refused). The first table's notes
    say which sheets were read and which were not, and why. Every failure is an InputError
    naming the file."""
    path, kind, notes = open_checked(path, sheet)
    index = alias_index(fields)
    if kind not in (kinds.ZIP, kinds.OLE2):
        return [_read_text(path, header_row, encoding, index, notes)]
    digest = file_sha256(path)
    with open_workbook(path) as book:
        plan = plan_sheets(book, path, sheet, header_row, index)
        if len(plan.names) == 1:
            name = plan.names[0]
            return [_read_excel_cells(path, sheet_cells(book, name, path), name, header_row, index,
                                      notes + plan.notes, digest)]
        tables: list[RawTable] = []
        empty: list[NoPeopleError] = []
        for name in plan.names:
            try:
                tables.append(_read_excel_cells(path, sheet_cells(book, name, path), name, header_row, index,
                                                [f"工作表「{name}」"], digest, label=f"{path.name}[{name}]"))
            except NoPeopleError as exc:
                empty.append(exc)
                plan.notes.append(f"工作表「{name}」表头以下没有人选，未读取")
    if not tables:
        raise empty[0]
    tables[0].notes[:0] = notes + plan.notes
    return tables


def open_checked(path: str | Path, sheet: str | None, limit: int = MAX_FILE_BYTES) -> tuple[Path, str, list[str]]:
    """The path, the file kind by content and the first notes (a misleading extension, an
    ignored --sheet); files that are no table at all, or larger than ``limit``, are refused here."""
    path = Path(path)
    _check_path(path, limit)
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES + TEXT_SUFFIXES:
        raise InputError(f"不支持的文件类型「{suffix or '无扩展名'}」（支持 .xlsx .xls .csv）", str(path))
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"无法读取文件：{os_reason(exc)}", str(path)) from None
    kind = kinds.sniff(head)
    if kind == kinds.EMPTY:
        raise InputError("文件是空的（没有任何内容）", str(path))
    if kind == kinds.HTML:
        raise InputError("文件实为网页(HTML)格式，不是真正的Excel表格；请用Excel打开后“另存为”.xlsx 再审查",
                         str(path))
    if kind in (kinds.PDF, kinds.BINARY):
        raise InputError(f"文件内容是{kinds.KIND_LABELS[kind]}，不是Excel或CSV表格", str(path))
    if kind == kinds.ZIP:
        check_package(path)
    notes: list[str] = []
    if kind in (kinds.ZIP, kinds.OLE2):
        if suffix not in EXCEL_SUFFIXES:
            notes.append(f"文件扩展名是{suffix}，但内容是Excel工作簿，已按Excel读取")
    else:
        if suffix in EXCEL_SUFFIXES:
            notes.append(f"文件扩展名是{suffix}，但内容是CSV文本，已按CSV读取")
        if sheet is not None:
            notes.append("CSV文件没有工作表，--sheet 被忽略")
    return path, kind, notes


_SPECIAL_FILES = ((stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISCHR, "字符设备"), (stat.S_ISBLK, "块设备"),
                  (stat.S_ISSOCK, "套接字"))


def _check_path(path: Path, limit: int = MAX_FILE_BYTES) -> None:
    """A regular file of at most ``limit`` bytes; anything else is refused before it is opened (a
    FIFO would block the run, /dev/zero never ends)."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        parent = path.parent
        if str(parent) not in ("", ".") and not parent.is_dir():
            raise InputError(f"文件不存在（所在文件夹 {parent} 不存在）", str(path)) from None
        raise InputError("文件不存在", str(path)) from None
    except OSError as exc:
        raise InputError(f"无法读取文件：{os_reason(exc)}", str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("这是一个文件夹，不是花名册文件", str(path))
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), "特殊文件")
        raise InputError(f"不是普通文件（是{kind}），无法作为表格读取", str(path))
    if info.st_size > limit:
        raise InputError(f"文件有{size_text(info.st_size)}，超过上限{size_text(limit)}；"
                         "请拆分为多个文件后再审查", str(path))


def _read_excel_cells(path: Path, cells: np.ndarray, sheet: str, header_row: int | None,
                      index: Mapping[str, str], notes: list[str], digest: str | None = None,
                      label: str | None = None) -> RawTable:
    """One sheet's cells -> a RawTable (header found, footer and template rows marked)."""
    scan = max(HEADER_SCAN_ROWS, header_row or 0) + 1
    header = find_header(text_grid(cells[:scan]), index, str(path), header_row, width=cells.shape[1],
                         where=f"工作表「{sheet}」")
    body = cells[header.last + 1:]
    frame = pd.DataFrame({name: column_text(body[:, j]) for j, name in enumerate(header.names)})
    numbers = {name: mask for j, name in enumerate(header.names)
               if (mask := fractional_numbers(body[:, j])) is not None}
    del cells, body
    rows = np.arange(header.last + 2, header.last + 2 + len(frame))
    return _finish(path, frame, rows, header, (header.first + 1, header.last + 1), header_row, sheet, notes,
                   digest, label, numbers)


def _read_text(path: Path, header_row: int | None, encoding: str | None, index: Mapping[str, str],
               notes: list[str]) -> RawTable:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取文件：{os_reason(exc)}", str(path)) from None
    kinds.refuse_binary(raw, str(path))
    used = kinds.detect_encoding(raw, encoding, str(path))
    text, complete = kinds.head_text(raw, used, str(path))
    if not text.strip():
        raise InputError("文件是空的（只有空白）", str(path))
    table = read_delimited(raw, text, complete, used, index, str(path), header_row)
    digest = hashlib.sha256(raw).hexdigest()
    del raw, text
    notes += text_notes(used, encoding, table.delimiter)
    return _finish(path, table.frame, table.lines, table.header, table.header_lines, header_row, None, notes,
                   digest)


def text_notes(used: str, given: str | None, delimiter: str) -> list[str]:
    """The encoding a text file was read in (and whether it was given), and an unusual delimiter."""
    label = {"utf-8-sig": "UTF-8", "gb18030": "GB18030（GBK）", "utf-16": "UTF-16"}.get(used, used)
    notes = [f"编码 {label}" + ("（--encoding 指定）" if given else "（自动识别）")]
    if delimiter != ",":
        notes.append(f"分隔符为{DELIMITER_NAMES[delimiter]}")
    return notes


def _finish(path: Path, frame: pd.DataFrame, rows: np.ndarray, header: Header, header_lines: tuple[int, int],
            header_row: int | None, sheet: str | None, notes: list[str], digest: str | None = None,
            label: str | None = None, numbers: dict[str, np.ndarray] | None = None) -> RawTable:
    """Leave out footer lines, mark template rows and repeated headers, refuse a table without
    people, write the notes."""
    cells = Cells(frame)
    template = template_rows(frame, cells)
    headings = repeated_header_rows(frame, header.groups, cells) & ~template
    footer = footer_rows(frame, template | headings, cells)
    footer_lines = quoted_lines(frame, rows, footer)
    numbers = numbers or {}
    if footer.any():
        keep = ~footer
        frame = frame.loc[keep].reset_index(drop=True)
        rows, template, headings = rows[keep], template[keep], headings[keep]
        numbers = {name: mask[keep] for name, mask in numbers.items()}
    people = rows[~(template | headings)]
    span = (int(people[0]), int(people[-1]), len(people)) if len(people) else (0, 0, 0)
    notes += read_notes(path, header, header_lines, header_row, span, rows[template], footer_lines, rows[headings])
    last = header_lines[1]
    return RawTable(str(path), digest or file_sha256(path), frame, rows, last, sheet, notes,
                    footer_rows=len(footer_lines), skipped=template | headings, label=label, numbers=numbers,
                    groups=dict(header.groups), headings=headings)


def quoted_lines(frame: pd.DataFrame, rows: np.ndarray, marked: np.ndarray) -> list[str]:
    """第N行「…」 for the marked rows of ``frame`` (footer lines, quoted as the user sees them)."""
    return [f"第{r}行「{_quote(frame.iloc[i])}」" for i, r in zip(np.flatnonzero(marked), rows[marked])]


def read_notes(path: Path, header: Header, header_lines: tuple[int, int], header_row: int | None,
               people: tuple[int, int, int], blank: np.ndarray, footer_lines: list[str],
               headings: np.ndarray | None = None) -> list[str]:
    """What reading a table detected (header rows, the people's rows as (first line, last line,
    count), rows skipped: blank, repeating the header, footer), in Chinese; a table without
    people is refused (NoPeopleError)."""
    headings = np.asarray([] if headings is None else headings, dtype=np.int64)
    first, last = header_lines
    where = f"第{first}行" if first == last else f"第{first}–{last}行（两行表头）"
    notes = [f"表头：{where}" + ("，--header-row 指定" if header_row else "，自动识别")]
    for old, new in header.renamed:
        notes.append(f"表头「{old}」重复，后一列改称「{new}」")
    first_person, last_person, count = people
    if count == 0:
        raise NoPeopleError(_no_people(last, np.sort(np.concatenate([blank, headings])), footer_lines), str(path))
    span = f"第{first_person}行" if count == 1 else f"第{first_person}–{last_person}行"
    notes.append(f"人选数据：{span}，共{count}人")
    if len(blank):
        notes.append(f"跳过空白行或只有序号的模板行{len(blank)}行：{row_list(blank)}")
    if len(headings):
        notes.append(f"跳过重复的表头行{len(headings)}行：{row_list(headings)}（多份名册上下拼接时常见）")
    if footer_lines:
        notes.append(f"跳过表尾{len(footer_lines)}行：{'、'.join(footer_lines[:_ROW_LIST_MAX])}"
                     + ("等" if len(footer_lines) > _ROW_LIST_MAX else ""))
    return notes


def _no_people(header_line: int, blank_rows: np.ndarray, footer_lines: list[str]) -> str:
    if len(blank_rows) == 0 and not footer_lines:
        return f"只有表头（第{header_line}行），表头以下没有人选数据"
    parts = []
    if len(blank_rows):
        parts.append(f"{row_list(blank_rows)}是空白行或只有序号的模板行")
    if footer_lines:
        parts.append(f"{'、'.join(footer_lines[:_ROW_LIST_MAX])}是表尾")
    return f"表头（第{header_line}行）以下没有人选数据：" + "；".join(parts)


def _quote(row: pd.Series) -> str:
    text = " ".join(str(v).strip() for v in row if str(v).strip())
    return cut_text(text, _QUOTE_MAX, "…")


def row_list(rows: np.ndarray) -> str:
    """Row numbers as compact ranges: 第4–20、25、31–33行 (at most a few ranges, then 等)."""
    rows = np.asarray(rows)
    if len(rows) == 0:
        return ""
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate([[rows[0]], rows[breaks + 1]])
    ends = np.concatenate([rows[breaks], [rows[-1]]])
    parts = [f"{s}" if s == e else f"{s}–{e}" for s, e in zip(starts[:_ROW_LIST_MAX], ends[:_ROW_LIST_MAX])]
    return "第" + "、".join(parts) + ("等" if len(starts) > _ROW_LIST_MAX else "") + "行"
