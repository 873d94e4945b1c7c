"""The history database: where it is, opening it, recording a run, reading runs back.

No printing and no clock reading: the caller passes the start and finish timestamps. One
recorded run is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, and ``ROLLBACK`` on any
exception, interrupts included), so a crash while recording leaves no half-recorded run:
SQLite's journal undoes the open transaction the next time the database is opened.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from vetting.errors import os_reason
from vetting.history import ENV_VAR, rows
from vetting.history.errors import HistoryError, sqlite_reason
from vetting.history.keys import create_key, key_fingerprint, key_path, read_key
from vetting.history.model import RunDetail, RunSummary, StoredCandidate, StoredDecision, StoredFinding
from vetting.history.ratings import PoolRow, pool_rows
from vetting.history.recorder import RunRecorder
from vetting.history.schema import CANDIDATE_COLUMNS, DECISION_COLUMNS, FINDING_COLUMNS, RUN_COLUMNS, ensure_schema
from vetting.history.selection import Selection, where_clause
from vetting.result import VettingResult

#: File name of the default database inside the user data directory.
DEFAULT_FILE_NAME = "history.sqlite3"
#: SQLite page cache while connected (KiB): keeps index inserts of a million-row run in memory.
CACHE_KIB = 64 * 1024
#: Seconds to wait for another process that is recording a run at the same time.
BUSY_TIMEOUT = 30.0

_RUN_REF = re.compile(r"^\s*(?:#?(?P<id>[0-9]+)|latest(?:~(?P<back>[0-9]+))?)\s*$", re.IGNORECASE)
#: SQLite's largest integer: a run number or offset beyond it names no run (and 5,000 digits would
#: not even convert to an int).
_MAX_SQLITE_INT = 2 ** 63 - 1


def default_db_path(data_dir: str | os.PathLike | None = None) -> Path:
    """The default database file: ``<user data dir>/vetting/history.sqlite3``.

    `data_dir` replaces the platform's user data directory (tests); the directory is not
    created here, only on the first recorded run."""
    if data_dir is None:
        import platformdirs

        data_dir = platformdirs.user_data_dir("vetting", appauthor=False)
    return Path(data_dir) / DEFAULT_FILE_NAME


def resolve_db_path(given: str | os.PathLike | None, environ: Mapping[str, str]) -> Path:
    """The database to use: `given` (``--db``), else ``$VETTING_HISTORY_DB``, else the
    default under the user data directory. `environ` is passed in so the choice is testable."""
    if given:
        return Path(given).expanduser()
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser()
    return default_db_path()


class History:
    """An open history database. Use as a context manager; see `open_history`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.connection = connection
        #: Set by `record` when it had to create a new key although earlier runs used
        #: another one (the key file was deleted or moved): a Chinese note for the user.
        self.key_note: str | None = None

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (an open transaction, if any, is rolled back by SQLite)."""
        self.connection.close()

    # ---------------------------------------------------------------- writing

    def record(self, result: VettingResult, started_at: dt.datetime | str,
               finished_at: dt.datetime | str, options: Mapping[str, Any] | None = None) -> int:
        """Record one finished run - meta, every candidate's verdict and every finding - in a
        single transaction, and return its run id: a `RunRecorder` given the whole run as one
        slice. Nothing of the run remains if anything fails (or the process dies) before the
        commit. `result` is not modified.

        The HMAC key is read - or, on the first recorded run, created - while the database's
        write lock is held, so two runs starting at once cannot create two different keys."""
        with RunRecorder(self) as recorder:
            recorder.begin()
            recorder.add_chunk(result)
            return recorder.finish(result, started_at, finished_at, options)

    def recorder(self) -> RunRecorder:
        """A `RunRecorder` for a run recorded slice by slice (a chunked run), begun."""
        recorder = RunRecorder(self)
        recorder.begin()
        return recorder

    def _key(self) -> bytes:
        """The installation's HMAC key from the key file beside the database, created when
        missing; notes in `key_note` when earlier runs used a different (lost) key."""
        path = key_path(self.path)
        key = read_key(path)
        if key is not None:
            return key
        key = create_key(path)
        earlier = self.connection.execute(
            "SELECT COUNT(*) FROM runs WHERE id_key_id IS NOT NULL AND id_key_id != ?",
            (key_fingerprint(key),)).fetchone()[0]
        if earlier:
            self.key_note = (f"密钥文件 {path} 不存在，已新建；此前 {earlier} 次记录使用的密钥已丢失，"
                             "与这些记录比较时只能按文件+行号+姓名匹配")
        return key

    # ---------------------------------------------------------------- reading

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        """Recorded runs, newest first; at most `limit` of them when given."""
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY id DESC"
        params: tuple = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (min(int(limit), _MAX_SQLITE_INT),)
        return [rows.summary(row) for row in self._query(sql, params)]

    def count(self) -> int:
        """How many runs are recorded."""
        return int(self._query("SELECT COUNT(*) FROM runs")[0][0])

    def resolve(self, ref: str | int) -> int:
        """The run id meant by `ref`: a number (``3`` or ``#3``), ``latest`` or ``latest~N``
        (the N-th run before the latest). Raises HistoryError if there is no such run."""
        match = _RUN_REF.match(str(ref))
        if not match:
            raise HistoryError(f"无法识别的审查记录编号「{ref}」：应为数字、latest 或 latest~N（如 latest~1）")
        if match.group("id") is not None:
            run_id = _sqlite_int(match.group("id"))
            if run_id is None or not self._query("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
                raise HistoryError(f"没有编号为 {_shown(match.group('id'))} 的审查记录{self._available()}")
            return run_id
        back = _sqlite_int(match.group("back") or "0")
        found = [] if back is None else self._query("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (back,))
        if not found:
            raise HistoryError(f"没有审查记录「{_shown(str(ref).strip())}」{self._available()}")
        return int(found[0][0])

    def run(self, run_id: int) -> RunDetail:
        """One recorded run with all its candidates and findings (input order, findings worst
        first). Raises HistoryError if the run does not exist or is incomplete."""
        found = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = ?", (run_id,))
        if not found:
            raise HistoryError(f"没有编号为 {run_id} 的审查记录{self._available()}")
        summary = rows.summary(found[0])
        findings: dict[int, list[StoredFinding]] = {}
        for row in self._query(f"SELECT {', '.join(FINDING_COLUMNS)} FROM all_findings "
                               "WHERE run_id = ? ORDER BY row_id, seq", (run_id,)):
            findings.setdefault(row[0], []).append(StoredFinding(*row[1:]))
        decisions = self._decisions(run_id)
        candidates = [
            rows.candidate(row, findings.get(row[0], ()), decisions.get(row[0], ()))
            for row in self._query(f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM candidates "
                                   "WHERE run_id = ? ORDER BY row_id", (run_id,))
        ]
        stored_findings = sum(len(v) for v in findings.values())
        if len(candidates) != summary.candidate_count or stored_findings != summary.finding_count:
            raise HistoryError(f"审查记录 #{run_id} 不完整（应有 {summary.candidate_count} 人、"
                               f"{summary.finding_count} 条问题，实有 {len(candidates)} 人、"
                               f"{stored_findings} 条），数据库可能已损坏")
        return RunDetail(summary, candidates, tuple(decisions.get(None, ())))

    def summary(self, run_id: int) -> RunSummary:
        """One recorded run without its candidates; HistoryError if it does not exist."""
        found = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = ?", (run_id,))
        if not found:
            raise HistoryError(f"没有编号为 {run_id} 的审查记录{self._available()}")
        return rows.summary(found[0])

    def page(self, run_id: int, selection: Selection = Selection(), limit: int | None = None,
             offset: int = 0) -> tuple[list[StoredCandidate], int]:
        """The candidates of run `run_id` that `selection` chooses, in input order, from the
        `offset`-th on and at most `limit` of them (all when None), each with its findings (worst
        first); and how many the selection chooses in all. Only the page's findings are read."""
        where, params = where_clause(run_id, selection)
        total = int(self._query(f"SELECT COUNT(*) FROM candidates WHERE {where}", params)[0][0])
        found = self._query(f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM candidates WHERE {where} "
                            "ORDER BY row_id LIMIT ? OFFSET ?",
                            [*params, -1 if limit is None else min(limit, _MAX_SQLITE_INT),
                             min(offset, _MAX_SQLITE_INT)])
        columns = f"SELECT {', '.join(FINDING_COLUMNS)} FROM all_findings WHERE run_id = ? AND row_id IN "
        if limit is None:
            queries = [(f"{columns}(SELECT row_id FROM candidates WHERE {where}) ORDER BY row_id, seq",
                        [run_id, *params])]
        else:
            ids = [row[0] for row in found]
            queries = [(f"{columns}({', '.join('?' * len(ids[i:i + 500]))}) ORDER BY row_id, seq",
                        [run_id, *ids[i:i + 500]]) for i in range(0, len(ids), 500)]
        findings: dict[int, list[StoredFinding]] = {}
        for sql, values in queries:
            for row in self._query(sql, values):
                findings.setdefault(row[0], []).append(StoredFinding(*row[1:]))
        decisions = self._decisions(run_id)
        return [rows.candidate(row, findings.get(row[0], ()), decisions.get(row[0], ())) for row in found], total

    def unmatched_decisions(self, run_id: int) -> tuple[StoredDecision, ...]:
        """The decisions run `run_id` was given for nobody on its roster."""
        return tuple(self._decisions(run_id).get(None, ()))

    def _decisions(self, run_id: int) -> dict[int | None, list[StoredDecision]]:
        """The recorded decisions of run `run_id` by the candidate they concern (None: nobody)."""
        decisions: dict[int | None, list[StoredDecision]] = {}
        for row in self._query(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions "
                               "WHERE run_id = ? ORDER BY rowid", (run_id,)):
            decisions.setdefault(row[0], []).append(StoredDecision(*row))
        return decisions

    def frames(self, run_id: int, selection: Selection = Selection()) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The selected candidates (CANDIDATE_COLUMNS) and their findings (FINDING_COLUMNS, each
        candidate's in recorded order) of run `run_id` as tables, for an export: read in two
        queries, without a Python object per finding."""
        where, params = where_clause(run_id, selection)
        candidates = pd.DataFrame(self._query(f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM candidates "
                                              f"WHERE {where} ORDER BY row_id", params),
                                  columns=list(CANDIDATE_COLUMNS))
        findings = pd.DataFrame(self._query(
            f"SELECT {', '.join(FINDING_COLUMNS)} FROM all_findings WHERE run_id = ? AND row_id IN "
            f"(SELECT row_id FROM candidates WHERE {where}) ORDER BY row_id, seq", (run_id, *params)),
            columns=list(FINDING_COLUMNS))
        return candidates, findings

    def pool(self, ruleset_id: str, as_of: str, roles: tuple[str, ...]) -> list[PoolRow]:
        """The reserves (`roles`) of the earlier recorded runs of one pool (ruleset `ruleset_id`,
        as-of date not after `as_of`), with their recorded ratings; see `ratings.pool_rows`."""
        return pool_rows(self.connection, self.path, ruleset_id, as_of, roles)

    def id_key(self) -> bytes | None:
        """The installation's HMAC key when its file exists (None otherwise; never created when
        reading): to digest this run's ID numbers as the recorded runs did."""
        return read_key(key_path(self.path))

    def _available(self) -> str:
        """A Chinese hint naming the run ids that do exist."""
        low, high, count = self._query("SELECT MIN(id), MAX(id), COUNT(*) FROM runs")[0]
        if not count:
            return f"（数据库 {self.path} 中尚无审查记录）"
        return f"（现有 {count} 条，编号 {low}–{high}）" if low != high else f"（现有编号 {low}）"

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a read query; SQLite errors become HistoryError."""
        try:
            return self.connection.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"无法读取审查记录数据库 {self.path}：{sqlite_reason(exc)}") from exc


def _sqlite_int(digits: str) -> int | None:
    """The integer a run reference writes, or None when no SQLite row id can be that large."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 19 and int(digits) <= _MAX_SQLITE_INT else None


def _shown(text: str) -> str:
    """A run reference as quoted back to the user: long ones cut (a pasted ID-length number too)."""
    return text if len(text) <= 24 else f"{text[:12]}…（共{len(text)}个字符）"


def open_history(path: str | os.PathLike, create: bool = False) -> History:
    """Open the history database at `path`.

    With `create` (recording a run) the parent directory and the database are created when
    missing; without it (listing, showing) a missing file is an error, so reading never
    leaves an empty database behind. The schema version is checked either way."""
    path = Path(path)
    if not create and not path.is_file():
        raise HistoryError(f"审查记录数据库不存在：{path}（尚未记录过审查，或 --db 路径有误）")
    if create:
        _make_private_folders(path.parent)
        if path.is_dir():
            raise HistoryError(f"审查记录数据库路径是一个目录：{path}")
        _create_private_file(path)
    try:
        uri = path.resolve().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except (sqlite3.Error, OSError, ValueError) as exc:
        raise HistoryError(f"无法打开审查记录数据库 {path}：{sqlite_reason(exc)}") from exc
    try:
        ensure_schema(conn, path, create)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.Error as exc:
        conn.close()
        raise HistoryError(f"无法使用审查记录数据库 {path}：{sqlite_reason(exc)}") from exc
    except BaseException:
        conn.close()
        raise
    return History(path, conn)


def _make_private_folders(folder: Path) -> None:
    """Create `folder` and its missing parents, each readable by its owner only (0700): the
    folder holds the personal data of every recorded run. Existing folders are left as they are."""
    missing, parent = [], folder
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    for each in reversed(missing):
        try:
            each.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise HistoryError(f"无法创建审查记录目录 {each}：{os_reason(exc)}") from exc
    if not folder.is_dir():
        raise HistoryError(f"无法创建审查记录目录 {folder}：同名的文件已存在")


def _create_private_file(path: Path) -> None:
    """Create the database file empty with permissions 0600 (owner only) when it does not exist,
    before SQLite opens it: SQLite would create it readable by everyone, and gives its journal
    the database's permissions. An existing file is left as it is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise HistoryError(f"无法创建审查记录数据库 {path}：{os_reason(exc)}") from exc
    os.close(fd)


def history_files(path: str | os.PathLike) -> list[tuple[Path, str]]:
    """Every file recording a run in the database at `path` may write or remove, with its Chinese
    role: the database, its key file, and SQLite's journal beside it (for the output plan)."""
    path = Path(path)
    return [(path, "审查记录数据库"), (key_path(path), "审查记录密钥文件"),
            *((path.with_name(path.name + s), f"审查记录数据库的临时文件（{s}）") for s in ("-journal", "-wal", "-shm"))]


@dataclass(frozen=True)
class RecordedRun:
    """A run just recorded: its id, the database it went to, and a note for the user when
    a lost key had to be replaced (None otherwise)."""

    run_id: int
    path: Path
    key_note: str | None = None


def record_run(db: str | os.PathLike | None, environ: Mapping[str, str], result: VettingResult,
               started_at: dt.datetime | str, finished_at: dt.datetime | str,
               options: Mapping[str, Any] | None = None) -> RecordedRun:
    """Record a finished run in the database `db` (``--db``), else ``$VETTING_HISTORY_DB``
    in `environ`, else the default one, creating it when missing: what `vet run` does after
    writing its report. Failures raise HistoryError (VettingError) with a Chinese message."""
    path = resolve_db_path(db, environ)
    with open_history(path, create=True) as store:
        run_id = store.record(result, started_at, finished_at, options)
        return RecordedRun(run_id, path, store.key_note)
