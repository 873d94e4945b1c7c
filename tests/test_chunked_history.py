"""A chunked `vet run` records in the history exactly what the whole-file run records (every
candidate, every finding with its reason, evidence and basis, IDs masked and keyed), slice by
slice through `ChunkedRun.on_chunk`, and shows its progress once per slice.

fixtures/chunked/roster.csv (see tests/test_chunked.py) has a duplicate ID and a village that span
the chunk boundaries of ``--chunk-rows 7``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3

import pytest

import vetting.cli.progress
from conftest import ROOT
from vetting.chunked import ChunkedRun, write_chunked
from vetting.cli import cli
from vetting.history import open_history, rows
from vetting.pipeline import ReadOptions, load_candidates
from vetting.ruleset.loader import load_ruleset

ROSTER = ROOT / "fixtures" / "chunked" / "roster.csv"
AS_OF = "2026-12-15"
#: The clear ID number of the fixture's row 4, repeated in row 28: never stored.
CLEAR_ID = "510525199002030357"
#: Lines of `vet history show` that differ between any two runs (times, the report's file name).
_OWN_LINES = ("开始时间：", "结束时间：", "运行参数：")


def _run(runner, db, out, *extra):  # noqa: ANN001, ANN202
    result = runner.invoke(cli, ["run", str(ROSTER), "--as-of", AS_OF, "-o", str(out), "--db", str(db), *extra])
    assert "Traceback" not in result.output
    return result


def _report_rows(path):  # noqa: ANN001, ANN202
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return len(list(csv.reader(handle))) - 1


def _table(conn, sql, run_id):  # noqa: ANN001, ANN202
    return conn.execute(sql, (run_id,)).fetchall()


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """One database holding run 1 (whole file) and run 2 (the same roster in chunks of 7)."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("both")
    db = folder / "h.sqlite3"
    runner = CliRunner()
    whole = _run(runner, db, folder / "whole.csv")
    chunked = _run(runner, db, folder / "chunked.csv", "--chunk-rows", "7")
    assert whole.exit_code == chunked.exit_code == 0, whole.output + chunked.output
    assert "审查记录：#1" in whole.stderr and "审查记录：#2" in chunked.stderr
    return db, runner


def test_chunked_run_records_the_same_rows_as_the_whole_run(both):
    db, _ = both
    with sqlite3.connect(db) as conn:
        candidates = "SELECT * FROM candidates WHERE run_id = ? ORDER BY row_id"
        refs = "SELECT row_id, seq, text_id FROM finding_refs WHERE run_id = ? ORDER BY row_id, seq"
        findings = "SELECT * FROM all_findings WHERE run_id = ? ORDER BY row_id, seq"
        for sql in (candidates, refs, findings):
            first = [row[1:] if sql != refs else row for row in _table(conn, sql, 1)]
            second = [row[1:] if sql != refs else row for row in _table(conn, sql, 2)]
            assert first == second and first, sql
        # the second run found every text the first one stored: not one more text
        texts = conn.execute("SELECT COUNT(*) FROM finding_texts").fetchone()[0]
        assert texts == conn.execute("SELECT COUNT(DISTINCT text_id) FROM finding_refs WHERE run_id = 1").fetchone()[0]
        runs = conn.execute("SELECT candidate_count, finding_count, verdict_counts, meta FROM runs ORDER BY id").fetchall()
        assert runs[0][:3] == runs[1][:3] and runs[0][:2] == (29, 24)
        metas = [{k: v for k, v in json.loads(r[3]).items() if k != "generated_at"} for r in runs]
        assert metas[0] == metas[1]
        # findings in full: reasons, evidence, basis, the rules not checked
        full = _table(conn, findings, 2)
        assert all(r[6] and r[8] for r in full) and any("同一公民身份号码还出现在" in r[6] for r in full)
        assert any(c[-1] for c in _table(conn, candidates, 2))
    assert CLEAR_ID.encode() not in db.read_bytes()


def test_history_show_and_compare_of_the_chunked_run_are_the_whole_runs(both):
    db, runner = both
    shown = [runner.invoke(cli, ["history", "show", ref, "--db", str(db), "--limit", "100"]).stdout for ref in "12"]
    kept = [[line for line in s.splitlines() if not line.startswith(_OWN_LINES) and "审查记录 #" not in line]
            for s in shown]
    assert kept[0] == kept[1]
    assert shown[1].count(" —— ") == 29 and "同一公民身份号码还出现在" in shown[1] and CLEAR_ID not in shown[1]
    compare = runner.invoke(cli, ["history", "compare", "1", "2", "--db", str(db)]).stdout
    assert "结论有变化：0 人" in compare and "两次均有：29 人（按身份证号匹配 29 人）；结论未变 29 人" in compare


