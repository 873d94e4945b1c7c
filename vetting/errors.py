"""The project's own error types: every user-facing failure is one of these, with a Chinese message."""

from __future__ import annotations

import difflib
from typing import Iterable


class VettingError(Exception):
    """Base class: the message is complete and meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
