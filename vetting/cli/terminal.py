"""What the CLI prints and how it stops: every line made safe for a terminal (masked on stderr,
control characters shown as visible marks), and SIGTERM/SIGHUP turned into an exception so that
the same clean-up runs as on Ctrl-C (temporary files removed, the history transaction rolled
back) before the process ends."""

from __future__ import annotations

import atexit
import os
import signal
import stat
import sys
import threading
from typing import Iterable

import click

from vetting.privacy import mask_text
from vetting.textsafe import terminal_text

#: Exit code after Ctrl-C, and after SIGTERM or SIGHUP (128 + SIGTERM's number, as a shell reports it).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM, SIGHUP): unwinds like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Turn SIGTERM (and SIGHUP where it exists) into `Terminated` in the main thread."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_terminated)


def interrupted(exc: KeyboardInterrupt) -> int:
    """Say on stderr that the command was interrupted or terminated, and what was done by then
    (`done`, set on the way up, e.g. that the report was written); return the exit code."""
    how = "已终止（收到终止信号）" if isinstance(exc, Terminated) else "已中断"
    note(f"{how}：{getattr(exc, 'done', '本次审查未完成，未写出报告')}。")
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def say(text: str) -> None:
    """A line of a command's own output on stdout, with control characters made visible (ID
    numbers are masked, or not, by the library according to --show-id)."""
    click.echo(terminal_text(text))


def note(text: str) -> None:
    """A line on stderr: ID-like numbers masked, control characters made visible."""
    click.echo(terminal_text(mask_text(text)), err=True)


def notes(lines: Iterable[str]) -> None:
    """Several stderr lines (see `note`)."""
    for line in lines:
        note(line)


def stdout_file() -> os.stat_result | None:
    """The status of standard output when it is redirected to a regular file, else None."""
    try:
        status = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):      # io.UnsupportedOperation: a replaced stdout
        return None
    return status if stat.S_ISREG(status.st_mode) else None


_quick_end = False


def end_quickly() -> None:
    """Let this command's process end without the interpreter's own tear-down (freeing the
    modules of pandas, numpy and Arrow one by one takes ~0.2 s): for a command whose only output
    is what it prints (`vet check`). See `leave`."""
    global _quick_end
    _quick_end = True


def leave(code: int | str | None) -> None:
    """End the process with `code` (as sys.exit). After `end_quickly`, with output flushed
    (`boundary.finish`) and no other thread running, the exit handlers run (a durable_rules
    process never used is ended, temporary files go) and the process ends at once."""
    if not (_quick_end and (code is None or isinstance(code, int)) and threading.active_count() == 1):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code or 0)