def test_progress_hears_each_chunk_once_it_is_written(tmp_path):
    rules = load_ruleset("national")
    candidates = load_candidates([str(ROSTER)], rules, ReadOptions())
    heard = []
    run = ChunkedRun(rules, candidates, dt.date(2026, 12, 15), 7,
                     on_chunk=lambda chunk, done, total: heard.append((len(chunk.candidates), done, total,
                                                                        (tmp_path / "r.csv").exists())))
    write_chunked(run, str(tmp_path / "r.csv"), "csv")
    assert [h[:3] for h in heard] == [(7, 7, 29), (7, 14, 29), (7, 21, 29), (7, 28, 29), (1, 29, 29)]
    assert not any(h[3] for h in heard)     # heard while the report is still being written


def test_the_terminal_shows_the_chunks_written(runner, tmp_path, monkeypatch):
    calls = []
    real = vetting.cli.progress.ProgressLine.__call__

    def spy(self, phase, done, total):  # noqa: ANN001, ANN202
        calls.append((phase, done, total))
        return real(self, phase, done, total)

    monkeypatch.setattr(vetting.cli.progress.ProgressLine, "__call__", spy)
    assert _run(runner, tmp_path / "h.sqlite3", tmp_path / "r.csv", "--chunk-rows", "10").exit_code == 0
    assert ("审查", 0, 29) in calls
    assert [c for c in calls if c[0] == "写出报告"] == [("写出报告", 10, 29), ("写出报告", 20, 29), ("写出报告", 29, 29)]


def test_a_history_that_cannot_be_opened_keeps_the_chunked_report(runner, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = tmp_path / "r.csv"
    result = _run(runner, blocker / "h.sqlite3", out, "--chunk-rows", "7")
    assert result.exit_code == 2
    assert f"报告已写入 {out}，但审查记录未能保存" in result.output and "无法创建审查记录目录" in result.output
    assert _report_rows(out) == 29


def test_a_failure_while_recording_a_chunk_records_nothing_and_keeps_the_report(runner, tmp_path, monkeypatch):
    real, calls = rows.finding_parts, []

    def failing(*args):  # noqa: ANN002, ANN202
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(rows, "finding_parts", failing)
    db, out = tmp_path / "h.sqlite3", tmp_path / "r.csv"
    result = _run(runner, db, out, "--chunk-rows", "7")
    assert result.exit_code == 2 and "但审查记录未能保存" in result.output
    assert len(calls) == 3      # the recording stopped at the failure; the report went on
    assert _report_rows(out) == 29
    with open_history(db) as store:
        assert store.count() == 0
        assert store.connection.execute("SELECT COUNT(*) FROM finding_refs").fetchone()[0] == 0


def test_a_run_recorded_in_slices_holds_no_lock_and_equals_the_whole_record(tmp_path):
    """Slices wait outside the database: another run records meanwhile (no write lock is held),
    and the sliced run then commits the very rows `record` gives the whole run."""
    from vetting.pipeline import run_engine
    from vetting.result import VettingResult

    rules = load_ruleset("national")
    whole = run_engine(rules, load_candidates([str(ROSTER)], rules, ReadOptions()), dt.date(2026, 12, 15))
    db = tmp_path / "h.sqlite3"
    with open_history(db, create=True) as store:
        recorder = store.recorder()
        for low, high in ((0, 12), (12, 29)):
            part = [f[(f["row_id"] >= low) & (f["row_id"] < high)] for f in (whole.candidates, whole.findings,
                                                                              whole.unchecked)]
            recorder.add_chunk(VettingResult(part[0], part[1], unchecked=part[2]))
            with open_history(db) as other:     # another process records while this run is under way
                other.connection.execute("PRAGMA busy_timeout = 100")
                other.record(whole, "2026-11-01T09:00:00", "2026-11-01T09:00:01")
        assert recorder.finish(whole, "2026-11-01T09:00:00", "2026-11-01T09:00:01") == 3
    with sqlite3.connect(db) as conn:
        findings = ("SELECT run_id, row_id, seq, rule, reason, evidence, basis FROM all_findings WHERE run_id = ? "
                    "ORDER BY row_id, seq")
        candidates = "SELECT * FROM candidates WHERE run_id = ? ORDER BY row_id"
        for sql in (findings, candidates):
            assert _table(conn, sql, 1) and [r[1:] for r in _table(conn, sql, 3)] == [r[1:] for r in _table(conn, sql, 1)]
