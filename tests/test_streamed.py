"""Rosters read slice by slice (vetting.inputs.stream, vetting.streamed) give what a whole read gives.

The reader: every CSV fixture, and generated CSV text (quoted line breaks, blank and numbered
template rows, footer lines, CR line ends), read in slices of a few records, gives the cells,
line numbers, blank rows, fingerprint and notes of `read_tables`; a file read_tables refuses is
refused with the same message. The run: the reports of a run read slice by slice are byte for
byte those of a run that reads its files whole, with a duplicate ID and a village split across
slices and across two files.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import multiprocessing
import os
import stat
import struct
import tempfile
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from vetting import streamed
from vetting.cli import cli
from vetting.engine.slate import ID_KEY, REPEATED, VILLAGE_CODE
from vetting.errors import InputError
from vetting.fields import alias_index, header_key
from vetting.inputs import bodyparse, read_tables
from vetting.inputs import stream as stream_module
from vetting.inputs.stream import RosterStream, streamable
from vetting.joint import chase
from vetting.normalize.roster import Candidates
from vetting.parallel import auto_jobs
from vetting.pipeline import ReadOptions, load_candidates, run_engine
from vetting.reports import stream, write_report
from vetting.reports.stream import chunk_writer, write_chunks
from vetting.ruleset.loader import load_ruleset
from vetting.slicework import INDEX_COLUMNS, slice_read
from vetting.streamed import (
    LARGE_ROSTER_BYTES,
    MIN_STREAM_ROWS,
    PARALLEL_THRESHOLD_BYTES,
    SLICED_ROWS,
    STREAM_ROWS,
    STREAM_THRESHOLD_BYTES,
    StreamedRun,
    can_stream,
    index_fields,
    slice_rows,
    stream_jobs,
    stream_threshold,
    vet_streamed,
)

FIXTURES = ROOT / "fixtures"
ROSTER = FIXTURES / "chunked" / "roster.csv"
PENDING = FIXTURES / "compact" / "pending_roster.csv"
AS_OF = dt.date(2026, 12, 15)
STAMP = "2026-12-15T09:00:00+08:00"
CSV_FIXTURES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".csv", ".txt", ".tsv") and streamable(p))


def _whole_and_slices(path: Path, fields, rows: int):
    """(read_tables' table or its refusal, the slices' tables stacked or their refusal)."""
    try:
        whole = read_tables(path, fields)[0]
    except InputError as exc:
        whole = exc.message
    try:
        stream = RosterStream.open(path, fields, rows)
        parts = list(stream.tables())
    except InputError as exc:
        return whole, exc.message
    return whole, (stream, parts)


def _assert_same_table(whole, sliced) -> None:
    if isinstance(whole, str) or isinstance(sliced, str):
        assert sliced == whole
        return
    stream, parts = sliced
    assert all(len(p.frame) for p in parts)
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(frame, whole.frame)
    assert np.array_equal(np.concatenate([p.source_rows for p in parts]), whole.source_rows)
    assert np.array_equal(np.concatenate([p.skipped for p in parts]), whole.skipped)
    assert {p.sha256 for p in parts} == {whole.sha256}
    assert stream.summary["notes"] == whole.notes
    assert stream.summary["footer_rows_skipped"] == whole.footer_rows


@pytest.mark.parametrize("path", CSV_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_csv_fixture_reads_the_same_in_slices(national, path):
    _assert_same_table(*_whole_and_slices(path, national.fields, 3))


def test_the_fixtures_cover_what_slices_must_get_right():
    """Footer lines, blank rows, a header below a title, CR line ends, GBK, and a refusal."""
    names = {p.name for p in CSV_FIXTURES}
    assert {"office_utf8.csv", "cr_line_ends.csv", "office_gbk.csv", "unclosed_quote.csv"} <= names


_CELL = st.one_of(st.sampled_from(["", " ", "张三", "太平镇", "1985.03", "无", "是", "否", "待查", "注：以下空白"]),
                  st.text(alphabet="甲乙丙,\"\n\r 12", max_size=6))
_FOOTERS = ["填表人：王五", "注：1.本表一式三份", "审核人：赵六"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=1, max_size=12),
       blanks=st.lists(st.integers(0, 11), max_size=4), footers=st.integers(0, 3),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), rows=st.integers(1, 5),
       headings=st.lists(st.integers(0, 11), max_size=2))
def test_generated_csv_reads_the_same_in_slices(tmp_path_factory, national, body, blanks, footers, newline, rows,
                                                headings):
    lines = [["序号", "村(社区)", "姓名", "公民身份号码"]]
    for i, cells in enumerate(body):
        lines += [lines[0]] * headings.count(i)             # rosters pasted one under another
        lines.append([str(i + 1), *cells[1:]] if i not in blanks else [str(i + 1), "", "", ""])
    lines += [[text, "", "", ""] for text in _FOOTERS[:footers]]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=newline).writerows(lines)
    path = tmp_path_factory.mktemp("gen") / "r.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    _assert_same_table(*_whole_and_slices(path, national.fields, rows))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _both(tmp_path, ruleset, rosters, fmt, rows, jobs=1):
    """(files of a whole run, files of the run read in slices of `rows` by `jobs` processes, the run)."""
    whole, sliced = tmp_path / "whole", tmp_path / "sliced"
    whole.mkdir()
    sliced.mkdir()
    candidates = load_candidates([str(r) for r in rosters], ruleset, ReadOptions())
    write_report(run_engine(ruleset, candidates, AS_OF, "vector", STAMP), whole / f"r.{fmt}", fmt)
    run = StreamedRun(ruleset, [str(r) for r in rosters], AS_OF, ReadOptions(), rows, STAMP, jobs=jobs)
    run.index()
    write_chunks(run.chunks(), run.shell, str(sliced / f"r.{fmt}"), fmt)
    return _files(whole), _files(sliced), run


@pytest.mark.parametrize("fmt,rows", [("csv", 10), ("json", 10), pytest.param("csv", 1, marks=pytest.mark.slow)])
def test_a_run_read_in_slices_writes_the_whole_run_report(tmp_path, national, fmt, rows):
    whole, sliced, run = _both(tmp_path, national, [ROSTER], fmt, rows)
    assert list(sliced) == list(whole)
    for name in whole:
        assert sliced[name] == whole[name], name
    report = whole["r.findings.csv" if fmt == "csv" else "r.json"].decode("utf-8-sig")
    assert report.count("同一公民身份号码还出现在") == 4   # the duplicates span slices
    index = run._shell.frame                # the index keeps only what group rules read, compactly
    assert set(index.columns) <= (set(INDEX_COLUMNS) - {"id_number", "id_status"}) | {ID_KEY, VILLAGE_CODE, REPEATED}
    assert index[ID_KEY].dtype == "Int64" and index[VILLAGE_CODE].dtype == np.int32


def test_two_rosters_in_slices_with_a_duplicate_across_files(tmp_path, national):
    lines = ROSTER.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    first.write_text("".join(lines[:15]), encoding="utf-8-sig")
    second.write_text(lines[0] + "".join(lines[15:]), encoding="utf-8-sig")
    whole, sliced, run = _both(tmp_path, national, [first, second], "csv", 10)
    for name in whole:
        assert sliced[name] == whole[name], name
    assert [i["file"] for i in run.inputs] == ["甲.csv", "乙.csv"]
    assert "甲.csv 第4行" in whole["r.findings.csv"].decode("utf-8-sig")


@pytest.mark.parametrize("without,fmt", [("乙.csv", "csv"), ("甲.csv", "json")])
def test_rosters_in_slices_where_one_file_lacks_a_column_the_index_reads(tmp_path, national, without, fmt):
    """A file without a column another file has (民族, read by the first pass for the counts per
    village): its people's cells are missing, as a whole read leaves them; the run neither fails
    nor reports otherwise, and names every file's columns it did not read (序号), not the first's."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    for path, part in ((first, frame.iloc[:100]), (second, frame.iloc[100:])):
        (part.drop(columns=["民族"]) if path.name == without else part).to_csv(path, index=False, encoding="utf-8-sig")
    whole, sliced, run = _both(tmp_path, national, [first, second], fmt, 30)
    for name in whole:
        assert sliced[name] == whole[name], name
    assert run._shell.frame["ethnicity"].isna().sum() == (100 if without == "甲.csv" else 140)
    assert run.result().meta["unmapped_columns"] == ["甲.csv: 序号", "乙.csv: 序号"]


