"""Recording a run slice by slice: `RunRecorder` takes the candidates and findings of a run as
they come (one chunk of a chunked run at a time, or a whole run at once) and commits them as one
run in a single transaction at the end, so that a run of any size records exactly what a whole
run records without its findings' texts ever being in memory together.

The slices wait in the connection's TEMP tables (SQLite's private temporary file, not the history
database: no write lock is held while the run is evaluated and its report written), already in
the stored form - IDs masked and keyed, each distinct finding text once (`rows.finding_parts`).
`finish` then copies them in one ``BEGIN IMMEDIATE`` ... ``COMMIT``: nothing of the run remains
in the database when anything fails (or the process dies) before the commit.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from vetting.history import rows
from vetting.history.errors import HistoryError, sqlite_reason
from vetting.history.keys import key_fingerprint
from vetting.history.ratings import rating_rows
from vetting.history.schema import CANDIDATE_COLUMNS, DECISION_COLUMNS, RUN_COLUMNS, TEXT_COLUMNS, transaction
from vetting.result import VettingResult

if TYPE_CHECKING:
    from vetting.history.store import History

_CANDIDATES = ", ".join(CANDIDATE_COLUMNS)
_TEXTS = ", ".join(TEXT_COLUMNS)
#: The staging tables, in the connection's temporary database.
_STAGING = (
    f"CREATE TEMP TABLE staged_candidates ({_CANDIDATES})",
    f"CREATE TEMP TABLE staged_texts (n INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE, {_TEXTS}, text_id INTEGER)",
    "CREATE TEMP TABLE staged_refs (row_id INTEGER NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL)",
)


class RunRecorder:
    """One run being recorded into `store`: `begin()`, `add_chunk(chunk)` for each slice of
    candidates in input order (its candidates, findings and unchecked rules), then
    `finish(result, ...)` with the whole run's meta, ratings and decisions; `abort()` drops what
    was staged. Use as a context manager to abort on any failure."""

    def __init__(self, store: History) -> None:
        self.store = store
        self.candidates = 0     # staged so far
        self.findings = 0
        self._key: bytes | None = None

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def begin(self) -> None:
        """Read the installation's HMAC key - or create it, under the database's write lock, as
        `History.record` always did - and create the empty staging tables."""
        conn = self.store.connection
        with self._errors():
            with transaction(conn):
                self._key = self.store._key()
            self._drop()
            conn.execute("PRAGMA temp_store = FILE")    # staged rows spill to disk, not to memory
            for statement in _STAGING:
                conn.execute(statement)

    def add_chunk(self, chunk: VettingResult) -> None:
        """Stage one slice of the run: its candidates (verdicts, unchecked rules, IDs as keyed
        digests and masked) and its findings as references to distinct texts. Every candidate's
        findings must be in the same slice (a chunked run's slices are)."""
        if self._key is None:
            raise HistoryError("审查记录尚未开始（内部错误：应先调用 begin）")
        conn = self.store.connection
        with self._errors(), transaction(conn, "DEFERRED"):     # writes the temporary database only
            conn.executemany(f"INSERT INTO staged_candidates VALUES ({', '.join('?' * len(CANDIDATE_COLUMNS))})",
                             (row[1:] for row in rows.candidate_rows(0, chunk.candidates, self._key, chunk.unchecked)))
            for part in rows.finding_parts(chunk.findings, chunk.candidates):
                numbers = [self._text_number(text, digest) for text, digest in zip(part.texts, part.digests)]
                conn.executemany("INSERT INTO staged_refs VALUES (?, ?, ?)",
                                 ((row_id, seq, numbers[code]) for row_id, seq, code in part.refs))
        self.candidates += len(chunk.candidates)
        self.findings += len(chunk.findings)

    def _text_number(self, text: tuple, digest: bytes) -> int:
        """The staging number of one finding text, staged on its first occurrence in the run."""
        conn = self.store.connection
        found = conn.execute("SELECT n FROM staged_texts WHERE digest = ?", (digest,)).fetchone()
        if found:
            return int(found[0])
        return int(conn.execute(f"INSERT INTO staged_texts (digest, {_TEXTS}) VALUES "
                                f"({', '.join('?' * (len(TEXT_COLUMNS) + 1))})", (digest, *text)).lastrowid)

    def finish(self, result: VettingResult, started_at: dt.datetime | str, finished_at: dt.datetime | str,
               options: Mapping[str, Any] | None = None) -> int:
        """Commit the staged run as one transaction and return its run id: the `runs` row from
        `result`'s meta (counts from what was staged), then candidates, the texts no earlier run
        stored, the finding references, `result`'s ratings and decisions. Refused when fewer
        candidates were staged than the meta counts (a slice went missing)."""
        if self._key is None:
            raise HistoryError("审查记录尚未开始（内部错误：应先调用 begin）")
        expected = (result.meta or {}).get("candidate_count")
        if expected is not None and int(expected) != self.candidates:
            raise HistoryError(f"审查记录不完整：本次审查 {expected} 人，只记录了 {self.candidates} 人，未保存")
        conn = self.store.connection
        with self._errors(), transaction(conn):
            run_row = rows.run_row(result, started_at, finished_at, options or {}, key_fingerprint(self._key),
                                   (self.candidates, self.findings))
            run_id = int(conn.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS[1:])}) "
                                      f"VALUES ({', '.join('?' * (len(RUN_COLUMNS) - 1))})", run_row).lastrowid)
            conn.execute(f"INSERT INTO candidates (run_id, {_CANDIDATES}) "
                         f"SELECT ?, {_CANDIDATES} FROM staged_candidates ORDER BY rowid", (run_id,))
            self._intern_texts()
            conn.execute("INSERT INTO finding_refs (run_id, row_id, seq, text_id) "
                         "SELECT ?, r.row_id, r.seq, t.text_id FROM staged_refs r "
                         "CROSS JOIN staged_texts t ON t.n = r.n ORDER BY r.rowid", (run_id,))
            conn.executemany("INSERT INTO ratings (run_id, row_id, period, rating, source) VALUES (?, ?, ?, ?, ?)",
                             rating_rows(run_id, result.ratings))
            conn.executemany(f"INSERT INTO decisions (run_id, {', '.join(DECISION_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * (len(DECISION_COLUMNS) + 1))})",
                             rows.decision_rows(run_id, result.decisions, self._key))
        self.abort()
        return run_id

    def _intern_texts(self) -> None:
        """Give each staged text its `finding_texts` id: the one an earlier run stored with the
        same digest, else a new row (added in order of first occurrence in the run)."""
        conn = self.store.connection
        known = "SELECT f.id FROM main.finding_texts f WHERE f.digest = staged_texts.digest"
        conn.execute(f"UPDATE staged_texts SET text_id = ({known})")
        conn.execute(f"INSERT INTO main.finding_texts (digest, {_TEXTS}) "
                     f"SELECT digest, {_TEXTS} FROM staged_texts WHERE text_id IS NULL ORDER BY n")
        conn.execute(f"UPDATE staged_texts SET text_id = ({known}) WHERE text_id IS NULL")

    def abort(self) -> None:
        """Drop whatever was staged (idempotent; the database itself was never written)."""
        try:
            self._drop()
        except sqlite3.Error:
            pass        # the connection is closing or broken: its temporary tables go with it

    def _drop(self) -> None:
        for table in ("staged_refs", "staged_texts", "staged_candidates"):
            self.store.connection.execute(f"DROP TABLE IF EXISTS temp.{table}")

    def _errors(self) -> _SqliteErrors:
        return _SqliteErrors(self.store)


class _SqliteErrors:
    """Turns an SQLite error while recording into a Chinese HistoryError naming the database."""

    def __init__(self, store: History) -> None:
        self.path = store.path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.Error):
            raise HistoryError(f"无法写入审查记录数据库 {self.path}：{sqlite_reason(exc)}") from exc
