"""Run history: the SQLite store (create, list, show, compare, interrupted recording), the
Chinese text, and `vet run` / `vet history` through the CLI."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
import types
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import vetting.cli
from conftest import FIXTURES, ROOT
from vetting.cli import cli
from vetting.history import (
    ENV_VAR,
    MATCH_BY_ID,
    MATCH_BY_POSITION,
    SCHEMA_VERSION,
    HistoryError,
    compare_runs,
    comparison_text,
    default_db_path,
    key_path,
    open_history,
    resolve_db_path,
    rows,
    run_text,
    runs_text,
)
from vetting.history.keys import id_digest
from vetting.pipeline import vet_files
from vetting.result import CANDIDATE_COLUMNS, FINDING_COLUMNS, VettingResult
from vetting.ruleset.loader import load_ruleset

DEMO_XLSX = str(FIXTURES / "demo_roster.xlsx")
DEMO_CSV = str(FIXTURES / "demo_roster.csv")
AS_OF = ["--as-of", "2026-12-15"]
T0 = dt.datetime(2026, 11, 1, 9, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
T1 = T0 + dt.timedelta(seconds=3)

ID_A = "51052519900101123X"
ID_B = "510525198805054321"
ID_C = "640323197601202639"


def person(row_id, row, name, id_number, verdict, file="名册.xlsx"):
    return [row_id, file, row, name, "村委会委员", "红星村", "城关镇", id_number, verdict]


def finding(row_id, rule, severity, reason, name="测试规则"):
    return [row_id, rule, name, severity, reason, f"名册.xlsx 第{row_id + 2}行", f"{rule}依据"]


def make_result(people, findings, as_of="2026-12-15") -> VettingResult:
    """A VettingResult built by hand, with the meta block the pipeline would add."""
    candidates = pd.DataFrame(people, columns=CANDIDATE_COLUMNS)
    findings = pd.DataFrame(findings, columns=FINDING_COLUMNS).astype({"row_id": "int64"})
    counts = candidates["verdict"].value_counts()
    meta = {"tool_version": "0.1.0", "engine": "vector",
            "ruleset": {"id": "t", "title": "测试", "version": "1", "sha256": "ab" * 32},
            "as_of": as_of,
            "inputs": [{"file": "名册.xlsx", "sha256": "cd" * 32, "rows": len(candidates)}],
            "candidate_count": len(candidates), "finding_count": len(findings),
            "verdict_counts": {v: int(counts.get(v, 0)) for v in
                               ("disqualified", "unsuitable", "review", "pending", "pass")}}
    return VettingResult(candidates, findings, meta)


@pytest.fixture(scope="module")
def demo_result() -> VettingResult:
    return vet_files([DEMO_XLSX], load_ruleset("national"), dt.date(2026, 12, 15))


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "nested" / "dir" / "history.sqlite3"


def record(path, result, options=None) -> int:
    with open_history(path, create=True) as store:
        return store.record(result, T0, T1, options or {})


def stored_key(path) -> bytes:
    """The HMAC key in the key file beside the database at `path`."""
    return bytes.fromhex(key_path(path).read_text(encoding="ascii"))


def table_count(path, table) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# --------------------------------------------------------------------------- create


def test_first_record_creates_directory_database_and_schema_version(db, demo_result):
    assert not db.parent.exists()
    run_id = record(db, demo_result, {"ruleset": "national"})
    assert run_id == 1 and db.is_file()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        row = conn.execute("SELECT started_at, finished_at, ruleset_id, ruleset_sha256, as_of, "
                           "candidate_count, finding_count, verdict_counts, inputs FROM runs").fetchone()
    assert row[0] == "2026-11-01T09:00:00+08:00" and row[1] == "2026-11-01T09:00:03+08:00"
    assert row[2] == "national" and row[3] == demo_result.meta["ruleset"]["sha256"]
    assert row[4] == "2026-12-15" and row[5] == 27 and row[6] == 19
    assert json.loads(row[7]) == demo_result.meta["verdict_counts"]
    assert json.loads(row[8])[0]["sha256"] == demo_result.meta["inputs"][0]["sha256"]
    assert table_count(db, "candidates") == 27 and table_count(db, "all_findings") == 19


def test_recording_does_not_modify_the_result(db, demo_result):
    before = (copy.deepcopy(demo_result.meta), demo_result.candidates.copy(), demo_result.findings.copy())
    record(db, demo_result)
    assert demo_result.meta == before[0]
    pd.testing.assert_frame_equal(demo_result.candidates, before[1])
    pd.testing.assert_frame_equal(demo_result.findings, before[2])


def test_clear_id_numbers_never_reach_the_database(db, demo_result):
    ids = demo_result.candidates["id_number"].dropna().tolist()
    leaky = make_result([person(0, 2, "张三", ID_A, "review", file=f"名册{ID_B}.xlsx")],
                        [finding(0, "X1", "review", f"身份证号{ID_A}与档案{ID_B}不符")])
    record(db, demo_result, {"rosters": [f"/data/{ID_C}.xlsx"]})
    record(db, leaky, {"rosters": [f"/data/名册{ID_B}.xlsx"]})
    raw = b"".join(p.read_bytes() for p in db.parent.iterdir())
    for clear in [*ids, ID_A, ID_B, ID_C]:
        assert clear.encode() not in raw, clear
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT name, id_hmac FROM candidates WHERE run_id = 1").fetchall())
        masked = conn.execute("SELECT id_masked, reason FROM candidates JOIN all_findings USING (run_id, row_id) "
                              "WHERE run_id = 2").fetchone()
    first = demo_result.candidates.iloc[0]
    assert stored[first["name"]] == id_digest(first["id_number"], stored_key(db))
    assert masked == ("510525********123X", "身份证号510525********123X与档案510525********4321不符")


def test_sha256_like_text_is_not_mistaken_for_an_id(db):
    digest = "a" + "1" * 17 + "b" * 46
    result = make_result([person(0, 2, "张三", ID_A, "review")], [finding(0, "X1", "review", f"号码{ID_B}。")])
    result.meta["ruleset"]["sha256"] = digest
    result.meta["inputs"][0]["sha256"] = digest
    record(db, result)
    with sqlite3.connect(db) as conn:
        ruleset_sha256, inputs, meta = conn.execute("SELECT ruleset_sha256, inputs, meta FROM runs").fetchone()
        reason = conn.execute("SELECT reason FROM all_findings").fetchone()[0]
    assert ruleset_sha256 == digest and json.loads(inputs)[0]["sha256"] == digest
    assert json.loads(meta)["ruleset"]["sha256"] == digest and json.loads(meta)["inputs"][0]["sha256"] == digest
    assert reason == "号码510525********4321。"
    with open_history(db) as store:
        assert f"规则集SHA256：{digest}" in run_text(store.run(1))


# --------------------------------------------------------------------------- list / resolve / show


def test_runs_are_listed_newest_first_with_limit(db, demo_result):
    small = make_result([person(0, 2, "张三", ID_A, "pass")], [])
    for result in (demo_result, small, small):
        record(db, result)
    with open_history(db) as store:
        assert [r.id for r in store.runs()] == [3, 2, 1]
        assert [r.id for r in store.runs(limit=2)] == [3, 2]
        assert store.count() == 3
        assert store.runs()[-1].candidate_count == 27 and store.runs()[0].candidate_count == 1
    text = runs_text(open_history(db).runs(2), db, total=3)
    assert text.index("#3") < text.index("#2") and "#1 " not in text and "共 3 条" in text


@pytest.mark.parametrize("ref,expected", [("1", 1), ("#2", 2), ("latest", 3), ("latest~1", 2),
                                          (" LATEST~2 ", 1), (3, 3)])
def test_run_references(db, ref, expected):
    for _ in range(3):
        record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    with open_history(db) as store:
        assert store.resolve(ref) == expected


@pytest.mark.parametrize("ref,fragment", [("latest~3", "现有 3 条，编号 1–3"), ("9", "没有编号为 9"),
                                          ("abc", "无法识别"), ("latest~-1", "无法识别")])
def test_bad_run_references_are_chinese_errors(db, ref, fragment):
    for _ in range(3):
        record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []))
    with open_history(db) as store, pytest.raises(HistoryError) as err:
        store.resolve(ref)
    assert fragment in err.value.message


def test_show_returns_every_candidate_and_finding_worst_first(db, demo_result):
    record(db, demo_result)
    with open_history(db) as store:
        detail = store.run(store.resolve("latest"))
    assert [c.name for c in detail.candidates] == demo_result.candidates["name"].tolist()
    assert [c.source_row for c in detail.candidates] == demo_result.candidates["source_row"].tolist()
    assert [c.verdict for c in detail.candidates] == demo_result.candidates["verdict"].tolist()
    expected = {(int(r.row_id), r.rule, r.reason) for r in demo_result.findings.itertuples()}
    assert {(c.row_id, f.rule, f.reason) for c in detail.candidates for f in c.findings} == expected
    rank = {"disqualify": 0, "unsuitable": 1, "review": 2, "pending": 3, "notice": 4}
    for c in detail.candidates:
        assert [rank[f.severity] for f in c.findings] == sorted(rank[f.severity] for f in c.findings)
    text = run_text(detail)
    for fragment in ("审查记录 #1", "规则集SHA256：" + demo_result.meta["ruleset"]["sha256"], "审查基准日：2026-12-15",
                     "demo_roster.xlsx 第11行", "黄婷", "510525********0803", "取消资格", "[D01]", "证据：", "依据："):
        assert fragment in text
    digest = id_digest("510525198604250803", stored_key(db))
    assert "510525198604250803" not in text and digest not in text
    assert f"HMAC-SHA256：{digest}" in run_text(detail, show_digest=True)


def test_recording_in_small_chunks_keeps_every_row_in_order(db, demo_result, monkeypatch):
    monkeypatch.setattr(rows, "CHUNK_ROWS", 4)
    record(db, demo_result)
    monkeypatch.setattr(rows, "CHUNK_ROWS", 50_000)
    record(db, demo_result)
    with open_history(db) as store:
        chunked, whole = store.run(1), store.run(2)
    assert len(chunked.candidates) == 27 and chunked.candidates == whole.candidates
    assert sum(len(c.findings) for c in chunked.candidates) == 19


def test_options_are_shown_with_chinese_labels(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass")], []),
           {"rosters": ["a.xlsx", "b.csv"], "as_of": "2026-12-15", "show_id": False, "sheet": None,
            "map": {"身份证": "id_number"}, "findings": [["公安", "回复/公安.xlsx"]]})
    with open_history(db) as store:
        text = run_text(store.run(1))
    assert ("运行参数：花名册=a.xlsx、b.csv；审查基准日=2026-12-15；补充列映射=身份证=id_number；"
            "联审回复文件=公安=回复/公安.xlsx") in text
    assert "显示完整身份证号" not in text and "工作表" not in text


def test_show_refuses_an_incomplete_run(db):
    record(db, make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "李四", ID_B, "pass")], []))
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM candidates WHERE row_id = 1")
    with open_history(db) as store, pytest.raises(HistoryError, match="不完整"):
        store.run(1)


# --------------------------------------------------------------------------- interrupted recording


@pytest.mark.parametrize("failure", [RuntimeError("磁盘故障"), KeyboardInterrupt()])
def test_failure_midway_leaves_no_half_recorded_run(db, demo_result, monkeypatch, failure):
    record(db, demo_result)
    real = rows.finding_parts

    def failing(*args):
        for part in real(*args):
            yield part          # the first slice is written, then the failure comes
            raise failure

    monkeypatch.setattr(rows, "finding_parts", failing)
    with pytest.raises(type(failure)):
        record(db, demo_result)
    assert (table_count(db, "runs"), table_count(db, "candidates"), table_count(db, "all_findings")) == (1, 27, 19)
    monkeypatch.setattr(rows, "finding_parts", real)
    assert record(db, demo_result) == 2
    with open_history(db) as store:
        assert len(store.run(2).candidates) == 27


def test_process_killed_midway_leaves_no_half_recorded_run(db, demo_result):
    record(db, demo_result)
    script = textwrap.dedent(f"""
        import datetime as dt, os
        from vetting import history
        from vetting.history import rows
        from vetting.pipeline import vet_files
        from vetting.ruleset.loader import load_ruleset
        result = vet_files([{DEMO_XLSX!r}], load_ruleset("national"), dt.date(2026, 12, 15))
        real = rows.finding_parts
        def dying(*args):
            for part in real(*args):
                yield part
                os._exit(9)      # no cleanup, no rollback: like a power cut
        rows.finding_parts = dying
        with history.open_history({str(db)!r}, create=True) as store:
            store.record(result, "2026-11-02T10:00:00", "2026-11-02T10:00:01", {{}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    with open_history(db) as store:
        assert [r.id for r in store.runs()] == [1]
        assert len(store.run(1).candidates) == 27
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (table_count(db, "candidates"), table_count(db, "all_findings")) == (27, 19)


# --------------------------------------------------------------------------- opening and paths


def test_reading_a_missing_database_is_an_error_and_creates_nothing(tmp_path):
    path = tmp_path / "none" / "history.sqlite3"
    with pytest.raises(HistoryError, match="不存在"):
        open_history(path)
    assert not path.parent.exists()


@pytest.mark.parametrize("setup,fragment", [
    (lambda p: p.write_bytes(b"not a database at all" * 100), "不是 SQLite 数据库"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE other (x)").connection.commit(), "不是 vetting 的审查记录数据库"),
    (lambda p: sqlite3.connect(p).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"), "更新版本"),
])
def test_unusable_database_files_are_refused(tmp_path, setup, fragment):
    path = tmp_path / "h.sqlite3"
    setup(path)
    with pytest.raises(HistoryError) as err:
        open_history(path, create=True)
    assert fragment in err.value.message


def test_unwritable_location_is_a_history_error(tmp_path, demo_result):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="无法创建审查记录目录"):
        record(blocker / "history.sqlite3", demo_result)


def test_database_path_precedence(tmp_path):
    env = {ENV_VAR: str(tmp_path / "env.sqlite3")}
    assert resolve_db_path(str(tmp_path / "given.sqlite3"), env) == tmp_path / "given.sqlite3"
    assert resolve_db_path(None, env) == tmp_path / "env.sqlite3"
    default = resolve_db_path(None, {})
    assert default.name == "history.sqlite3" and default.parent.name.lower() == "vetting"
    assert default_db_path(tmp_path) == tmp_path / "history.sqlite3"


# --------------------------------------------------------------------------- compare


def compared(db, old, new):
    record(db, old)
    record(db, new)
    with open_history(db) as store:
        return compare_runs(store.run(1), store.run(2))


def test_compare_lists_changed_verdicts_with_the_rules_that_explain_them(db):
    old = make_result([
        person(0, 2, "甲", ID_A, "pass"),
        person(1, 3, "乙", ID_B, "disqualified"),
        person(2, 4, "丙", ID_C, "review"),
        person(3, 5, "丁", None, "pending"),
        person(4, 6, "戊", "110101199003070011", "pass"),
        person(5, 7, "己", "110101199003070038", "review"),
    ], [
        finding(1, "D01", "disqualify", "影响期至2027-04-08届满"),
        finding(2, "V04", "review", "必填项「拟任职务」为空"),
        finding(3, "P01", "pending", "部门尚未反馈"),
        finding(5, "V02", "review", "出生日期不一致"),
    ])
    new = make_result([
        person(0, 9, "甲", ID_A, "disqualified"),          # moved rows: still matched by ID
        person(1, 3, "乙", ID_B, "review"),
        person(2, 4, "丙", ID_C, "pass"),
        person(3, 5, "丁", None, "pass"),                  # no ID: matched by file + row + name
        person(4, 6, "戊", "110101199003070011", "pass"),
        person(5, 7, "己", "110101199003070038", "review"),
        person(6, 8, "庚", "110101199003070054", "pass"),
    ], [
        finding(0, "C01", "disqualify", "受过刑事处罚"),
        finding(1, "D01", "review", "日期仅到月，需核实"),
        finding(5, "V03", "review", "性别不一致"),
    ])
    cmp = compared(db, old, new)
    by_name = {c.new.name: c for c in cmp.changes}
    assert sorted(by_name) == ["丁", "丙", "乙", "甲"]
    assert (by_name["甲"].old.verdict, by_name["甲"].new.verdict) == ("pass", "disqualified")
    assert [f.rule for f in by_name["甲"].appeared] == ["C01"] and by_name["甲"].matched_by == MATCH_BY_ID
    assert [f.rule for f in by_name["丙"].disappeared] == ["V04"] and not by_name["丙"].appeared
    assert [(c.rule, c.old[0].severity, c.new[0].severity) for c in by_name["乙"].changed] == \
        [("D01", "disqualify", "review")]
    assert by_name["丁"].matched_by == MATCH_BY_POSITION
    assert [c.name for c in cmp.only_new] == ["庚"] and cmp.only_old == []
    assert cmp.unchanged == 2 and cmp.findings_changed_same_verdict == 1
    assert cmp.matched_by == {MATCH_BY_ID: 5, MATCH_BY_POSITION: 1}

    text = comparison_text(cmp)
    for fragment in ("比较审查记录 #1 → #2", "结论有变化：4 人", "通过 → 取消资格", "新增：[C01] 取消资格",
                     "消失：[V04] 需复核", "原为：[D01] 取消资格", "现为：[D01] 需复核 测试规则：日期仅到月，需核实",
                     "（按身份证号匹配）", "（按文件+行号+姓名匹配）", "#1 名册.xlsx 第2行 → #2 名册.xlsx 第9行",
                     "仅在 #2 中：1 人", "庚", "结论未变 2 人，其中问题有变化 1 人", "510525********123X"):
        assert fragment in text, fragment
    assert ID_A not in text and "仅在 #1 中" not in text


def test_compare_never_pairs_two_different_ids_by_position(db):
    old = make_result([person(0, 2, "张三", ID_A, "pass")], [])
    new = make_result([person(0, 2, "张三", ID_B, "disqualified")], [finding(0, "C01", "disqualify", "x")])
    cmp = compared(db, old, new)
    assert cmp.changes == [] and [c.id_masked for c in cmp.only_old] == ["510525********123X"]
    assert [c.id_masked for c in cmp.only_new] == ["510525********4321"]
    text = comparison_text(cmp)
    assert "结论有变化：0 人" in text and "仅在 #1 中：1 人" in text and "仅在 #2 中：1 人" in text


def test_compare_pairs_repeated_ids_in_input_order(db):
    old = make_result([person(0, 2, "张三", ID_A, "pass"), person(1, 3, "张三", ID_A, "review")],
                      [finding(1, "V04", "review", "空")])
    new = make_result([person(0, 5, "张三", ID_A, "pass"), person(1, 6, "张三", ID_A, "pass")], [])
    cmp = compared(db, old, new)
    assert [(c.old.source_row, c.new.source_row) for c in cmp.changes] == [(3, 6)]
    assert cmp.unchanged == 1 and not cmp.only_old and not cmp.only_new


def test_compare_notes_different_setups(db):
    cmp = compared(db, make_result([person(0, 2, "甲", ID_A, "pass")], []),
                   make_result([person(0, 2, "甲", ID_A, "pass")], [], as_of="2027-01-01"))
    text = comparison_text(cmp)
    assert "审查基准日不同（2026-12-15 → 2027-01-01）" in text and "结论有变化：0 人" in text
    assert "规则集不同" not in text


# --------------------------------------------------------------------------- CLI


def run_vet(runner, *args):
    result = runner.invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def test_vet_run_records_and_history_lists_shows_compares(runner, tmp_path):
    db = tmp_path / "h.sqlite3"
    first = run_vet(runner, "run", DEMO_XLSX, *AS_OF, "-o", tmp_path / "a.json", "--db", db)
    assert first.exit_code == 0 and f"审查记录：#1（{db}）" in first.output
    second = run_vet(runner, "run", DEMO_CSV, "--as-of", "2030-12-15", "-o", tmp_path / "b.csv", "--db", db,
                     "--fail-on", "disqualified")
    assert second.exit_code == 1 and "审查记录：#2" in second.output      # recorded before --fail-on exits

    listed = run_vet(runner, "history", "--db", db)
    assert listed.exit_code == 0
    assert listed.stdout.index("#2") < listed.stdout.index("#1") and "基准日 2030-12-15" in listed.stdout

    shown = run_vet(runner, "history", "show", "latest~1", "--db", db)
    assert shown.exit_code == 0
    assert "审查记录 #1" in shown.stdout and "黄婷" in shown.stdout and "[D01]" in shown.stdout
    assert "报告文件=" in shown.stdout and "510525198604250803" not in shown.stdout
    assert shown.stdout.count(" —— ") == 27

    via_group = run_vet(runner, "history", "--db", db, "show", "1")
    assert via_group.exit_code == 0 and via_group.stdout == shown.stdout

    compare = run_vet(runner, "history", "compare", "1", "2", "--db", db)
    assert compare.exit_code == 0
    assert "黄婷" in compare.stdout and "取消资格 → 通过" in compare.stdout and "消失：[D01]" in compare.stdout
    assert "审查基准日不同（2026-12-15 → 2030-12-15）" in compare.stdout
    assert "两次均有：27 人（按身份证号匹配 27 人）" in compare.stdout


def test_vet_run_uses_environment_variable_and_no_history_skips(runner, tmp_path, monkeypatch):
    db = tmp_path / "env" / "h.sqlite3"
    monkeypatch.setenv(ENV_VAR, str(db))
    skipped = run_vet(runner, "run", DEMO_CSV, *AS_OF, "-o", tmp_path / "a.json", "--no-history")
    assert skipped.exit_code == 0 and not db.parent.exists() and "审查记录" not in skipped.output
    recorded = run_vet(runner, "run", DEMO_CSV, *AS_OF, "-o", tmp_path / "a.json")
    assert recorded.exit_code == 0 and db.is_file() and table_count(db, "runs") == 1
    assert run_vet(runner, "history").stdout.count("基准日 2026-12-15") == 1


def _fixed_clock(monkeypatch):
    class Fixed(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 11, 1, 9, 0, 0, tzinfo=tz)

    clock = types.SimpleNamespace(**{k: v for k, v in vars(dt).items() if not k.startswith("__")})
    clock.datetime = Fixed
    monkeypatch.setattr(vetting.cli, "dt", clock)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_recording_does_not_change_report_bytes(runner, tmp_path, monkeypatch, fmt):
    _fixed_clock(monkeypatch)
    plain, recorded = tmp_path / f"plain.{fmt}", tmp_path / f"recorded.{fmt}"
    assert run_vet(runner, "run", DEMO_XLSX, *AS_OF, "-o", plain, "--no-history").exit_code == 0
    assert run_vet(runner, "run", DEMO_XLSX, *AS_OF, "-o", recorded, "--db", tmp_path / "h.sqlite3").exit_code == 0
    assert table_count(tmp_path / "h.sqlite3", "runs") == 1
    if fmt == "xlsx":   # openpyxl stamps its own creation time into docProps/core.xml
        with zipfile.ZipFile(plain) as a, zipfile.ZipFile(recorded) as b:
            names = [n for n in a.namelist() if n != "docProps/core.xml"]
            assert names == [n for n in b.namelist() if n != "docProps/core.xml"]
            assert all(a.read(n) == b.read(n) for n in names)
    else:
        assert plain.read_bytes() == recorded.read_bytes()
    if fmt == "csv":
        assert (tmp_path / "plain.meta.csv").read_bytes() == (tmp_path / "recorded.meta.csv").read_bytes()


def test_unwritable_history_exits_two_and_keeps_the_report(runner, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = tmp_path / "out.json"
    result = run_vet(runner, "run", DEMO_CSV, *AS_OF, "-o", out, "--db", blocker / "h.sqlite3")
    assert result.exit_code == 2
    assert f"报告已写入 {out}，但审查记录未能保存" in result.output and "--no-history" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["candidate_count"] == 27
    to_stdout = run_vet(runner, "run", DEMO_CSV, *AS_OF, "--db", blocker / "h.sqlite3")
    assert to_stdout.exit_code == 2 and "报告已输出到标准输出" in to_stdout.output
    assert json.loads(to_stdout.stdout)["meta"]["candidate_count"] == 27


def test_history_command_errors_exit_two(runner, tmp_path):
    db = tmp_path / "h.sqlite3"
    empty = run_vet(runner, "history", "--db", db)
    assert empty.exit_code == 0 and "尚无审查记录" in empty.output and not db.exists()
    missing = run_vet(runner, "history", "show", "latest", "--db", db)
    assert missing.exit_code == 2 and "审查记录数据库不存在" in missing.output and not db.exists()
    run_vet(runner, "run", DEMO_CSV, *AS_OF, "-o", tmp_path / "a.json", "--db", db)
    unknown = run_vet(runner, "history", "compare", "1", "7", "--db", db)
    assert unknown.exit_code == 2 and "没有编号为 7 的审查记录" in unknown.output