@pytest.mark.parametrize("without,dropped,fmt", [
    ("甲.csv", ["政法委意见"], "json"), ("乙.csv", ["政法委意见"], "csv"),
    ("甲.csv", ["最近一次考核", "前一次考核"], "csv"), ("乙.csv", ["最近一次考核", "前一次考核"], "json")])
def test_files_asking_different_things_read_the_same_in_slices(tmp_path, national, without, dropped, fmt):
    """Two files, one without an agency's opinion column (or without the assessment columns):
    what the run covers, and for whom, does not depend on which file is read first or on the
    slicing (the run read in slices took coverage and the consulted agencies from its first
    slice; a whole read made the people of the file without the column owe 政法委 an answer)."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    for path, part in ((first, frame.iloc[:120]), (second, frame.iloc[120:])):
        (part.drop(columns=dropped) if path.name == without else part).to_csv(path, index=False, encoding="utf-8-sig")
    whole, sliced, run = _both(tmp_path, national, [first, second], fmt, 50)
    for name in whole:
        assert sliced[name] == whole[name], name
    meta = run.result().meta
    assert "政法委" in meta["consulted_agencies"]
    if dropped == ["政法委意见"]:
        assert not any(e.get("files") for e in meta["coverage"]["not_covered"])
    else:
        s06 = next(e for e in meta["coverage"]["not_covered"] if e["rule"] == "S06")
        assert s06["files"] == [without] and s06["candidates"] == 120


def _police_columns_in_two_orders(frame):
    """Both files with 公安机关意见 and 派出所意见 (blank for every third person), in opposite orders."""
    frame = frame.assign(派出所意见=frame["公安机关意见"].where(frame.index % 3 != 0, ""))
    columns = list(frame.columns[:-1])
    at = columns.index("公安机关意见")
    swapped = columns[:at] + ["派出所意见"] + columns[at:]
    return frame.iloc[:120][[*columns, "派出所意见"]], frame.iloc[120:][swapped]


#: Two files of one run that differ: (what differs, the first file's part, the second's).
_LAYOUTS = {
    "a fact column one file lacks": lambda f: (f.iloc[:120].drop(columns=["政治面貌"]), f.iloc[120:]),
    "one agency's two columns in each file's own order": _police_columns_in_two_orders,
    "a field's column named differently": lambda f: (f.iloc[:120],
                                                     f.iloc[120:].rename(columns={"最近一次考核": "年度考核"})),
    "a required column one file lacks": lambda f: (f.iloc[:120].drop(columns=["拟任职务"]), f.iloc[120:]),
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_files_that_differ_otherwise_read_the_same_in_slices(tmp_path, national, layout):
    """The people of a file without 政治面貌 read "无「政治面貌」列" in a whole read too; someone
    silent in both of 公安's columns is quoted by the column their own file has first."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    for path, part in zip((first, second), _LAYOUTS[layout](frame)):
        part.to_csv(path, index=False, encoding="utf-8-sig")
    whole, sliced, _ = _both(tmp_path, national, [first, second], "csv", 50)
    for name in whole:
        assert sliced[name] == whole[name], name
    findings = whole["r.findings.csv"].decode("utf-8-sig").splitlines()
    if layout.startswith("a fact"):
        assert any(line.startswith('"甲.csv"') and "无「政治面貌」列" in line for line in findings)
        assert not any("「政治面貌」=（空）" in line for line in findings)
    elif layout.startswith("a field"):
        assert any(line.startswith('"乙.csv"') and "「年度考核」=" in line for line in findings)
        assert not any(line.startswith('"甲.csv"') and "年度考核" in line for line in findings)
    elif layout.startswith("a required"):
        assert sum(line.startswith('"甲.csv"') and "必填项「拟任职务」花名册中没有此列" in line for line in findings) == 120
        assert not any(line.startswith('"乙.csv"') and "花名册中没有此列" in line for line in findings)
    else:
        lines = [line for line in findings if "公安尚未反馈" in line]
        assert all("「公安机关意见」列" in line for line in lines if line.startswith('"甲.csv"'))
        assert all("「派出所意见」列" in line for line in lines if line.startswith('"乙.csv"'))
        assert any(line.startswith('"乙.csv"') for line in lines)


