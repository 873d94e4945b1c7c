"""Run history: every `vet run` recorded in an embedded SQLite database, and pure comparison.

Storage only - no printing and no clock reading: the caller passes the start and finish
timestamps. One recorded run is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, and
``ROLLBACK`` on any exception, interrupts included), so a crash while recording leaves no
half-recorded run: SQLite's journal undoes the open transaction the next time the database
is opened.

Personal data: ID numbers are never stored in clear. Each is kept in the masked display form
``510525********123X`` and as an HMAC-SHA256 of its normalised text (to recognise the same
person across runs). The HMAC key is a random per-installation secret kept in a separate file
beside the database (``<db>.key``, created 0600 on the first recorded run), because a plain
SHA-256 would be reversible: the masked form leaves only the 8 birth-date digits unknown, a
few tens of thousands of guesses. The database file alone therefore does not reveal the
numbers; whoever holds both files can still test guesses. ID-like digit runs in finding
texts and options are masked too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import pandas as pd

from vetting.errors import VettingError
from vetting.privacy import mask_id as mask_ids
from vetting.result import VERDICTS, VettingResult

#: Schema version kept in ``PRAGMA user_version``; bump it with a migration when tables change.
#: 1: unsalted SHA-256 of each ID number (reversible; migrated by dropping the digests).
#: 2: keyed HMAC-SHA256 (``candidates.id_hmac``) and the key's fingerprint per run.
SCHEMA_VERSION = 2
#: Suffix of the key file beside the database: ``history.sqlite3`` -> ``history.sqlite3.key``.
KEY_SUFFIX = ".key"
#: Length of the random HMAC key in bytes (stored as hex text).
KEY_BYTES = 32
#: Environment variable naming the database file (used when ``--db`` is not given).
ENV_VAR = "VETTING_HISTORY_DB"
#: File name of the default database inside the user data directory.
DEFAULT_FILE_NAME = "history.sqlite3"
#: Rows converted to Python values at a time while recording (bounds the extra memory).
CHUNK_ROWS = 50_000
#: SQLite page cache while connected (KiB): keeps index inserts of a million-row run in memory.
CACHE_KIB = 64 * 1024
#: Seconds to wait for another process that is recording a run at the same time.
BUSY_TIMEOUT = 30.0

#: How a candidate of one run was matched to a candidate of another (Chinese label).
MATCH_BY_ID = "身份证号"
MATCH_BY_POSITION = "文件+行号+姓名"

_SCHEMA = """
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL,
    tool_version    TEXT,
    engine          TEXT,
    ruleset_id      TEXT,
    ruleset_title   TEXT,
    ruleset_version TEXT,
    ruleset_sha256  TEXT,
    as_of           TEXT,
    inputs          TEXT NOT NULL,      -- JSON list: file, sha256, rows, sheet, header_row ...
    candidate_count INTEGER NOT NULL,
    finding_count   INTEGER NOT NULL,
    verdict_counts  TEXT NOT NULL,      -- JSON object: verdict -> count
    options         TEXT NOT NULL,      -- JSON object: command-line options (IDs masked)
    meta            TEXT NOT NULL,      -- JSON object: the report's whole meta block
    id_key_id       TEXT                -- fingerprint of the HMAC key the run's id_hmac used
);
CREATE TABLE candidates (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id      INTEGER NOT NULL,
    source_file TEXT,
    source_row  INTEGER,
    name        TEXT,
    role        TEXT,
    village     TEXT,
    township    TEXT,
    id_hmac     TEXT,                   -- HMAC-SHA256 (key in <db>.key) of the ID, never the number
    id_masked   TEXT,                   -- 510525********123X
    verdict     TEXT NOT NULL,
    PRIMARY KEY (run_id, row_id)
);
CREATE TABLE findings (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id    INTEGER NOT NULL,
    rule      TEXT,
    rule_name TEXT,
    severity  TEXT,
    reason    TEXT,
    evidence  TEXT,
    basis     TEXT
);
CREATE INDEX findings_by_candidate ON findings(run_id, row_id);
"""

_RUN_COLUMNS = ("id", "started_at", "finished_at", "tool_version", "engine", "ruleset_id",
                "ruleset_title", "ruleset_version", "ruleset_sha256", "as_of", "inputs",
                "candidate_count", "finding_count", "verdict_counts", "options", "meta", "id_key_id")
_CANDIDATE_COLUMNS = ("row_id", "source_file", "source_row", "name", "role", "village",
                      "township", "id_hmac", "id_masked", "verdict")
_FINDING_COLUMNS = ("row_id", "rule", "rule_name", "severity", "reason", "evidence", "basis")

#: 18-character (17 digits + digit/X) or 15-digit runs standing alone: not part of a longer
#: run of ASCII letters and digits, so digests such as SHA-256 hex strings are left intact.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_RUN_REF = re.compile(r"^\s*(?:#?(?P<id>[0-9]+)|latest(?:~(?P<back>[0-9]+))?)\s*$", re.IGNORECASE)


class HistoryError(VettingError):
    """The history database cannot be opened, read or written; the message says why."""


@dataclass(frozen=True)
class RunSummary:
    """One recorded run without its candidates: what `vet history` lists."""

    id: int
    started_at: str
    finished_at: str
    tool_version: str | None
    engine: str | None
    ruleset_id: str | None
    ruleset_title: str | None
    ruleset_version: str | None
    ruleset_sha256: str | None
    as_of: str | None
    inputs: list[dict[str, Any]]
    candidate_count: int
    finding_count: int
    verdict_counts: dict[str, int]
    options: dict[str, Any]
    meta: dict[str, Any]
    id_key_id: str | None = None    # fingerprint of the run's HMAC key; None: no digests kept


@dataclass(frozen=True)
class StoredFinding:
    """One finding as stored (texts with ID-like numbers masked)."""

    rule: str | None
    rule_name: str | None
    severity: str | None
    reason: str | None
    evidence: str | None
    basis: str | None


@dataclass(frozen=True)
class StoredCandidate:
    """One candidate of a recorded run with its verdict and findings (worst first)."""

    row_id: int
    source_file: str | None
    source_row: int | None
    name: str | None
    role: str | None
    village: str | None
    township: str | None
    id_hmac: str | None
    id_masked: str | None
    verdict: str
    findings: tuple[StoredFinding, ...] = ()


@dataclass(frozen=True)
class RunDetail:
    """A recorded run with every candidate, in input order."""

    run: RunSummary
    candidates: list[StoredCandidate]


@dataclass(frozen=True)
class RuleChange:
    """A rule present in both runs for a candidate whose severity or reason differs."""

    rule: str
    old: tuple[StoredFinding, ...]
    new: tuple[StoredFinding, ...]


@dataclass(frozen=True)
class CandidateChange:
    """A candidate whose verdict differs between two runs, and the findings that explain it."""

    old: StoredCandidate
    new: StoredCandidate
    matched_by: str
    appeared: tuple[StoredFinding, ...]
    disappeared: tuple[StoredFinding, ...]
    changed: tuple[RuleChange, ...]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing run `old` with run `new`."""

    old: RunSummary
    new: RunSummary
    changes: list[CandidateChange]
    only_old: list[StoredCandidate]
    only_new: list[StoredCandidate]
    unchanged: int
    findings_changed_same_verdict: int
    matched_by: dict[str, int] = field(default_factory=dict)
    #: False when the runs' ID digests cannot be compared (different keys, or a run recorded
    #: before keyed digests): candidates were then matched by file + row + name only.
    ids_comparable: bool = True


