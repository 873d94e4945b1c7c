"""Starting a durable_rules worker process (the child side is `host`), and starting one ahead of
need: `prestart()` launches a process that the next durable run of this process takes over, so
that the child's own start-up (interpreter, durable_rules' C core) overlaps the caller's imports
and reading of the candidates instead of following them (`vet check`, one candidate).

This module imports neither numpy nor pandas, so that a command can call `prestart()` before
it imports them. A started process waits for its first request; a process never taken is
closed when the interpreter exits. Only a process started exactly as the run would start its own
(same interpreter, entry module, path and environment) is ever taken.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from vetting.engine.durable.protocol import STATUS
from vetting.errors import EngineError

#: The module whose main() a worker process runs.
CHILD_ENTRY = "vetting.engine.durable.host"
_BOOT = ("import sys, importlib; p = sys.argv[1]; (p in sys.path) or sys.path.insert(0, p); "
         "sys.exit(importlib.import_module(sys.argv[2]).main(sys.argv[3:]))")
_ROOT = str(Path(__file__).resolve().parents[3])


@dataclass
class HostProcess:
    """A started worker process: the process, the file it writes its status into, its stderr."""

    proc: subprocess.Popen
    status_path: str
    stderr: IO[bytes]
    key: tuple = field(default=(), repr=False)


def _key() -> tuple:
    """What a process is started from: one started from anything else is never taken over."""
    return sys.executable, CHILD_ENTRY, _ROOT, tuple(sorted(os.environ.items()))


def start_host() -> HostProcess:
    """A new worker process, waiting for its first request; EngineError if it cannot start."""
    with tempfile.NamedTemporaryFile(delete=False) as status:
        status.write(STATUS.pack(-1, -1))
    stderr = tempfile.TemporaryFile()
    key = _key()
    try:
        proc = subprocess.Popen([sys.executable, "-c", _BOOT, _ROOT, CHILD_ENTRY, status.name],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    except OSError as exc:
        stderr.close()
        os.unlink(status.name)
        raise EngineError(f"无法启动 durable_rules 引擎进程：{exc}") from None
    return HostProcess(proc, status.name, stderr, key)


def close_host(host: HostProcess) -> None:
    """End a process that was never given work (closing its stdin ends its loop) and remove its files."""
    try:
        host.proc.stdin.close()
        host.proc.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        host.proc.kill()
        host.proc.wait()
    host.proc.stdout.close()
    host.stderr.close()
    try:
        os.unlink(host.status_path)
    except OSError:
        pass


_spare: list[HostProcess] = []
_lock = threading.Lock()


def prestart() -> None:
    """Start one worker process now for the next durable run of this process to take over
    (at most one waits at a time). Best effort: if it cannot start, the run starts its own."""
    with _lock:
        if _spare:
            return
        try:
            _spare.append(start_host())
        except EngineError:
            pass


def take_host() -> HostProcess:
    """The waiting process if it was started as this run would start one and is alive, else a new one."""
    with _lock:
        spare = _spare.pop() if _spare else None
    if spare is not None:
        if spare.key == _key() and spare.proc.poll() is None:
            return spare
        close_host(spare)
    return start_host()


@atexit.register
def _close_spare() -> None:
    with _lock:
        while _spare:
            close_host(_spare.pop())