def test_files_of_one_name_in_two_folders_are_told_apart(tmp_path, national):
    """a/名册.csv and b/名册.csv: reports name them by folder ("a/名册.csv 第2行"), and the one
    without 政法委意见 asks its people nothing through it, read whole or in slices."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "名册.csv", tmp_path / "b" / "名册.csv"
    frame.iloc[:120].drop(columns=["政法委意见"]).to_csv(first, index=False, encoding="utf-8-sig")
    frame.iloc[120:].to_csv(second, index=False, encoding="utf-8-sig")
    whole, sliced, run = _both(tmp_path, national, [first, second], "csv", 50)
    for name in whole:
        assert sliced[name] == whole[name], name
    assert [i["file"] for i in run.inputs] == ["a/名册.csv", "b/名册.csv"]
    lines = whole["r.findings.csv"].decode("utf-8-sig").splitlines()
    assert not any(line.startswith('"a/名册.csv"') and "政法委尚未反馈" in line for line in lines)
    assert any(line.startswith('"b/名册.csv"') and "政法委尚未反馈" in line for line in lines)


def test_a_mapped_header_only_one_file_has_is_read_in_slices(tmp_path, national):
    """--map 近考=assessment_last where only the first file says 近考: each slice does not check the
    mapping on its own (a slice of the second file refused it), and a header no file has is refused."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    frame.iloc[:120].rename(columns={"最近一次考核": "近考"}).to_csv(first, index=False, encoding="utf-8-sig")
    frame.iloc[120:].to_csv(second, index=False, encoding="utf-8-sig")
    options = ReadOptions(mapping={"近考": "assessment_last"})
    run = StreamedRun(national, [str(first), str(second)], AS_OF, options, 50, STAMP)
    run.index()
    sliced = pd.concat([c.candidates for c in run.chunks()], ignore_index=True)
    whole = run_engine(national, load_candidates([str(first), str(second)], national, options), AS_OF)
    assert sliced["verdict"].tolist() == whole.candidates["verdict"].tolist()
    run.close()
    with pytest.raises(InputError, match="近考X"):
        StreamedRun(national, [str(first), str(second)], AS_OF, ReadOptions(mapping={"近考X": "assessment_last"}),
                    50, STAMP)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_relatives_not_covered_for_one_files_slates_read_the_same_in_slices(tmp_path, national, fmt):
    """东村 in a file without 户号 and 亲属关系, 西村 in one with them, slices of 2: G02 is said
    once for 东村's slate members and checked for 西村's, as a whole read does."""
    frame = pd.read_csv(FIXTURES / "groups" / "slate_roster.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    east = frame["村(社区)"] == "东村"
    frame[east].drop(columns=["户号", "亲属关系"]).to_csv(first, index=False, encoding="utf-8-sig")
    frame[~east].to_csv(second, index=False, encoding="utf-8-sig")
    whole, sliced, run = _both(tmp_path, national, [first, second], fmt, 2)
    for name in whole:
        assert sliced[name] == whole[name], name
    g02 = next(e for e in run.result().meta["coverage"]["not_covered"] if e["rule"] == "G02")
    assert g02["files"] == ["甲.csv"] and g02["candidates"] == 3


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_fact_only_an_agency_answers_reads_the_same_in_slices_where_it_answered_nobody(tmp_path, national, fmt):
    """The roster has no 被剥夺政治权利 column; the court's opinion fills it for the first people
    only. Those it did not answer for read "无「被剥夺政治权利」列" in the evidence whether or not
    the court answered anyone else in their slice (a whole read said "=（空）")."""
    frame = pd.read_csv(PENDING, dtype=str, keep_default_na=False, encoding="utf-8-sig").iloc[:24].copy()
    frame["人民法院意见"] = ["经核查，无违法违纪记录"] * 4 + ["有问题需研判"] * 20
    roster = tmp_path / "court.csv"
    frame.to_csv(roster, index=False, encoding="utf-8-sig")
    whole, sliced, _ = _both(tmp_path, national, [roster], fmt, 5)
    for name in whole:
        assert sliced[name] == whole[name], name
    text = whole["r.findings.csv" if fmt == "csv" else "r.json"].decode("utf-8-sig")
    assert "无「被剥夺政治权利」列" in text and "「被剥夺政治权利」=（空）" not in text


def test_a_template_roster_with_footer_in_slices(tmp_path, national):
    whole, sliced, _ = _both(tmp_path, national, [FIXTURES / "bad" / "office_utf8.csv"], "csv", 3)
    for name in whole:
        assert sliced[name] == whole[name], name


@pytest.mark.parametrize("fmt,rows,jobs", [("csv", 10, 2), ("json", 7, 3)])
def test_worker_processes_write_the_whole_run_report(tmp_path, national, fmt, rows, jobs):
    whole, _, _ = _both(tmp_path, national, [ROSTER], fmt, rows)
    (tmp_path / "workers").mkdir()
    vet_streamed(national, [str(ROSTER)], AS_OF, str(tmp_path / "workers" / f"r.{fmt}"), fmt, chunk_rows=rows,
                 generated_at=STAMP, jobs=jobs)
    assert _files(tmp_path / "workers") == whole     # slices decided and rendered by the workers, in order


@pytest.mark.parametrize("rows,jobs", [(40, 1), (45, 3)])
def test_a_partial_chase_list_is_the_whole_runs_however_the_run_is_sliced(tmp_path, national, monkeypatch, rows,
                                                                          jobs):
    """The chase list names an agency's first people in roster order, as many as the whole run's
    list does, though the slices that name them are decided by workers that never see the limit
    (each slice is told how many more the list takes)."""
    monkeypatch.setattr(chase, "AWAITING_LIST_LIMIT", 50)      # more than a slice holds
    whole, _, _ = _both(tmp_path, national, [PENDING], "csv", rows)
    (tmp_path / "workers").mkdir()
    vet_streamed(national, [str(PENDING)], AS_OF, str(tmp_path / "workers" / "r.csv"), "csv", chunk_rows=rows,
                 generated_at=STAMP, jobs=jobs)
    assert _files(tmp_path / "workers") == whole
    listed = pd.read_csv(io.BytesIO(whole["r.awaiting.csv"]), encoding="utf-8-sig")
    assert listed.groupby(listed.columns[0]).size().eq(50).all() and len(listed) >= 50 * 3
    assert "（待反馈清单只列出其中50人；" in whole["r.meta.csv"].decode("utf-8-sig")


def test_a_slice_names_only_as_many_awaited_people_as_the_run_s_list_takes(national):
    """`awaiting_list` counts everyone owed but names at most the room left per agency; the run's
    list (`ChaseList`) takes slices in order, cut at its limit, and says how much room is left."""
    candidates = load_candidates([str(PENDING)], national, ReadOptions())
    whole = chase.awaiting_list(candidates, 12)
    owed = {e["agency"]: e["count"] for e in whole}
    assert len(owed) >= 3 and all(len(e["candidates"]) == min(12, e["count"]) for e in whole)
    first = next(iter(owed))
    some = chase.awaiting_list(candidates, {first: 0})
    assert {e["agency"]: e["count"] for e in some} == owed
    assert some[0]["candidates"] == [] and some[0]["truncated"]
    assert all(len(e["candidates"]) == min(chase.AWAITING_LIST_LIMIT, e["count"]) for e in some[1:])
    run = chase.ChaseList(list(national.agencies), limit=12)
    assert set(run.room().values()) == {12}
    run.add(chase.awaiting_list(candidates, 5))
    assert run.room()[first] == 7
    run.add(whole)
    assert run.room()[first] == 0 and [e["count"] for e in run.entries()] == [2 * c for c in owed.values()]
    assert [e["candidates"] for e in run.entries()] == [e["candidates"][:5] + e["candidates"][:7] for e in whole]


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("taken_here", [(0, 3), (1, 2), ()])
def test_a_report_takes_spools_and_its_own_chunks_in_order(tmp_path, national, fmt, taken_here):
    """Chunks written by the report's own process and spools filled by workers, in any mix, make
    the whole run's report (a JSON report copies the spools' rows only once, when it is written);
    a report given up half way leaves no file behind."""
    whole, _, _ = _both(tmp_path, national, [ROSTER], fmt, 6)
    run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 6, STAMP)
    run.index()
    chunks = list(run.chunks())
    assert len(chunks) >= 5
    for finished in (True, False):
        folder = tmp_path / f"mixed_{finished}"
        folder.mkdir()
        writer = chunk_writer(fmt)
        writer.begin(folder / f"r.{fmt}")
        for k, chunk in enumerate(chunks if finished else chunks[:4]):
            if k in taken_here:
                writer.write_chunk(chunk)
            else:
                writer.merge(chunk_writer(fmt).fill(writer.new_spool(keep=False), [chunk]))
        if finished:
            writer.finish(run.result())
            assert _files(folder) == whole
        writer.abort()
        assert sorted(p.name for p in folder.iterdir()) == (sorted(whole) if finished else [])


