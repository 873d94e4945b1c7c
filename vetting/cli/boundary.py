"""Operating-system failures at the command line's edge: a full disk, a closed or unwritable
standard output, no permission. Each becomes a Chinese message and exit code 2, never a traceback
or an "internal error"."""

from __future__ import annotations

import errno
import functools
import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

import click

from vetting.cli.terminal import interrupted, note
from vetting.errors import OptionError, VettingError, os_reason
from vetting.privacy import mask_text


def os_error_text(exc: OSError) -> str:
    """What to tell the user about an OSError nobody below the CLI explained: the file it names,
    else the output being written (standard output behind `> 满盘/x.txt`, or a report)."""
    if exc.filename:
        return f"无法读写文件 {exc.filename}：{os_reason(exc)}"
    return f"无法写出（标准输出或输出文件）：{os_reason(exc)}"


@contextmanager
def writing(target: str) -> Iterator[None]:
    """OS errors while writing `target` (a report, standard output) become a VettingError naming
    it: "无法写出报告 out.json：磁盘空间不足（ENOSPC）". A closed pipe is left to `finish`."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise
        raise VettingError(f"无法写出{target}：{os_reason(exc)}") from None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def finish(code: int | str | None) -> int | str | None:
    """Flush standard output before exiting with `code`. A closed pipe (`vet rules list | head`)
    is not an error; any other failure (a full disk behind `> 结果.json`) is reported in Chinese
    and turns a successful exit into 2. Either way nothing is left for Python to fail on at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        if code in (0, None):
            click.echo(mask_text(f"错误：无法写出到标准输出：{os_reason(exc)}"), err=True)
            return 2
    return code


EXIT_ERROR = 2


def handle_errors(command: Callable) -> Callable:
    """Library errors become a Chinese message on stderr and exit 2; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OptionError as exc:  # an option's value: Click shows usage, the option and the message
            raise click.BadParameter(exc.message, param_hint=exc.option) from None
        except VettingError as exc:
            note(f"错误：{exc.message}")
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit, BrokenPipeError):
            raise
        except KeyboardInterrupt as exc:      # Ctrl-C, or SIGTERM/SIGHUP (Terminated)
            sys.exit(interrupted(exc))
        except OSError as exc:  # a full disk, no permission: not a bug, and said in Chinese
            if isinstance(exc, BrokenPipeError):
                raise
            note(f"错误：{os_error_text(exc)}")
            sys.exit(EXIT_ERROR)
        except Exception as exc:  # noqa: BLE001 - last line of defence for users
            if os.environ.get("VETTING_DEBUG"):
                raise
            note(f"内部错误：{type(exc).__name__}: {exc}（设置 VETTING_DEBUG=1 可查看详情，请报告此问题）")
            sys.exit(EXIT_ERROR)

    return wrapper
