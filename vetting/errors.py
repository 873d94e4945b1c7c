"""The project's own error types: every user-facing failure is one of these, with a Chinese message."""

from __future__ import annotations

import difflib
import errno
from typing import Iterable


class VettingError(Exception):
    """Base class: the message is complete and meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple:
        """Pickled as it is, attributes included: an error raised in a worker process reaches the
        run unchanged (the subclasses' own arguments are not those of their message)."""
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type, args: tuple, state: dict) -> VettingError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class RulesetError(VettingError):
    """A ruleset file is unreadable or invalid; names the file, line and field."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = path or "<规则集>"
        if line is not None:
            where += f":{line}"
        if field:
            where += f": {field}"
        super().__init__(f"{where}: {message}")
        self.detail = message


class RulesetErrors(RulesetError):
    """Several independent problems of one or more ruleset files, all found in one pass (each a
    RulesetError with its file, line and field); the message lists every one."""

    def __init__(self, errors: list[RulesetError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.detail, first.path, first.line, first.field)
        self.message = f"共 {len(self.errors)} 处错误：\n" + "\n".join(e.message for e in self.errors)


class ConditionError(VettingError):
    """A condition or reason template cannot be parsed or type-checked (position is 1-based)."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        self.text = text
        self.position = position
        self.detail = message
        super().__init__(message)


class InputError(VettingError):
    """An input file (roster, mapping) cannot be used; names the file, row and column where known."""

    def __init__(self, message: str, path: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        parts = [p for p in (path, f"第{row}行" if row is not None else None,
                             f"「{column}」列" if column else None) if p]
        super().__init__(("，".join(parts) + "：" if parts else "") + message)
        self.path, self.row, self.column = path, row, column


class OptionError(VettingError):
    """A command-line option's value cannot be used; `option` names it (e.g. "--format")."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


class EngineError(VettingError):
    """An engine failed to evaluate a ruleset; never read as 'no findings'."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A Chinese 'did you mean' suffix for the closest known names, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"（是否想写：{close[0]}？）" if close else ""


_OS_REASONS = {
    errno.ENOSPC: "磁盘空间不足", getattr(errno, "EDQUOT", -1): "超出磁盘配额", errno.EFBIG: "文件过大",
    errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EROFS: "文件系统只读", errno.ENOENT: "文件或目录不存在",
    errno.EISDIR: "这是一个文件夹", errno.ENOTDIR: "路径中有一段不是文件夹", errno.EIO: "读写出错（磁盘或设备故障）",
    errno.ENAMETOOLONG: "文件名过长", errno.EMFILE: "打开的文件过多", errno.EBUSY: "文件正被占用",
}


def os_reason(exc: OSError) -> str:
    """A Chinese reason for an operating-system error (disk full, no permission …), with the
    errno name for whoever looks it up; never the system's English text."""
    name = errno.errorcode.get(exc.errno or 0, "")
    if not name:  # no errno: a library's own message is all there is to say
        return f"操作系统报告错误（{exc}）" if str(exc) else "操作系统报告错误"
    return f"{_OS_REASONS.get(exc.errno, '操作系统报告错误')}（{name}）"
