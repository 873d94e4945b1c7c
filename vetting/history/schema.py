"""The history database's tables: their layout and version, creating them in a fresh file,
and upgrading a file written by an older version of the tool."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from vetting.history.errors import HistoryError, sqlite_reason
from vetting.history.ratings import create_ratings

#: Schema version kept in ``PRAGMA user_version``; bump it with a migration when tables change.
#: 1: unsalted SHA-256 of each ID number (reversible; migrated by dropping the digests).
#: 2: keyed HMAC-SHA256 (``candidates.id_hmac``) and the key's fingerprint per run.
#: 3: compact findings, added beside the old table (see `migrate_v2`): each distinct finding text
#:    stored once (``finding_texts``) and referenced per candidate (``finding_refs``); the
#:    candidate's unchecked rules (``candidates.unchecked``); the view ``all_findings``.
#: 4: reserve ratings per candidate (``ratings``, vetting.history.ratings): an additive step (`migrate_v3`).
#: 5: table ``decisions``: the recorded human decisions (复核结论) a run applied, and what became of them.
SCHEMA_VERSION = 5

#: Added by version 5 (see `migrate_v4`).
_DECISIONS = """
CREATE TABLE decisions (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id          INTEGER,            -- the candidate decided for (NULL: the decision matched nobody)
    file            TEXT,               -- the decisions file and its row
    file_row        INTEGER,
    rule            TEXT,
    code            TEXT,               -- 复核依据码 of the finding decided on
    decision        TEXT,               -- 维持 / 撤销 / 同意提名 / 不同意提名
    status          TEXT,               -- applied / stale / unmatched
    why             TEXT,
    severity_before TEXT,
    severity_after  TEXT,
    verdict_before  TEXT,
    verdict_after   TEXT,
    decided_by      TEXT,
    decided_on      TEXT,
    document        TEXT,
    note            TEXT,
    id_hmac         TEXT,               -- HMAC-SHA256 of the ID the decision names, never the number
    id_masked       TEXT,
    name            TEXT,
    position        TEXT                -- "file 第N行" when the decision names the person so
);
CREATE INDEX decisions_by_run ON decisions(run_id);
"""

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
""" + _DECISIONS


#: Column order of each table as the store writes and reads it.
RUN_COLUMNS = ("id", "started_at", "finished_at", "tool_version", "engine", "ruleset_id",
               "ruleset_title", "ruleset_version", "ruleset_sha256", "as_of", "inputs",
               "candidate_count", "finding_count", "verdict_counts", "options", "meta", "id_key_id")
CANDIDATE_COLUMNS = ("row_id", "source_file", "source_row", "name", "role", "village",
                     "township", "id_hmac", "id_masked", "verdict", "unchecked")
FINDING_COLUMNS = ("row_id", "rule", "rule_name", "severity", "reason", "evidence", "basis")
#: Columns of one interned finding text (``finding_texts`` without id and digest).
TEXT_COLUMNS = ("rule", "rule_name", "severity", "reason", "evidence", "at_row", "basis")

