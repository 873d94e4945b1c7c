"""`python tests/fault_child.py FAULT ARGS...`: the `vet` command line on a machine that fails in
one chosen way, for the hostile-input cases (`fault:` in fixtures/bad/cases.yaml) and
tests/test_full_disk.py. Test code only; production has no such hook.

  disk_full     the disk fills up while a file is written: every os.fsync fails with ENOSPC
                (a report's temporary file is fsynced before it replaces the report)
  stdout_full   standard output is /dev/full, a real device on which every write fails with ENOSPC
  history_full  SQLite may not grow the history database: it answers SQLITE_FULL ("database or
                disk is full"), as on a full disk
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _no_space(*_args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _capped_connect(real):  # noqa: ANN001
    def connect(*args, **kwargs):
        conn = real(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn
    return connect


def main(fault: str, args: list[str]) -> None:
    if fault == "disk_full":
        os.fsync = _no_space
    elif fault == "stdout_full":
        os.dup2(os.open("/dev/full", os.O_WRONLY), sys.stdout.fileno())
    elif fault == "history_full":
        sqlite3.connect = _capped_connect(sqlite3.connect)
    else:
        raise SystemExit(f"unknown fault {fault!r}")
    from vetting.cli import main as vet

    sys.argv = ["vet", *args]
    vet()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
