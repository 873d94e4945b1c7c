"""Chunked runs (vetting.chunked) write byte for byte the reports of a whole-file run.

fixtures/chunked/roster.csv is the demo roster plus two rows at its end: row 28 repeats the ID
number of row 4 in 平丰村 (the first village), so with small chunks a duplicate ID and a village
both span chunk boundaries; row 29 repeats row 11's ID with a control character in the name (the
CSV report's "replaced characters" warning counts texts over every chunk).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from vetting import chunked
from vetting.chunked import ChunkedRun, chunk_bounds, should_chunk, write_chunked
from vetting.pipeline import ReadOptions, load_candidates, run_engine
from vetting.reports import write_report

ROSTER = ROOT / "fixtures" / "chunked" / "roster.csv"
JOINT = ROOT / "fixtures" / "joint"
AS_OF = dt.date(2026, 12, 15)
STAMP = "2026-12-15T09:00:00+08:00"


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _both(tmp_path, ruleset, roster, as_of, fmt, chunk_rows, options=None, show_id=False):
    """(whole-run files, chunked files) of the same run, each in its own folder."""
    candidates = load_candidates([str(roster)], ruleset, options or ReadOptions())
    whole, chunked = tmp_path / "whole", tmp_path / "chunked"
    whole.mkdir()
    chunked.mkdir()
    write_report(run_engine(ruleset, candidates, as_of, "vector", STAMP), whole / f"r.{fmt}", fmt, show_id=show_id)
    run = ChunkedRun(ruleset, candidates, as_of, chunk_rows, STAMP)
    write_chunked(run, str(chunked / f"r.{fmt}"), fmt, show_id=show_id)
    return _files(whole), _files(chunked), run


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("chunk_rows", [7, pytest.param(1, marks=pytest.mark.slow)])
def test_chunked_report_is_the_whole_run_report(tmp_path, national, fmt, chunk_rows):
    whole, chunked, _ = _both(tmp_path, national, ROSTER, AS_OF, fmt, chunk_rows)
    assert list(chunked) == list(whole)
    for name in whole:
        assert chunked[name] == whole[name], name
    # the reasons in full are in the CSV report's findings sidecar
    report = whole["r.findings.csv" if fmt == "csv" else f"r.{fmt}"].decode("utf-8-sig")
    # The fixture does what it claims: the duplicate spans chunks and is found from both ends.
    assert report.count("同一公民身份号码还出现在") == 4
    if fmt == "csv":
        assert "控制字符" in whole["r.meta.csv"].decode("utf-8-sig")
        assert "r.villages.csv" in whole


def test_chunked_with_ids_shown(tmp_path, national):
    whole, chunked, _ = _both(tmp_path, national, ROSTER, AS_OF, "csv", 5, show_id=True)
    assert chunked == whole
    assert "510525199002030357" in whole["r.csv"].decode("utf-8-sig")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_chunked_with_agency_records(tmp_path, national, fmt):
    """A reply file gives some candidates records of their own (rows beyond the roster's): each
    chunk weighs exactly the records of its candidates."""
    options = ReadOptions(replies=(("公安", str(JOINT / "replies" / "police.csv")),))
    whole, chunked, _ = _both(tmp_path, national, JOINT / "opinions_roster.csv", dt.date(2027, 4, 15), fmt, 3,
                              options)
    assert chunked == whole


def test_chunked_result_counts_like_the_whole_run(tmp_path, national):
    candidates = load_candidates([str(ROSTER)], national, ReadOptions())
    whole = run_engine(national, candidates, AS_OF, "vector", STAMP)
    chunks = []
    run = ChunkedRun(national, candidates, AS_OF, 4, STAMP, on_chunk=lambda chunk, done, total: chunks.append(chunk))
    write_chunked(run, str(tmp_path / "r.csv"), "csv")
    result = run.result()
    assert result.meta == whole.meta
    assert [v for c in chunks for v in c.candidates["verdict"]] == whole.candidates["verdict"].tolist()
    kept = [tuple(f) for c in chunks for f in c.findings[["row_id", "rule", "severity"]].to_numpy().tolist()]
    whole_kept = [tuple(f) for f in whole.findings[["row_id", "rule", "severity"]].to_numpy().tolist()]
    # each candidate's findings in the same order (the history numbers them so)
    assert sorted(kept, key=lambda f: f[0]) == sorted(whole_kept, key=lambda f: f[0])


def test_when_a_run_is_chunked():
    assert should_chunk(300_000, None, "csv", "r.csv", "vector")
    assert should_chunk(100_000, None, "csv", "r.csv", "vector")
    assert not should_chunk(40_000, None, "csv", "r.csv", "vector")
    assert should_chunk(29, 7, "json", "r.json", "vector")
    assert not should_chunk(29, 7, "xlsx", "r.xlsx", "vector")
    assert not should_chunk(29, 7, "csv", None, "vector")
    assert not should_chunk(29, 7, "csv", "r.csv", "durable")


def test_cli_chunk_rows_gives_the_same_report(tmp_path):
    from click.testing import CliRunner

    from vetting.cli import cli

    outputs = {}
    for name, extra in (("whole", []), ("chunked", ["--chunk-rows", "7"])):
        out = tmp_path / name
        out.mkdir()
        result = CliRunner().invoke(cli, ["run", str(ROSTER), "--as-of", "2026-12-15", "-o", str(out / "r.csv"),
                                          "--no-history", *extra])
        assert result.exit_code == 0, result.output
        outputs[name] = _files(out)
    whole, chunked = outputs["whole"], outputs["chunked"]
    assert whole["r.csv"] == chunked["r.csv"] and whole["r.villages.csv"] == chunked["r.villages.csv"]
    drop = "生成时间"
    assert [x for x in whole["r.meta.csv"].decode("utf-8-sig").splitlines() if drop not in x] == \
        [x for x in chunked["r.meta.csv"].decode("utf-8-sig").splitlines() if drop not in x]


PENDING = ROOT / "fixtures" / "compact" / "pending_roster.csv"


def test_chunks_hold_about_the_findings_aimed_at(tmp_path, national, monkeypatch):
    """Without `chunk_rows`, a chunk holds about FINDINGS_PER_CHUNK findings on a roster before the
    agencies reply: the plan's expected count bounds each candidate's findings and is close to
    them (a rule waiting on a silent agency is named in its J01, not counted as a finding of its
    own: counted, the chunks held a third of the aim). The report is the whole run's."""
    monkeypatch.setattr(chunked, "FINDINGS_PER_CHUNK", 200)
    monkeypatch.setattr(chunked, "MIN_CHUNK_ROWS", 1)
    whole, parts, run = _both(tmp_path, national, PENDING, AS_OF, "csv", None)
    assert parts == whole
    decided = run._plan
    expected = decided.expected_findings()
    held = []
    for lo, hi in chunk_bounds(decided):
        findings, _ = decided.findings(lo, hi)
        per_candidate = np.bincount(findings["row_id"].to_numpy(dtype=np.int64) - lo, minlength=hi - lo)
        assert (per_candidate <= expected[lo:hi]).all()
        held.append(len(findings))
    assert len(held) > 5
    assert max(held) <= 200 and min(held[:-1]) >= 150, held


@settings(max_examples=200, deadline=None)
@given(per_candidate=st.lists(st.integers(0, 40), max_size=300), aim=st.integers(1, 120),
       fewest=st.integers(1, 10), most=st.integers(10, 60))
def test_chunk_bounds_cover_every_candidate_once(per_candidate, aim, fewest, most):
    """Chunks follow each other from the first candidate to the last; each is as long as the aim
    allows (its findings within it, one more candidate over it), within the fewest and most rows."""
    decided = SimpleNamespace(candidates=per_candidate, expected_findings=lambda: np.array(per_candidate, dtype=np.int64))
    with patch.multiple(chunked, FINDINGS_PER_CHUNK=aim, MIN_CHUNK_ROWS=fewest, DEFAULT_CHUNK_ROWS=most):
        bounds = list(chunk_bounds(decided))
    n = len(per_candidate)
    if not n:
        assert bounds == [(0, 0)]
        return
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    for lo, hi in bounds:
        rows, held = hi - lo, sum(per_candidate[lo:hi])
        assert rows <= most and (rows >= fewest or hi == n)
        assert held <= aim or rows <= fewest
        if hi < n and rows < most:
            assert held + per_candidate[hi] > aim


def test_workers_share_the_findings_a_chunk_aims_at():
    """Up to two worker processes each aim at FINDINGS_PER_CHUNK; more share CHUNKED_FINDINGS; a
    JSON chunk, heavier for the same findings, aims at fewer."""
    assert chunked.findings_aim(1) == chunked.findings_aim(2) == chunked.FINDINGS_PER_CHUNK
    assert chunked.findings_aim(4) == chunked.CHUNKED_FINDINGS // 4 < chunked.FINDINGS_PER_CHUNK
    assert chunked.findings_aim(2, "json") == chunked.JSON_FINDINGS_PER_CHUNK < chunked.findings_aim(2, "csv")
    assert all(chunked.findings_aim(jobs) * jobs <= max(chunked.CHUNKED_FINDINGS, chunked.FINDINGS_PER_CHUNK)
               for jobs in range(1, 64))