#: Version 3, added to a version 2 database (`migrate_v2`) and to a new one alike. Runs recorded
#: before it keep their rows in ``findings``; later runs write ``finding_refs`` only. A 100,000-row
#: run before the agencies' replies has millions of findings made of a few hundred distinct texts,
#: so each text is stored once and each finding is four small integers. The candidate's own
#: "<file> 第<row>行" is left out of the stored evidence (``at_row`` = 1) and put back on reading,
#: as otherwise almost every evidence text would be distinct. ``all_findings`` reads old and new
#: rows alike, as the ``findings`` table did (``seq`` orders a candidate's findings).
_V3 = """
CREATE TABLE finding_texts (
    id        INTEGER PRIMARY KEY,
    digest    BLOB NOT NULL UNIQUE,     -- 16-byte BLAKE2b of the other columns: finds a text again
    rule      TEXT,
    rule_name TEXT,
    severity  TEXT,
    reason    TEXT,
    evidence  TEXT,                     -- at_row = 1: what follows the candidate's "<file> 第<row>行"
    at_row    INTEGER NOT NULL,
    basis     TEXT
);
CREATE TABLE finding_refs (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id  INTEGER NOT NULL,
    seq     INTEGER NOT NULL,           -- the candidate's findings in the order the run gave them
    text_id INTEGER NOT NULL REFERENCES finding_texts(id),
    PRIMARY KEY (run_id, row_id, seq)
) WITHOUT ROWID;
-- the rules the run could not check for the candidate, joined by "、"
ALTER TABLE candidates ADD COLUMN unchecked TEXT;
CREATE VIEW all_findings AS
SELECT run_id, row_id, rowid AS seq, rule, rule_name, severity, reason, evidence, basis FROM findings
UNION ALL
SELECT r.run_id, r.row_id, r.seq, t.rule, t.rule_name, t.severity, t.reason,
       CASE WHEN t.at_row THEN c.source_file || ' 第' || c.source_row || '行' || t.evidence ELSE t.evidence END,
       t.basis
FROM finding_refs r JOIN finding_texts t ON t.id = r.text_id
     JOIN candidates c ON c.run_id = r.run_id AND c.row_id = r.row_id;
"""
DECISION_COLUMNS = ("row_id", "file", "file_row", "rule", "code", "decision", "status", "why", "severity_before",
                    "severity_after", "verdict_before", "verdict_after", "decided_by", "decided_on", "document",
                    "note", "id_hmac", "id_masked", "name", "position")


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE`` takes the write lock at once; ``DEFERRED`` only
    when a statement needs it, for writes to temporary tables); rolled back on any exception,
    interrupts included, so nothing half-written is ever committed."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def ensure_schema(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """Check the schema version and create the tables in a fresh database (in a transaction,
    so two runs starting at once cannot both create them); a version 1 database is migrated
    step by step to the current version (see `_MIGRATIONS`)."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        while version in _MIGRATIONS:   # each step moves the file on by one version (or raises)
            _MIGRATIONS[version](conn, path)
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
        with transaction(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                _execute_script(conn, _SCHEMA)
                _execute_script(conn, _V3)
                create_ratings(conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error as exc:
        raise HistoryError(f"无法使用审查记录数据库 {path}：{sqlite_reason(exc)}") from exc


def migrate_v1(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade a version 1 database, whose unsalted SHA-256 ID digests are reversible, to
    version 2 by dropping them: the column becomes ``id_hmac`` and is emptied, and runs get
    an empty key fingerprint. Everything else (masked IDs, verdicts, findings) is kept; the
    old runs then compare with new ones by file + row + name. ``secure_delete`` overwrites
    the freed bytes, so the digests do not linger in the file's free pages. Done on any open,
    reading included, so that an old file stops exposing IDs as soon as it is used."""
    try:
        conn.execute("PRAGMA secure_delete = ON")
        with transaction(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:   # not migrated meanwhile
                conn.execute("UPDATE candidates SET id_sha256 = NULL")
                conn.execute("ALTER TABLE candidates RENAME COLUMN id_sha256 TO id_hmac")
                conn.execute("ALTER TABLE runs ADD COLUMN id_key_id TEXT")
                conn.execute("PRAGMA user_version = 2")
        conn.execute("PRAGMA secure_delete = OFF")
    except sqlite3.Error as exc:
        raise HistoryError(f"审查记录数据库 {path} 为旧版本（结构版本 1，其中的身份证号摘要未加密钥、可被反推），"
                           f"需要升级（删除这些摘要）但升级失败：{sqlite_reason(exc)}；"
                           "请确认文件可写后重试，或用 --db 另选数据库") from exc


def migrate_v2(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade a version 2 database to version 3 by adding the compact finding tables, the
    ``candidates.unchecked`` column and the ``all_findings`` view (see `_V3`). Additive: no row
    is changed or moved, so it is instant on any size of file; earlier runs stay in ``findings``
    and read back exactly as before (their ``unchecked`` is NULL: not recorded)."""
    _additive_step(conn, path, 2, lambda: _execute_script(conn, _V3), "增加精简存储的问题表")


def migrate_v3(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade a version 3 database to version 4 by adding the `ratings` table (reserve ratings
    per candidate, vetting.history.ratings); runs recorded before it simply have no ratings."""
    _additive_step(conn, path, 3, lambda: create_ratings(conn), "增加后备力量考核记录表")


def migrate_v4(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade a version 4 database to version 5: add the (empty) ``decisions`` table. Earlier
    runs had no recorded decisions; nothing else changes."""
    _additive_step(conn, path, 4, lambda: _execute_script(conn, _DECISIONS), "增加复核结论表")


def _additive_step(conn: sqlite3.Connection, path: Path, version: int, apply: Callable[[], None], what: str) -> None:
    """One additive migration from `version` to the next, on any open (reading included), in one
    transaction; skipped when another process migrated the file meanwhile."""
    try:
        with transaction(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] == version:
                apply()
                conn.execute(f"PRAGMA user_version = {version + 1}")
    except sqlite3.Error as exc:
        raise HistoryError(f"审查记录数据库 {path} 为旧版本（结构版本 {version}），需要升级（{what}）但升级失败："
                           f"{sqlite_reason(exc)}；请确认文件可写后重试，或用 --db 另选数据库") from exc


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Each ``;``-separated statement of `script` in the open transaction (``executescript``
    would commit it first)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


#: The migration that takes a database of each older version to the next one.
_MIGRATIONS = {1: migrate_v1, 2: migrate_v2, 3: migrate_v3, 4: migrate_v4}
