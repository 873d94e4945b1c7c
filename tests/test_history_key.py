"""Run history: ID digests are keyed (HMAC-SHA256 with a per-installation key in ``<db>.key``).

A plain SHA-256 beside the masked form ``510525********123X`` leaves only the 8 birth-date
digits to guess; these tests run that brute force against the database and check it fails
without the key, that compare still matches the same person across runs of one
installation, and what happens when the key is lost or corrupt and when a version 1
database (plain digests) is opened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import shutil
import sqlite3
import stat
import threading

import pytest
from test_history import DEMO_CSV, ID_A, ID_B, ID_C, T0, T1, make_result, person

from conftest import FIXTURES
from vetting.cli import cli
from vetting.history import (
    MATCH_BY_ID,
    MATCH_BY_POSITION,
    SCHEMA_VERSION,
    HistoryError,
    compare_runs,
    comparison_text,
    key_path,
    open_history,
    run_text,
)
from vetting.history.keys import id_digest
from vetting.history.schema import migrate_v1, migrate_v2

#: Every birth date a candidate can have: 1900-01-01 .. 2030-12-31 (47,846 guesses).
BIRTH_DATES = [(dt.date(1900, 1, 1) + dt.timedelta(days=n)).strftime("%Y%m%d")
               for n in range((dt.date(2030, 12, 31) - dt.date(1900, 1, 1)).days + 1)]


def record(path, result) -> int:
    with open_history(path, create=True) as store:
        return store.record(result, T0, T1, {})


def stored(path, run_id=1) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name, id_masked, id_hmac FROM candidates WHERE run_id = ? ORDER BY row_id",
                            (run_id,)).fetchall()


def brute_force(masked: str, digest: str, hash_id) -> str | None:
    """The ID number behind `masked` whose `hash_id` equals `digest`, trying every birth date."""
    head, tail = masked[:6], masked[-4:]
    for date in BIRTH_DATES:
        guess = head + date + tail
        if hash_id(guess) == digest:
            return guess
    return None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "h.sqlite3"


def test_birth_date_brute_force_does_not_find_the_stored_digest_without_the_key(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "李四", ID_B, "pass")], []))
    key = bytes.fromhex(key_path(db).read_text(encoding="ascii"))
    for (_name, masked, digest), clear in zip(stored(db), (ID_A, ID_B)):
        assert masked == clear[:6] + "********" + clear[-4:] and len(digest) == 64
        # the attack works against a plain SHA-256 of this number (the version 1 scheme) ...
        assert brute_force(masked, sha256(clear), sha256) == clear
        # ... but not against what is stored, neither plain nor under another key
        assert brute_force(masked, digest, sha256) is None
        assert brute_force(masked, digest, lambda t: id_digest(t, b"\0" * 32)) is None
        # with the key file it does: the digest really is the keyed hash of this number
        assert brute_force(masked, digest, lambda t: id_digest(t, key)) == clear
        assert digest == hmac.new(key, clear.encode(), hashlib.sha256).hexdigest()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_database_and_the_folders_the_tool_creates_are_private(tmp_path):
    """Like its key, the database is created 0600 and every folder the tool creates for it 0700
    (whatever the umask allows others); its journal, made while recording, takes the same mode.
    Folders and files that already exist are left as they are."""
    (tmp_path / "shared").mkdir(mode=0o755)
    db = tmp_path / "shared" / "a" / "b" / "h.sqlite3"
    old = os.umask(0o002)
    try:
        record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (db, key_path(db), db.parent, db.parent.parent)}
    assert modes == {"h.sqlite3": 0o600, "h.sqlite3.key": 0o600, "b": 0o700, "a": 0o700}
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o755
    mine = tmp_path / "mine.sqlite3"
    mine.touch(mode=0o640)
    mine.chmod(0o640)
    record(mine, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    assert stat.S_IMODE(mine.stat().st_mode) == 0o640


def test_key_file_is_created_beside_the_database_owner_only_and_not_inside_it(db):
    assert not key_path(db).exists()
    record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    path = key_path(db)
    assert path == db.with_name("h.sqlite3.key") and path.is_file()
    text = path.read_text(encoding="ascii")
    assert len(text.strip()) == 64 and bytes.fromhex(text.strip())
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = db.read_bytes()
    assert text.strip().encode() not in raw and bytes.fromhex(text) not in raw
    record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    assert path.read_text(encoding="ascii") == text               # reused, never replaced
    assert stored(db, 1)[0][2] == stored(db, 2)[0][2]


def test_reading_needs_no_key_and_creates_none(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    key_path(db).unlink()
    with open_history(db) as store:
        detail = store.run(1)
    assert detail.candidates[0].id_masked == "510525********123X" and not key_path(db).exists()


def test_compare_matches_the_same_person_across_runs_of_one_installation(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "李四", ID_B, "pass")], []))
    record(db, make_result([person(0, 7, "李四", ID_B, "review"), person(1, 9, "张三", ID_A, "pass")], []))
    with open_history(db) as store:
        cmp = compare_runs(store.run(1), store.run(2))
    assert cmp.ids_comparable and cmp.matched_by == {MATCH_BY_ID: 2}
    assert [(c.old.source_row, c.new.source_row, c.matched_by) for c in cmp.changes] == [(3, 7, MATCH_BY_ID)]
    assert "密钥" not in comparison_text(cmp)


def test_concurrent_first_runs_share_one_key(db):
    errors = []

    def worker():
        try:
            record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(DISTINCT id_key_id), COUNT(*) FROM runs").fetchone() == (1, 4)
        assert conn.execute("SELECT COUNT(DISTINCT id_hmac) FROM candidates").fetchone()[0] == 1


def test_lost_key_is_said_and_compare_falls_back_to_file_row_name(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "李四", ID_B, "pass"),
                            person(2, 4, "王五", ID_C, "pass")], []))
    key_path(db).unlink()
    with open_history(db, create=True) as store:
        store.record(make_result([person(0, 2, "张三", ID_A, "review"), person(1, 3, "李四", ID_C, "review"),
                                  person(2, 8, "王五", ID_C, "pass")], []), T0, T1, {})
        note = store.key_note
    assert note and "已新建" in note and "此前 1 次记录" in note
    with open_history(db) as store:
        cmp = compare_runs(store.run(1), store.run(2))
    assert not cmp.ids_comparable
    # 张三: same file, row and masked ID -> paired; 李四 at row 3 now has another ID -> never
    # paired; 王五 moved rows -> cannot be recognised without comparable digests
    assert [(c.new.name, c.matched_by) for c in cmp.changes] == [("张三", MATCH_BY_POSITION)]
    assert sorted(c.name for c in cmp.only_old) == ["李四", "王五"]
    assert "两次记录使用的密钥不同" in comparison_text(cmp)
    with open_history(db, create=True) as store:                    # the new key is kept from now on
        store.record(make_result([person(0, 2, "张三", ID_A, "pass")], []), T0, T1, {})
        assert store.key_note is None


def test_cli_says_when_a_new_key_replaced_a_lost_one(runner, db, tmp_path):
    args = ["run", DEMO_CSV, "--as-of", "2026-12-15", "-o", str(tmp_path / "a.json"), "--db", str(db)]
    assert "密钥" not in runner.invoke(cli, args).output
    key_path(db).unlink()
    result = runner.invoke(cli, args)
    assert result.exit_code == 0 and "提示：密钥文件" in result.output and "已新建" in result.output


def test_corrupt_key_is_refused_and_nothing_is_recorded(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    key_path(db).write_text("not a key\n", encoding="ascii")
    with pytest.raises(HistoryError) as err:
        record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    assert "密钥文件" in err.value.message and "已损坏" in err.value.message
    assert key_path(db).read_text(encoding="ascii") == "not a key\n"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


# --------------------------------------------------------------------------- version 1 databases

_V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    tool_version TEXT, engine TEXT, ruleset_id TEXT, ruleset_title TEXT, ruleset_version TEXT,
    ruleset_sha256 TEXT, as_of TEXT, inputs TEXT NOT NULL, candidate_count INTEGER NOT NULL,
    finding_count INTEGER NOT NULL, verdict_counts TEXT NOT NULL, options TEXT NOT NULL, meta TEXT NOT NULL);
CREATE TABLE candidates (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id INTEGER NOT NULL, source_file TEXT, source_row INTEGER, name TEXT, role TEXT, village TEXT,
    township TEXT, id_sha256 TEXT, id_masked TEXT, verdict TEXT NOT NULL, PRIMARY KEY (run_id, row_id));
CREATE TABLE findings (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, row_id INTEGER NOT NULL,
    rule TEXT, rule_name TEXT, severity TEXT, reason TEXT, evidence TEXT, basis TEXT);
CREATE INDEX findings_by_candidate ON findings(run_id, row_id);
"""