def test_spools_not_taken_into_the_report_are_removed_with_it(tmp_path):
    writer = chunk_writer("csv")
    writer.begin(tmp_path / "r.csv")
    spool = writer.new_spool()
    assert Path(spool.rows).parent == Path(spool.findings).parent == tmp_path   # beside the report
    writer.abort()                                  # the run failed before the worker's slice was taken
    assert list(tmp_path.iterdir()) == []


def test_a_run_nothing_records_makes_no_file_for_kept_chunks(tmp_path, national, monkeypatch):
    made = []
    mkstemp = tempfile.mkstemp

    def spy(*args, **kwargs):
        made.append(mkstemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr("vetting.atomic.tempfile.mkstemp", spy)
    vet_streamed(national, [str(ROSTER)], AS_OF, str(tmp_path / "r.csv"), "csv", chunk_rows=10, jobs=2)
    names = [Path(name).name for _, name in made]
    assert sum(".rows." in n for n in names) > 1 and not any(".kept." in n for n in names)  # spools, none kept
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]    # every spool removed


@pytest.mark.parametrize("compressed", [False, True], ids=["as-is", "lz4"])
def test_with_workers_each_slice_is_parsed_and_read_once_and_what_is_kept_for_it_removed(tmp_path, national,
                                                                                 monkeypatch, compressed):
    if compressed:
        monkeypatch.setattr(streamed, "KEEP_PLAIN_BYTES", ROSTER.stat().st_size - 1)    # a roster above it
    parsed, made = [], []
    tables, mkstemp = RosterStream.tables, tempfile.mkstemp

    def counted(self):
        parsed.append(self.path.name)
        return tables(self)

    def spy(*args, **kwargs):
        fd, name = mkstemp(*args, **kwargs)
        made.append(name)
        return fd, name

    monkeypatch.setattr(RosterStream, "tables", counted)
    monkeypatch.setattr("vetting.atomic.tempfile.mkstemp", spy)
    whole, _, _ = _both(tmp_path, national, [ROSTER], "csv", 10)
    parsed.clear(), made.clear()
    (tmp_path / "workers").mkdir()
    vet_streamed(national, [str(ROSTER)], AS_OF, str(tmp_path / "workers" / "r.csv"), "csv", chunk_rows=10,
                 generated_at=STAMP, jobs=2)
    assert _files(tmp_path / "workers") == whole
    assert parsed == [ROSTER.name]                                   # the second pass took the kept slices
    slices = [Path(n) for n in made if n.endswith(".slice.tmp")]
    assert len(slices) == 3 and all(n.parent == tmp_path / "workers" for n in slices)   # beside the report
    assert not [p.name for p in (tmp_path / "workers").iterdir() if p.name.startswith(".")]
    run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 10, jobs=2, cache_beside=str(tmp_path / "x.csv"))
    run.index()                                                      # a run that fails before its second pass
    kept = list(tmp_path.glob(".x.csv.*.slice.tmp"))
    assert len(kept) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)  # the roster's cells
    assert {p.read_bytes()[:8] for p in kept} == {struct.pack("<Q", compressed)}
    read = [slice_read(national, ReadOptions(), str(p)) for p in kept]   # kept read: the second pass only decides
    assert all(isinstance(r, Candidates) for r in read) and sorted(map(len, read)) == [9, 10, 10]
    assert not any(p.exists() for p in kept)
    run.close()
    assert not list(tmp_path.glob(".x.csv.*"))