# --------------------------------------------------------------------------- paths


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


def key_path(db_path: str | os.PathLike) -> Path:
    """The HMAC key file of the database at `db_path`: the same name plus ``.key``, beside it
    (a separate file, so that handing over or leaking the database alone reveals no ID)."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + KEY_SUFFIX)


# --------------------------------------------------------------------------- keyed ID digests


def read_key(path: Path) -> bytes | None:
    """The key stored at `path` (hex text), or None when the file does not exist. A file that
    is not a 64-digit hex key is an error rather than silently replaced: replacing it would
    stop every earlier run from matching by ID."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"无法读取审查记录密钥文件 {path}：{getattr(exc, 'strerror', None) or exc}") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise HistoryError(f"审查记录密钥文件 {path} 已损坏（应为{KEY_BYTES * 2}位十六进制字符）；"
                           "如无备份，可删除该文件，之后的记录将使用新密钥，但此前的记录将无法按身份证号比对")
    return key


def create_key(path: Path) -> bytes:
    """A new random key written to `path`, which must not exist: created exclusively with
    permissions 0600 (owner only) and flushed to disk before it is used."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as exc:
        raise HistoryError(f"无法创建审查记录密钥文件 {path}：{exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.hex().encode("ascii") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise HistoryError(f"无法写入审查记录密钥文件 {path}：{exc.strerror or exc}") from exc
    return key


def key_fingerprint(key: bytes) -> str:
    """A short public name of `key` (an HMAC of a fixed label, not the key): stored with each
    run so that compare can tell whether two runs' ID digests are comparable."""
    return hmac.new(key, b"vetting history key id", hashlib.sha256).hexdigest()[:16]


