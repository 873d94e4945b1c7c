"""Atomic file output: a report is either complete on disk or not there at all."""

from __future__ import annotations

import os
import tempfile
from typing import Callable, Union

from vetting.errors import InputError

Payload = Union[bytes, Callable[[str], object]]


def write_atomic(path: str | os.PathLike, data: Payload) -> None:
    """Write `data` to `path` so that readers never see a half-written report.

    `data` is either the file's bytes or a callable that writes the file at the temporary
    path it is given (e.g. ``workbook.save``). The output goes to a temporary file in the
    target directory, is fsynced, then renamed over `path` with ``os.replace`` (atomic on
    the same file system). If anything fails - including an interrupt - the temporary file
    is removed and any existing file at `path` is left untouched, so a crash can never leave
    a truncated report that looks like a finished one.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"输出目录不存在：{directory}")
    if os.path.isdir(path):
        raise InputError(f"输出路径是一个目录，不能写成文件：{path}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=directory)
    except OSError as exc:
        raise InputError(f"无法在输出目录中创建文件：{directory}（{exc.strerror}）") from exc
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            fd = os.open(tmp, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