def test_the_workers_of_the_first_pass_serve_the_second_unless_the_run_is_large(tmp_path, national, monkeypatch):
    rows = []
    for keep in (streamed.KEEP_WORKERS_ROWS, 10):
        monkeypatch.setattr(streamed, "KEEP_WORKERS_ROWS", keep)
        run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 10, jobs=2,
                          cache_beside=str(tmp_path / "x.csv"))
        pool = run._workers._pool
        assert pool is not None                                     # started with the run
        run.index()
        assert run._workers._pool is (pool if keep > run.candidates else None)
        rows.append([r for chunk in run.chunks() for r in chunk.candidates["row_id"]])
    assert rows[0] == rows[1] == list(range(29))


def test_a_roster_refused_when_opened_leaves_no_worker_running(tmp_path, national):
    before = {p.pid for p in multiprocessing.active_children()}
    binary = tmp_path / "名册.csv"
    binary.write_bytes(ROSTER.read_bytes() + b"\0" * 64)
    with pytest.raises(InputError, match="二进制"):
        StreamedRun(national, [str(binary)], AS_OF, ReadOptions(), 10, jobs=2, cache_beside=str(tmp_path / "x.csv"))
    assert {p.pid for p in multiprocessing.active_children()} <= before


def test_a_streamed_run_into_a_missing_folder_is_refused_before_reading(tmp_path, national):
    with pytest.raises(InputError, match="输出目录不存在"):
        vet_streamed(national, [str(ROSTER)], AS_OF, str(tmp_path / "无" / "r.csv"), "csv", chunk_rows=10, jobs=2)


