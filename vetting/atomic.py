"""Atomic file output: a report and its sidecars are either all complete on disk or not changed
at all.

Every part is first written to a temporary file in its target directory and flushed to disk;
only when all parts are written are they renamed over their targets, one after the other. Until
that last rename succeeds the previous files are kept aside (a second hard link, or a rename
where the file system has no hard links), so a failure part-way puts every earlier file back.
Files a report makes obsolete (a stale sidecar) are removed in the same transaction. An
exception of any kind - an interrupt included; the CLI turns SIGTERM into one - removes every
temporary file, so none is ever left holding candidate data.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass
from typing import Callable, Sequence, Union

from vetting.errors import InputError, os_reason

Payload = Union[bytes, Callable[[str], object]]
#: Every temporary name ends so (the report's own name first, hidden): ``.r.csv.4242.ab12cd.tmp``.
TEMP_SUFFIX = ".tmp"
#: What may stand between the random part and TEMP_SUFFIX (`temp_beside`'s `kind`).
_TEMP_KINDS = ("body", "rows", "findings", "kept", "slice")


def temp_prefix(path: str | os.PathLike) -> str:
    """The hidden prefix of this process's temporary files beside `path` (``.r.csv.4242.``): its
    process id lets a later run tell the files of a process that was killed (`remove_leftovers`)."""
    return f".{os.path.basename(os.fspath(path))}.{os.getpid()}."


def temp_beside(path: str | os.PathLike, kind: str = "") -> tuple[int, str]:
    """A new temporary file beside `path`, owner-only, named so that `remove_leftovers` finds it
    if this process is killed: ``.r.csv.4242.x1y2z3w4.<kind>.tmp``; (descriptor, name)."""
    assert not kind or kind in _TEMP_KINDS, kind
    return tempfile.mkstemp(prefix=temp_prefix(path), suffix=(f".{kind}" if kind else "") + TEMP_SUFFIX,
                            dir=os.path.dirname(os.path.abspath(os.fspath(path))))


def remove_leftovers(path: str | os.PathLike) -> list[str]:
    """Remove the temporary files a killed process left beside `path` (SIGKILL, a power cut: no
    clean-up could run), and return their names. They may hold candidates' data (a report half
    written, a roster slice). Only files named by `temp_prefix` whose process is gone and that
    belong to this user are taken; never the previous report kept aside during a commit
    (``.old.tmp``), which may be its only copy. POSIX only: elsewhere, nothing is removed."""
    if os.name != "posix":
        return []
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[a-z0-9_]{{8}}(?:\.(?:{'|'.join(_TEMP_KINDS)}))?"
                         rf"{re.escape(TEMP_SUFFIX)}(\.rows\.[a-z0-9_]{{8}})?")
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    for entry in sorted(entries):
        found = pattern.fullmatch(entry)
        if not found or _alive(int(found.group(1))):
            continue
        full = os.path.join(directory, entry)
        try:
            status = os.lstat(full)
            if status.st_uid != os.getuid():
                continue
            if found.group(2) and stat.S_ISDIR(status.st_mode):      # an XLSX writer's rows folder
                shutil.rmtree(full)
            elif not found.group(2) and stat.S_ISREG(status.st_mode):
                os.unlink(full)
            else:
                continue
            removed.append(entry)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True          # someone else's process, or a number we cannot ask about: leave it
    return True


def write_atomic(path: str | os.PathLike, data: Payload) -> None:
    """Write `data` to `path` so that readers never see a half-written file (see `write_all`).

    `data` is either the file's bytes or a callable that writes the file at the temporary
    path it is given (e.g. ``workbook.save``)."""
    write_all([(path, data)])


def write_all(files: Sequence[tuple[str | os.PathLike, Payload]],
              remove: Sequence[str | os.PathLike] = ()) -> None:
    """Write every (path, data) of `files` and remove every path of `remove`, all or nothing.

    All parts go to temporary files beside their targets first; a failure there leaves every
    target as it was. Then each is renamed into place and each obsolete file taken away; if one
    of those steps fails, the files already replaced or removed are put back. A failure is an
    InputError naming the file and saying that nothing was changed."""
    targets = [os.fspath(p) for p, _ in files]
    removals = [os.fspath(p) for p in remove]
    for path in targets + removals:
        check_target(path)
    staged: list[str] = []
    try:
        for path, (_, data) in zip(targets, files):
            staged.append(_stage(path, data))
        _commit(list(zip(targets, staged)), removals)
    finally:
        for tmp in staged:
            _unlink_quietly(tmp)
    for directory in dict.fromkeys(os.path.dirname(os.path.abspath(p)) for p in targets + removals):
        _fsync_directory(directory)


def check_target(path: str) -> None:
    """Refuse an output whose folder is missing or which is itself a folder."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"输出目录不存在：{directory}")
    if os.path.isdir(path):
        raise InputError(f"输出路径是一个目录，不能写成文件：{path}")