def make_v1(path) -> None:
    """A database as version 1 of the tool wrote it: one run, two people, plain SHA-256 digests."""
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1_SCHEMA)
        conn.execute("INSERT INTO runs VALUES (1, '2026-10-01T09:00:00', '2026-10-01T09:00:01', '0.1.0', 'vector',"
                     " 't', '测试', '1', ?, '2026-12-15', '[]', 2, 0, '{}', '{}', '{}')", ("ab" * 32,))
        conn.executemany("INSERT INTO candidates VALUES "
                         "(1, ?, '名册.xlsx', ?, ?, '村委会委员', '红星村', '城关镇', ?, ?, ?)",
                         [(0, 2, "张三", sha256(ID_A), "510525********123X", "review"),
                          (1, 3, "李四", sha256(ID_B), "510525********4321", "pass")])
        conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_version_1_database_is_migrated_by_dropping_the_plain_digests(db):
    make_v1(db)
    assert sha256(ID_A).encode() in db.read_bytes()
    with open_history(db) as store:                                  # reading migrates it too
        detail = store.run(1)
    assert [(c.name, c.id_masked, c.id_hmac, c.verdict) for c in detail.candidates] == [
        ("张三", "510525********123X", None, "review"), ("李四", "510525********4321", None, "pass")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    conn.close()
    raw = db.read_bytes()
    for clear in (ID_A, ID_B):                                       # overwritten, not just unlinked
        assert sha256(clear).encode() not in raw
    assert not key_path(db).exists()

    record(db, make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "李四", ID_C, "pass")], []))
    with open_history(db) as store:
        cmp = compare_runs(store.run(1), store.run(2))
    assert not cmp.ids_comparable
    assert [(c.new.name, c.old.verdict, c.new.verdict, c.matched_by) for c in cmp.changes] == [
        ("张三", "review", "pass", MATCH_BY_POSITION)]
    assert [c.name for c in cmp.only_old] == ["李四"] and [c.name for c in cmp.only_new] == ["李四"]
    assert "#1 记录于旧版本" in comparison_text(cmp)
    assert "HMAC-SHA256" not in run_text(detail, show_digest=True)


def make_v2(path) -> None:
    """The database version 2 of the tool wrote for the demo roster (see tests/test_history_compact.py)."""
    shutil.copy(FIXTURES / "history" / "v2.sqlite3", path)


@pytest.mark.parametrize(("make", "migrate", "version"), [(make_v1, migrate_v1, 1), (make_v2, migrate_v2, 2)])
def test_old_database_that_cannot_be_written_is_a_clear_error(db, make, migrate, version):
    make(db)
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        with pytest.raises(HistoryError) as err:
            migrate(conn, db)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    finally:
        conn.close()
    assert f"结构版本 {version}" in err.value.message and "升级失败" in err.value.message
    assert "只读" in err.value.message