def test_the_slices_kept_for_workers_are_taken_once_and_removed_however_the_second_pass_ends(tmp_path, national):
    run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 10, jobs=2, cache_beside=str(tmp_path / "x.csv"))
    run.index()
    run.index()                                                      # again: the first call's slices go
    assert len(list(tmp_path.glob(".x.csv.*"))) == 3
    rows = [r for chunk in run.chunks() for r in chunk.candidates["row_id"]]
    assert rows == list(range(run.candidates)) and not list(tmp_path.glob(".x.csv.*"))
    run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 10, jobs=2, cache_beside=str(tmp_path / "x.csv"))
    chunks = run.chunks()
    next(chunks)                                                     # a reader that stops after one chunk
    chunks.close()
    assert not list(tmp_path.glob(".x.csv.*"))


def test_a_run_by_worker_processes_is_recorded_as_a_whole_run(tmp_path):
    db = tmp_path / "h.sqlite3"
    args = ["run", str(ROSTER), "--as-of", "2026-12-15", "-q", "--db", str(db)]
    whole = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "w.csv")])
    workers = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "j.csv"), "--chunk-rows", "10", "--jobs", "2"])
    assert whole.exit_code == workers.exit_code
    assert workers.output.replace("j.csv", "w.csv").replace("审查记录：#2", "审查记录：#1") == whole.output
    compare = CliRunner().invoke(cli, ["history", "compare", "1", "2", "--db", str(db)]).stdout
    assert "结论有变化：0 人" in compare and "结论未变 29 人" in compare   # every slice came back to be recorded


def test_a_large_roster_is_decided_by_worker_processes_unless_told(tmp_path):
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_bytes(b"x")
    with open(large, "wb") as handle:
        handle.truncate(PARALLEL_THRESHOLD_BYTES + 1)
    assert stream_jobs([str(small)], None) == 1
    assert stream_jobs([str(large)], None) == auto_jobs() >= 1
    assert stream_jobs([str(large)], 1) == 1 and stream_jobs([str(small)], 3) == 3


@pytest.mark.parametrize("roster_bytes, jobs, rows", [
    (30 << 20, 1, 50_000), (30 << 20, 2, 50_000), (30 << 20, 3, 33_333), (30 << 20, 4, 25_000), (30 << 20, 16, 25_000),
    (LARGE_ROSTER_BYTES + 1, 2, 25_000), (LARGE_ROSTER_BYTES, 2, 50_000)])
def test_slices_are_sized_by_the_workers_holding_them(roster_bytes, jobs, rows):
    """The slices the workers hold at once stay within SLICED_ROWS candidates (at least
    MIN_STREAM_ROWS each); a roster above LARGE_ROSTER_BYTES leaves the room to its index."""
    assert slice_rows(roster_bytes, jobs) == rows
    assert MIN_STREAM_ROWS <= rows <= STREAM_ROWS and (rows * jobs <= SLICED_ROWS or rows == MIN_STREAM_ROWS)


@pytest.mark.parametrize("processors, jobs, threshold", [
    (2, None, PARALLEL_THRESHOLD_BYTES), (4, None, PARALLEL_THRESHOLD_BYTES), (1, None, STREAM_THRESHOLD_BYTES),
    (4, 1, STREAM_THRESHOLD_BYTES), (1, 2, PARALLEL_THRESHOLD_BYTES)])
def test_a_mid_sized_roster_is_streamed_only_with_workers(monkeypatch, processors, jobs, threshold):
    """Between the two thresholds a roster is streamed when the run has worker processes (they win
    back the second reading); in one process it is read whole, which is then quicker."""
    monkeypatch.setattr(streamed, "auto_jobs", lambda: processors)
    assert PARALLEL_THRESHOLD_BYTES < STREAM_THRESHOLD_BYTES
    assert stream_threshold(jobs) == threshold


@pytest.mark.parametrize("extra, streams", [([], True), (["--jobs", "1"], False), (["--jobs", "2"], True)])
def test_vet_run_streams_a_mid_sized_roster_only_with_workers(tmp_path, monkeypatch, extra, streams):
    """`vet run` on a roster between the two thresholds, on two processors: streamed with workers,
    read whole when told to run in one process (`--jobs 1`); the same report either way."""
    monkeypatch.setattr(streamed, "auto_jobs", lambda: 2)
    monkeypatch.setattr(streamed, "PARALLEL_THRESHOLD_BYTES", ROSTER.stat().st_size - 1)
    calls = []
    real = streamed.vet_streamed
    monkeypatch.setattr(streamed, "vet_streamed", lambda *a, **k: calls.append(a[-1]) or real(*a, **k))
    result = CliRunner().invoke(cli, ["run", str(ROSTER), "--as-of", "2026-12-15", "-o", str(tmp_path / "r.csv"),
                                      "--no-history", "-q", *extra])
    assert result.exit_code == 0, result.output
    assert bool(calls) == streams
    assert "同一公民身份号码还出现在" in (tmp_path / "r.findings.csv").read_text(encoding="utf-8-sig")