def _stage(path: str, data: Payload) -> str:
    """`data` written and flushed to a new temporary file beside `path`; its name is returned.
    The temporary file is removed again if anything fails (an interrupt included)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = temp_beside(path)
    except OSError as exc:
        raise InputError(f"无法在输出目录 {directory} 中创建文件：{os_reason(exc)}") from exc
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
    except OSError as exc:
        _unlink_quietly(tmp)
        raise InputError(f"无法写出 {path}：{os_reason(exc)}；本次未写出任何文件，原有文件保持不变") from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


@dataclass
class _Step:
    """One target during the commit: where its previous file was kept and what was done."""

    path: str
    backup: str | None = None
    moved: bool = False        # the previous file was renamed aside (not linked): `path` is gone
    replaced: bool = False     # the new file is in place


def _commit(staged: list[tuple[str, str]], removals: list[str]) -> None:
    steps: list[_Step] = []
    try:
        for path, tmp in staged:
            step = _Step(path)
            steps.append(step)
            if os.path.lexists(path):
                step.backup, step.moved = _keep_aside(path)
            _os_step(os.replace, tmp, path, what=f"无法写入 {path}")
            step.replaced = True
        for path in removals:
            step = _Step(path, moved=True)
            steps.append(step)
            backup = _aside_name(path)
            _os_step(os.replace, path, backup, what=f"无法删除上次运行留下的 {path}")
            step.backup = backup
    except BaseException:
        _roll_back(steps)
        raise
    for step in steps:
        if step.backup:
            _unlink_quietly(step.backup)


def _keep_aside(path: str) -> tuple[str, bool]:
    """A second name for the file at `path` (a hard link, so `path` never goes missing), or,
    where the file system has no hard links, `path` renamed to it. Returns (name, renamed)."""
    backup = _aside_name(path)
    try:
        os.link(path, backup, follow_symlinks=False)
        return backup, False
    except (OSError, NotImplementedError):       # no hard links here (FAT, some shares; Windows links)
        _os_step(os.replace, path, backup, what=f"无法替换 {path}")
        return backup, True


def _aside_name(path: str) -> str:
    directory, name = os.path.split(os.path.abspath(path))
    while True:
        candidate = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.old{TEMP_SUFFIX}")
        if not os.path.lexists(candidate):
            return candidate


def _os_step(func: Callable[[str, str], None], src: str, dst: str, what: str) -> None:
    try:
        func(src, dst)
    except OSError as exc:
        raise InputError(f"{what}：{os_reason(exc)}；本次未写出任何文件，原有文件保持不变") from exc


def _roll_back(steps: list[_Step]) -> None:
    """Put back what the commit had changed, newest first, as far as the file system lets us."""
    for step in reversed(steps):
        try:
            if step.backup and (step.replaced or step.moved):
                os.replace(step.backup, step.path)
            elif step.backup:
                os.unlink(step.backup)
            elif step.replaced:
                os.unlink(step.path)
        except OSError:
            pass


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    """Make the renames themselves durable where the platform allows it (not on Windows)."""
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
