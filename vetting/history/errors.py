"""The history's error type and the Chinese reasons given for SQLite failures."""

from __future__ import annotations

from vetting.errors import VettingError


class HistoryError(VettingError):
    """The history database cannot be opened, read or written; the message says why."""


def sqlite_reason(exc: BaseException) -> str:
    """A Chinese reason for common SQLite failures, followed by SQLite's own text."""
    text = str(exc)
    lowered = text.lower()
    if "unable to open" in lowered:
        return f"无法打开文件（路径不存在或没有权限）[{text}]"
    if "readonly" in lowered or "read-only" in lowered:
        return f"文件只读，没有写入权限 [{text}]"
    if "not a database" in lowered:
        return f"文件不是 SQLite 数据库 [{text}]"
    if "locked" in lowered or "busy" in lowered:
        return f"数据库正被其他程序占用，请稍后重试 [{text}]"
    if "disk" in lowered and ("full" in lowered or "i/o" in lowered):
        return f"磁盘已满或读写出错 [{text}]"
    if "malformed" in lowered or "corrupt" in lowered:
        return f"数据库文件已损坏 [{text}]"
    return text