def test_which_runs_are_read_in_slices(national):
    xlsx, csv_roster = str(FIXTURES / "demo_roster.xlsx"), str(ROSTER)
    plain = ReadOptions()
    assert can_stream([csv_roster], plain, "csv", "out.csv", "vector", national, 100)
    assert not can_stream([csv_roster], plain, "csv", "out.csv", "vector", national, None)  # small: read whole
    assert not can_stream([xlsx], plain, "csv", "out.csv", "vector", national, 100)
    assert not can_stream([csv_roster], plain, "xlsx", "out.xlsx", "vector", national, 100)
    assert not can_stream([csv_roster], plain, "csv", None, "vector", national, 100)
    assert not can_stream([csv_roster], plain, "csv", "out.csv", "durable", national, 100)
    assert not can_stream([csv_roster], ReadOptions(replies=(("公安", "x.xlsx"),)), "csv", "out.csv", "vector",
                          national, 100)
    assert not can_stream([csv_roster], plain, "csv", "out.csv", "vector", national, 100, decisions=True)
    assert not can_stream([csv_roster], plain, "csv", "out.csv", "vector", load_ruleset("reserve"), 100)


def test_vet_run_in_slices_says_what_it_read_and_records_the_run(tmp_path):
    db = tmp_path / "h.sqlite3"
    args = ["run", str(ROSTER), "--as-of", "2026-12-15", "--db", str(db), "-q"]
    whole = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "w.csv")])
    sliced = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "s.csv"), "--chunk-rows", "10"])
    assert whole.exit_code == sliced.exit_code
    said = [line for line in sliced.output.splitlines() if not line.startswith("审查记录")]
    assert said == [line.replace("w.csv", "s.csv") for line in whole.output.splitlines()
                    if not line.startswith("审查记录")]
    assert "读取" in sliced.output
    compare = CliRunner().invoke(cli, ["history", "compare", "1", "2", "--db", str(db)]).stdout
    assert "结论有变化：0 人" in compare and "结论未变 29 人" in compare


def test_the_first_pass_reads_only_the_index_fields_and_what_count_rules_read(national):
    keep = index_fields(national)
    assert {"id_number", "village", "role", "sex", "age", "birth_date", "committee_seats"} <= keep
    assert not keep & {"criminal_record", "party_sanction", "under_investigation"}   # person rules' facts


def test_a_count_rule_on_a_fact_an_agency_answers_reads_every_opinion_in_the_first_pass(tmp_path):
    pack = tmp_path / "我县.yaml"
    pack.write_text("schema_version: 1\nid: wo-xian\ntitle: 我县\nversion: '1'\nextends: national\n"
                    "group_rules:\n  - code: G90\n    name: 村委会人选中有正在接受审查调查的\n    kind: count\n"
                    "    roles: [村委会主任, 村委会委员]\n    where: under_investigation == true\n    max: 0\n"
                    "    severity: review\n    basis: [依据]\n", encoding="utf-8")
    ruleset = load_ruleset(str(pack))
    assert index_fields(ruleset) is None
    rows = list(csv.reader(io.StringIO(ROSTER.read_text(encoding="utf-8-sig"))))
    column = rows[0].index("正在接受审查调查")
    rows[0].append("纪委监委意见")
    for row in rows[1:]:                    # the fact left blank; the agency's clear answer settles it
        row[column] = ""
        row.append("无")
    answered, silent = tmp_path / "answered.csv", tmp_path / "silent.csv"
    for path, table in ((answered, rows), (silent, [r[:-1] for r in rows])):
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerows(table)
    whole, sliced, _ = _both(tmp_path, ruleset, [answered], "csv", 10, jobs=2)   # slices read whole by workers
    for name in whole:
        assert sliced[name] == whole[name], name
    assert "G90" not in whole["r.villages.csv"].decode("utf-8-sig")
    without = run_engine(ruleset, load_candidates([str(silent)], ruleset, ReadOptions()), AS_OF, "vector", STAMP)
    assert "G90" in set(without.villages["rule"])     # unread, the opinions would leave G90 undetermined