def id_digest(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 hex of a normalised ID number under the installation's `key`: how one
    person is recognised across runs without keeping the number. Without the key the digest
    cannot be checked against guessed birth dates, unlike a plain hash of the number."""
    return id_digester(key)(id_number)


def id_digester(key: bytes) -> Callable[[str], str]:
    """`id_digest` with `key` bound, keyed once and copied per number (about 1.5 times as
    fast as keying HMAC anew for each of a province's candidates)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(id_number: str) -> str:
        h = keyed.copy()
        h.update(id_number.encode("utf-8"))
        return h.hexdigest()

    return digest


# --------------------------------------------------------------------------- opening


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
        single transaction, and return its run id. Nothing of the run remains if anything
        fails (or the process dies) before the commit. `result` is not modified.

        The HMAC key is read - or, on the first recorded run, created - while the database's
        write lock is held, so two runs starting at once cannot create two different keys."""
        conn = self.connection
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                key = self._key()
                run_row = _run_row(result, started_at, finished_at, options or {}, key_fingerprint(key))
                cursor = conn.execute(
                    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS[1:])}) "
                    f"VALUES ({', '.join('?' * (len(_RUN_COLUMNS) - 1))})", run_row)
                run_id = int(cursor.lastrowid)
                conn.executemany(
                    f"INSERT INTO candidates (run_id, {', '.join(_CANDIDATE_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (len(_CANDIDATE_COLUMNS) + 1))})",
                    _candidate_rows(run_id, result.candidates, key))
                conn.executemany(
                    f"INSERT INTO findings (run_id, {', '.join(_FINDING_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (len(_FINDING_COLUMNS) + 1))})",
                    _finding_rows(run_id, result.findings))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise HistoryError(f"无法写入审查记录数据库 {self.path}：{_sqlite_reason(exc)}") from exc
        return run_id

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
        sql = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs ORDER BY id DESC"
        params: tuple = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (int(limit),)
        return [_summary(row) for row in self._query(sql, params)]

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
            run_id = int(match.group("id"))
            if not self._query("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
                raise HistoryError(f"没有编号为 {run_id} 的审查记录{self._available()}")
            return run_id
        back = int(match.group("back") or 0)
        rows = self._query("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (back,))
        if not rows:
            raise HistoryError(f"没有审查记录「{ref.strip() if isinstance(ref, str) else ref}」"
                               f"{self._available()}")
        return int(rows[0][0])

    def run(self, run_id: int) -> RunDetail:
        """One recorded run with all its candidates and findings (input order, findings worst
        first). Raises HistoryError if the run does not exist or is incomplete."""
        rows = self._query(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise HistoryError(f"没有编号为 {run_id} 的审查记录{self._available()}")
        summary = _summary(rows[0])
        findings: dict[int, list[StoredFinding]] = {}
        for row in self._query(f"SELECT {', '.join(_FINDING_COLUMNS)} FROM findings "
                               "WHERE run_id = ? ORDER BY rowid", (run_id,)):
            findings.setdefault(row[0], []).append(StoredFinding(*row[1:]))
        candidates = [
            StoredCandidate(*row, findings=_worst_first(findings.get(row[0], ())))
            for row in self._query(f"SELECT {', '.join(_CANDIDATE_COLUMNS)} FROM candidates "
                                   "WHERE run_id = ? ORDER BY row_id", (run_id,))
        ]
        stored_findings = sum(len(v) for v in findings.values())
        if len(candidates) != summary.candidate_count or stored_findings != summary.finding_count:
            raise HistoryError(f"审查记录 #{run_id} 不完整（应有 {summary.candidate_count} 人、"
                               f"{summary.finding_count} 条问题，实有 {len(candidates)} 人、"
                               f"{stored_findings} 条），数据库可能已损坏")
        return RunDetail(summary, candidates)

    def _available(self) -> str:
        """A Chinese hint naming the run ids that do exist."""
        rows = self._query("SELECT MIN(id), MAX(id), COUNT(*) FROM runs")
        low, high, count = rows[0]
        if not count:
            return f"（数据库 {self.path} 中尚无审查记录）"
        return f"（现有 {count} 条，编号 {low}–{high}）" if low != high else f"（现有编号 {low}）"

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run a read query; SQLite errors become HistoryError."""
        try:
            return self.connection.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"无法读取审查记录数据库 {self.path}：{_sqlite_reason(exc)}") from exc


def open_history(path: str | os.PathLike, create: bool = False) -> History:
    """Open the history database at `path`.

    With `create` (recording a run) the parent directory and the database are created when
    missing; without it (listing, showing) a missing file is an error, so reading never
    leaves an empty database behind. The schema version is checked either way."""
    path = Path(path)
    if not create and not path.is_file():
        raise HistoryError(f"审查记录数据库不存在：{path}（尚未记录过审查，或 --db 路径有误）")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"无法创建审查记录目录 {path.parent}：{exc.strerror or exc}") from exc
        if path.is_dir():
            raise HistoryError(f"审查记录数据库路径是一个目录：{path}")
    try:
        uri = path.resolve().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except (sqlite3.Error, OSError, ValueError) as exc:
        raise HistoryError(f"无法打开审查记录数据库 {path}：{_sqlite_reason(exc)}") from exc
    try:
        _ensure_schema(conn, path, create)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.Error as exc:
        conn.close()
        raise HistoryError(f"无法使用审查记录数据库 {path}：{_sqlite_reason(exc)}") from exc
    except BaseException:
        conn.close()
        raise
    return History(path, conn)


