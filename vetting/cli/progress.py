"""The progress of a long `vet run` on stderr: the phase (读取, 标准化, 联审, 审查, 写出报告), the rows
done and the rows per second, as a tqdm line that is rewritten in place and erased when the
phase ends. Shown only when stderr is a terminal and -q/--quiet is not given: a redirected or
captured stderr gets exactly the lines it always had. The line holds the fixed phase names and
counts only, never a candidate's data."""

from __future__ import annotations

import sys
from typing import Any

from vetting.progress import REVIEW, WRITE

__all__ = ["REVIEW", "WRITE", "ProgressLine", "stderr_is_terminal"]


def stderr_is_terminal() -> bool:
    """Whether stderr is an interactive terminal (where a line rewritten in place makes sense)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False


class ProgressLine:
    """A `vetting.progress.Progress` callback that shows one phase at a time on stderr (or
    nothing when not `shown`). `close()` erases the line, e.g. before a note is printed;
    the next call opens it again."""

    def __init__(self, shown: bool) -> None:
        self.shown = shown
        self._bar: Any = None
        self._phase: str | None = None

    @classmethod
    def for_stderr(cls, quiet: bool) -> ProgressLine:
        """Shown when stderr is a terminal and the user did not ask for quiet."""
        return cls(not quiet and stderr_is_terminal())

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.shown:
            return
        if phase != self._phase or self._bar is None:
            self.close()
            from tqdm import tqdm  # only when a terminal shows it

            self._bar = tqdm(desc=phase, total=total, unit="行", leave=False, file=sys.stderr,
                             dynamic_ncols=True, mininterval=0.2)
            self._phase = phase
        if total is not None and self._bar.total != total:
            self._bar.total = total
            self._bar.refresh()
        if done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Erase the progress line (idempotent)."""
        if self._bar is not None:
            self._bar.close()
        self._bar, self._phase = None, None

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