@pytest.mark.parametrize("kernel", ["whole", "a_few_bytes_a_call", "refused", "absent"])
def test_a_spool_is_appended_whole_however_the_kernel_copies(tmp_path, monkeypatch, kernel):
    spool = tmp_path / "spool"
    spool.write_bytes("标题\n".encode() + bytes(range(256)) * 40)
    real = getattr(os, "copy_file_range", None)

    def few(src, dst, count, offset_src=None, offset_dst=None):
        return real(src, dst, min(count, 7), offset_src, offset_dst)

    def refused(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    if kernel == "absent" or real is None:
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    elif kernel != "whole":
        monkeypatch.setattr(os, "copy_file_range", few if kernel == "a_few_bytes_a_call" else refused)
    with open(tmp_path / "out", "wb") as out:
        out.write(b"before|")
        stream._copy_into(out, str(spool), skip=len("标题\n".encode()), prefix=b"<")
        out.write(b"|after")
    assert (tmp_path / "out").read_bytes() == b"before|<" + bytes(range(256)) * 40 + b"|after"


def _ascii_headed(folder: Path, national, ascii_rows: int, tail: bytes = b"", encoding: str = "gb18030") -> tuple[Path, int]:
    """The chunked roster with its headings as field names and its first `ascii_rows` rows in
    ASCII (their other cells "x"), in `encoding`, `tail` appended; and the bytes before the rest:
    a file whose first bytes read the same in UTF-8 and GB18030."""
    index = alias_index(national.fields)
    frame = pd.read_csv(ROSTER, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [index.get(header_key(c), f"column{i}") for i, c in enumerate(frame.columns)]
    ascii_part = frame.head(ascii_rows).map(lambda v: v if v.isascii() else "x")
    head = ascii_part.to_csv(index=False, lineterminator="\n").encode("ascii")
    rest = frame.iloc[ascii_rows:].to_csv(index=False, header=False, lineterminator="\n").encode(encoding)
    path = folder / "roster.csv"
    path.write_bytes(head + rest + tail)
    return path, len(head)


def _streamed_files(tmp_path, national, roster: Path, name: str, jobs: int, encoding: str | None = None):
    folder = tmp_path / name
    folder.mkdir()
    try:
        vet_streamed(national, [str(roster)], AS_OF, str(folder / "r.csv"), "csv", ReadOptions(encoding=encoding),
                     chunk_rows=10, generated_at=STAMP, jobs=jobs)
    except InputError as exc:
        return exc.message
    return _files(folder)


def test_with_workers_the_file_is_checked_beside_the_first_pass_and_read_again_in_the_encoding_it_finds(
        tmp_path, national, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    roster, ascii_bytes = _ascii_headed(source, national, 5)
    monkeypatch.setattr(stream_module, "_HEAD_BYTES", ascii_bytes)   # the first bytes decode in UTF-8 too
    reopened = []
    reopen = RosterStream.reopened
    monkeypatch.setattr(RosterStream, "reopened", lambda self: reopened.append(self.path) or reopen(self))
    alone = _streamed_files(tmp_path, national, roster, "alone", 1)             # checked before it is read
    assert not reopened and '"roster.csv",7,"杨丽"' in alone["r.csv"].decode("utf-8-sig")   # read as GB18030
    assert _streamed_files(tmp_path, national, roster, "workers", 2) == alone   # read as UTF-8, checked, read again
    assert reopened == [roster]


def _refused_after_its_head(folder: Path, tail: bytes) -> Path:
    """The chunked roster, its rows three times more (past the 8 KB a file is first looked at),
    then `tail`."""
    data = ROSTER.read_bytes()
    path = folder / "a.csv"
    path.write_bytes(data + data.split(b"\n", 1)[1] * 3 + tail)
    return path


@pytest.mark.parametrize("tail,encoding", [(b"\x00\x00\x00,\n", None), (b"\xff\xfe", "utf-8")],
                         ids=["nul", "undecodable"])
def test_with_workers_what_the_files_check_refuses_is_said_as_without_them(tmp_path, national, monkeypatch, tail,
                                                                          encoding):
    source = tmp_path / "in"
    source.mkdir()
    roster = _refused_after_its_head(source, tail)
    monkeypatch.setattr(stream_module, "_HEAD_BYTES", ROSTER.stat().st_size // 2)   # the refused bytes after it
    by_pandas = []
    read_csv = bodyparse.pd.read_csv
    monkeypatch.setattr(bodyparse.pd, "read_csv", lambda *a, **k: by_pandas.append(a) or read_csv(*a, **k))
    alone = _streamed_files(tmp_path, national, roster, "alone", 1, encoding)
    assert isinstance(alone, str) and "第118行" in alone          # the check's own words, naming the line
    assert _streamed_files(tmp_path, national, roster, "workers", 2, encoding) == alone
    assert not [p for p in (tmp_path / "workers").iterdir()]        # nothing left beside the report
    assert not by_pandas        # pyarrow refused the short row; pandas, which reads a giant record whole, waited


def test_with_workers_an_earlier_files_refusal_is_said_before_a_later_files(tmp_path, national, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    first = _refused_after_its_head(source, b"\x00\x00\x00,\n")
    second = source / "b.csv"
    second.write_bytes(b"foo,bar\n1,2\n" * 3)                       # no header to be found
    monkeypatch.setattr(stream_module, "_HEAD_BYTES", ROSTER.stat().st_size // 2)
    said = []
    for jobs in (1, 2):
        folder = tmp_path / f"jobs{jobs}"
        folder.mkdir()
        with pytest.raises(InputError) as refused:
            vet_streamed(national, [str(first), str(second)], AS_OF, str(folder / "r.csv"), "csv", chunk_rows=10,
                         jobs=jobs)
        said.append(refused.value.message)
    assert said[0] == said[1] and said[0].startswith(f"{first}：第118行起有空字符")


def test_with_workers_a_utf8_file_is_fingerprinted_by_its_check(tmp_path, national):
    run = StreamedRun(national, [str(ROSTER)], AS_OF, ReadOptions(), 10, jobs=2)
    try:
        inputs = run.index()
    finally:
        run.close()
    assert inputs[0]["sha256"] == hashlib.sha256(ROSTER.read_bytes()).hexdigest()


def test_a_check_whose_worker_stopped_before_it_is_made_here_once(national, monkeypatch):
    cancelled = Future()
    cancelled.cancel()                                  # as a pool stopped with an error leaves it
    stream = RosterStream.open(ROSTER, national.fields, 10, scan=lambda path, encoding: cancelled)
    made = []
    scan = stream_module.scan_file
    monkeypatch.setattr(stream_module, "scan_file", lambda *a: made.append(a) or scan(*a))
    assert stream.confirm() and stream.confirm()
    assert len(made) == 1 and stream._digest == hashlib.sha256(ROSTER.read_bytes()).hexdigest()