def _ensure_schema(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """Check the schema version and create the tables in a fresh database (in a transaction,
    so two runs starting at once cannot both create them); a version 1 database is migrated
    first (see `_migrate_v1`)."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 1:
            _migrate_v1(conn, path)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise HistoryError(f"审查记录数据库 {path} 由更新版本的工具创建（结构版本 {version}，"
                               f"本工具支持 {SCHEMA_VERSION}），请升级 vetting")
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if tables and conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return      # another run created the schema (tables and version in one commit) meanwhile
        if tables:
            raise HistoryError(f"{path} 不是 vetting 的审查记录数据库（含有其他数据表），请用 --db 另选文件")
        if not create:
            raise HistoryError(f"审查记录数据库 {path} 为空（尚未记录过审查）")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise HistoryError(f"无法使用审查记录数据库 {path}：{_sqlite_reason(exc)}") from exc


def _migrate_v1(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade a version 1 database, whose unsalted SHA-256 ID digests are reversible, to
    version 2 by dropping them: the column becomes ``id_hmac`` and is emptied, and runs get
    an empty key fingerprint. Everything else (masked IDs, verdicts, findings) is kept; the
    old runs then compare with new ones by file + row + name. ``secure_delete`` overwrites
    the freed bytes, so the digests do not linger in the file's free pages. Done on any open,
    reading included, so that an old file stops exposing IDs as soon as it is used."""
    try:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:   # not migrated meanwhile
                conn.execute("UPDATE candidates SET id_sha256 = NULL")
                conn.execute("ALTER TABLE candidates RENAME COLUMN id_sha256 TO id_hmac")
                conn.execute("ALTER TABLE runs ADD COLUMN id_key_id TEXT")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA secure_delete = OFF")
    except sqlite3.Error as exc:
        raise HistoryError(f"审查记录数据库 {path} 为旧版本（结构版本 1，其中的身份证号摘要未加密钥、可被反推），"
                           f"需要升级（删除这些摘要）但升级失败：{_sqlite_reason(exc)}；"
                           "请确认文件可写后重试，或用 --db 另选数据库") from exc


# --------------------------------------------------------------------------- rows to store


def _run_row(result: VettingResult, started_at: dt.datetime | str, finished_at: dt.datetime | str,
             options: Mapping[str, Any], key_id: str | None) -> tuple:
    """The `runs` row (without id) for `result`: meta fields, counts and options as JSON, and
    the fingerprint of the key its ID digests use."""
    meta = result.meta or {}
    ruleset = meta.get("ruleset") or {}
    counts = meta.get("verdict_counts")
    if not counts:
        found = result.candidates["verdict"].value_counts()
        counts = {v: int(found.get(v, 0)) for v in VERDICTS}
    return (
        _timestamp(started_at), _timestamp(finished_at),
        _text(meta.get("tool_version")), _text(meta.get("engine")),
        _text(ruleset.get("id")), _text(ruleset.get("title")),
        _text(ruleset.get("version")), _text(ruleset.get("sha256")),
        _text(meta.get("as_of")),
        mask_id_like(_json(meta.get("inputs") or [])),
        int(len(result.candidates)), int(len(result.findings)),
        _json(counts),
        mask_id_like(_json(dict(options))),
        mask_id_like(_json(meta)),
        key_id,
    )


def _candidate_rows(run_id: int, candidates: pd.DataFrame, key: bytes) -> Iterator[tuple]:
    """`candidates` rows for executemany: the ID number replaced by its keyed digest and
    masked form, ID-like numbers in the text columns (a file name, a pasted cell) masked."""
    digest = id_digester(key)
    for part in _chunks(candidates):
        ids = [normalise_id(v) for v in _values(part["id_number"])]
        digests = [digest(v) if v else None for v in ids]
        masked = [mask_ids(v) if v else None for v in ids]
        columns = [_values(part[c]) for c in ("row_id", "source_file", "source_row", "name",
                                              "role", "village", "township")]
        for i, c in ((1, "source_file"), (3, "name"), (4, "role"), (5, "village"), (6, "township")):
            columns[i] = mask_id_like_column(part[c], columns[i])
        for values in zip(*columns, digests, masked, _values(part["verdict"])):
            yield (run_id, *values)


def _finding_rows(run_id: int, findings: pd.DataFrame) -> Iterator[tuple]:
    """`findings` rows for executemany, with ID-like numbers in reason and evidence masked."""
    for part in _chunks(findings):
        columns = {c: _values(part[c]) for c in _FINDING_COLUMNS}
        for c in ("reason", "evidence"):
            columns[c] = mask_id_like_column(part[c], columns[c])
        for values in zip(*columns.values()):
            yield (run_id, *values)


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """`frame` in slices of CHUNK_ROWS rows, so that converting to Python values for SQLite
    holds one slice at a time rather than a province-scale table."""
    size = CHUNK_ROWS
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


def _values(series: pd.Series) -> list:
    """The column as a list of plain Python values with every missing value as None."""
    return series.astype(object).where(series.notna(), None).tolist()


def normalise_id(value: Any) -> str | None:
    """The ID text used for the digest: stripped, upper-case X; None when blank."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def mask_id_like(text: Any) -> Any:
    """`text` with every ID-like digit run (15, or 17 + digit/X) masked like a report's ID
    column; other values pass through. A safety net so that no clear ID number reaches the
    database through a reason template, an evidence text or a file name."""
    if not isinstance(text, str) or len(text) < 15:
        return text
    return _ID_LIKE.sub(lambda m: mask_ids(m.group(0)), text)


def mask_id_like_column(series: pd.Series, values: list) -> list:
    """`mask_id_like` over a text column (`values` is its `_values` list), touching only the
    rows that hold a run of 15 digits - found in one vectorised pass, since most have none."""
    text = series.astype("str")
    hits = text.str.contains(r"[0-9]{15}", regex=True, na=False).to_numpy(dtype=bool)
    if not hits.any():
        return values
    out = list(values)
    for i in hits.nonzero()[0]:
        out[i] = mask_id_like(out[i])
    return out


def _timestamp(value: dt.datetime | dt.date | str) -> str:
    """A timestamp as ISO 8601 text (seconds)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def _summary(row: Sequence[Any]) -> RunSummary:
    """A `runs` row (in _RUN_COLUMNS order) as a RunSummary with the JSON columns parsed."""
    values = dict(zip(_RUN_COLUMNS, row))
    for key in ("inputs", "verdict_counts", "options", "meta"):
        values[key] = json.loads(values[key]) if values[key] else ({} if key != "inputs" else [])
    return RunSummary(**values)


_SEVERITY_RANK = {"disqualify": 0, "unsuitable": 1, "review": 2, "pending": 3, "notice": 4}


def _worst_first(findings: Iterable[StoredFinding]) -> tuple[StoredFinding, ...]:
    """Findings ordered worst severity first, then by rule code (stable), as in the reports."""
    return tuple(sorted(findings, key=lambda f: (_SEVERITY_RANK.get(f.severity or "", 5), f.rule or "")))


def _sqlite_reason(exc: BaseException) -> str:
    """A Chinese reason for common SQLite failures, followed by SQLite's own text."""
    text = str(exc)
    lowered = text.lower()
    if "unable to open" in lowered:
        return f"无法打开文件（路径不存在或没有权限）[{text}]"
    if "readonly" in lowered or "read-only" in lowered:
        return f"文件只读，没有写入权限 [{text}]"
    if "not a database" in lowered:
        return f"文件不是 SQLite 数据库 [{text}]"
    if "locked" in lowered or "busy" in lowered:
        return f"数据库正被其他程序占用，请稍后重试 [{text}]"
    if "disk" in lowered and ("full" in lowered or "i/o" in lowered):
        return f"磁盘已满或读写出错 [{text}]"
    if "malformed" in lowered or "corrupt" in lowered:
        return f"数据库文件已损坏 [{text}]"
    return text


# --------------------------------------------------------------------------- comparison (pure)


def compare_runs(old: RunDetail, new: RunDetail) -> Comparison:
    """Candidates whose verdict changed from `old` to `new`, with the rules that appeared,
    disappeared or changed; candidates present in only one run; counts of the rest.

    Candidates are matched by ID digest where both have one (duplicates of one ID paired in
    input order), then - among those still unmatched where at least one side has no ID - by
    (source file, source row, name). A candidate with an ID is never paired with a different
    ID, since that would be a different person. Digests made with different keys (the key
    file was lost) or not kept (a run migrated from schema 1) cannot be compared: then only
    (file, row, name) matches, and two IDs whose masked forms differ are still never paired."""
    comparable = bool(old.run.id_key_id) and old.run.id_key_id == new.run.id_key_id
    pairs, only_old, only_new = match_candidates(old.candidates, new.candidates, comparable)
    changes: list[CandidateChange] = []
    unchanged = same_verdict_other_findings = 0
    matched_by: dict[str, int] = {}
    for a, b, how in pairs:
        matched_by[how] = matched_by.get(how, 0) + 1
        if a.verdict == b.verdict:
            unchanged += 1
            if _finding_keys(a) != _finding_keys(b):
                same_verdict_other_findings += 1
            continue
        appeared, disappeared, changed = diff_findings(a.findings, b.findings)
        changes.append(CandidateChange(a, b, how, appeared, disappeared, changed))
    return Comparison(old.run, new.run, changes, only_old, only_new, unchanged,
                      same_verdict_other_findings, matched_by, comparable)


def match_candidates(old: Sequence[StoredCandidate], new: Sequence[StoredCandidate],
                     ids_comparable: bool = True
                     ) -> tuple[list[tuple[StoredCandidate, StoredCandidate, str]],
                                list[StoredCandidate], list[StoredCandidate]]:
    """Pair candidates of two runs: (old, new, how matched) pairs in new-run order, then the
    unmatched of each run in input order. See `compare_runs` for the keys; without
    `ids_comparable` the digests are ignored."""
    def digest(c: StoredCandidate) -> str | None:
        return c.id_hmac if ids_comparable else None

    pairs: dict[int, tuple[StoredCandidate, StoredCandidate, str]] = {}
    used_old: set[int] = set()
    by_id: dict[str, list[int]] = {}
    for i, c in enumerate(old):
        if digest(c):
            by_id.setdefault(digest(c), []).append(i)
    for j, c in enumerate(new):
        waiting = by_id.get(digest(c)) if digest(c) else None
        if waiting:
            i = waiting.pop(0)
            pairs[j] = (old[i], c, MATCH_BY_ID)
            used_old.add(i)
    by_position: dict[tuple, list[int]] = {}
    for i, c in enumerate(old):
        if i not in used_old:
            by_position.setdefault(_position(c), []).append(i)
    for j, c in enumerate(new):
        if j in pairs:
            continue
        waiting = by_position.get(_position(c), [])
        for k, i in enumerate(waiting):
            if not (digest(old[i]) and digest(c)) and not _different_masks(old[i], c):
                pairs[j] = (old[i], c, MATCH_BY_POSITION)
                used_old.add(i)
                del waiting[k]
                break
    ordered = [pairs[j] for j in sorted(pairs)]
    only_old = [c for i, c in enumerate(old) if i not in used_old]
    only_new = [c for j, c in enumerate(new) if j not in pairs]
    return ordered, only_old, only_new


def diff_findings(old: Sequence[StoredFinding], new: Sequence[StoredFinding]
                  ) -> tuple[tuple[StoredFinding, ...], tuple[StoredFinding, ...], tuple[RuleChange, ...]]:
    """Per rule code: findings of rules only in `new` (appeared), only in `old`
    (disappeared), and rules in both whose severities or reasons differ (changed)."""
    old_by_rule = _by_rule(old)
    new_by_rule = _by_rule(new)
    appeared = tuple(f for rule, fs in new_by_rule.items() if rule not in old_by_rule for f in fs)
    disappeared = tuple(f for rule, fs in old_by_rule.items() if rule not in new_by_rule for f in fs)
    changed = tuple(
        RuleChange(rule, tuple(old_by_rule[rule]), tuple(fs))
        for rule, fs in new_by_rule.items()
        if rule in old_by_rule and _texts(old_by_rule[rule]) != _texts(fs)
    )
    return appeared, disappeared, changed


def _by_rule(findings: Iterable[StoredFinding]) -> dict[str, list[StoredFinding]]:
    grouped: dict[str, list[StoredFinding]] = {}
    for f in findings:
        grouped.setdefault(f.rule or "", []).append(f)
    return grouped


def _texts(findings: Iterable[StoredFinding]) -> list[tuple]:
    return sorted((f.severity or "", f.reason or "") for f in findings)


def _finding_keys(c: StoredCandidate) -> list[tuple]:
    return sorted((f.rule or "", f.severity or "", f.reason or "") for f in c.findings)


def _different_masks(a: StoredCandidate, b: StoredCandidate) -> bool:
    """Both have an ID and the masked forms differ: certainly two different numbers."""
    return bool(a.id_masked and b.id_masked and a.id_masked != b.id_masked)


def _position(c: StoredCandidate) -> tuple:
    return (c.source_file, c.source_row, c.name)
