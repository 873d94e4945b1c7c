"""History schema 3: findings stored once per distinct text, and a database written by the
previous version (schema 2, fixtures/history/v2.sqlite3, made by `vet run` of the demo roster on
2026-12-15 and 2029-06-01) opened, migrated additively and shown exactly as that version showed it."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from vetting.cli import cli
from vetting.datachecks import DATA_CHECKS
from vetting.history import SCHEMA_VERSION, compare_runs, comparison_text, open_history, rows, run_text
from vetting.history.schema import TEXT_COLUMNS
from vetting.result import CANDIDATE_COLUMNS, FINDING_COLUMNS, VettingResult

V2 = FIXTURES / "history"
AS_OF = ["--as-of", "2026-12-15"]


def texts(db) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("findings", "finding_texts", "finding_refs", "all_findings")}
    conn.close()
    return counts


def pending_run(n: int) -> VettingResult:
    """`n` candidates before the agencies' replies: each with the same five pending findings,
    whose evidence names the candidate's own file and row (as the engines write it)."""
    people = pd.DataFrame([[i, "名册.xlsx", i + 2, f"人{i}", "村委会委员", f"{i % 7}村", "甲镇", None, "pending"]
                           for i in range(n)], columns=CANDIDATE_COLUMNS)
    facts = ["刑事处罚", "党纪处分", "政务处分", "失信被执行人", "行政拘留"]
    findings = pd.DataFrame([[i, f"X0{k}", f"{fact}待核实", "pending", f"「{fact}」未填写，需有关部门出具意见",
                              f"名册.xlsx 第{i + 2}行：「{fact}」=（空）", "某法第十条"]
                             for i in range(n) for k, fact in enumerate(facts)], columns=FINDING_COLUMNS)
    return VettingResult(people, findings, {"verdict_counts": {"pending": n}})


@pytest.mark.parametrize("n", [3, 300])
def test_stored_texts_do_not_grow_with_the_candidates(tmp_path, n):
    db = tmp_path / "h.sqlite3"
    with open_history(db, create=True) as store:
        store.record(pending_run(n), "2026-11-01T09:00:00", "2026-11-01T09:00:01")
        detail = store.run(1)
    assert texts(db) == {"findings": 0, "finding_texts": 5, "finding_refs": 5 * n, "all_findings": 5 * n}
    last = detail.candidates[-1]
    assert [f.evidence for f in last.findings][:1] == [f"名册.xlsx 第{n + 1}行：「刑事处罚」=（空）"]
    with sqlite3.connect(db) as conn:
        stored = [r[0] for r in conn.execute("SELECT evidence FROM finding_texts WHERE at_row = 1")]
    conn.close()
    assert len(stored) == 5 and all(e.startswith("：「") for e in stored)     # the row is not stored


def test_a_second_run_adds_no_text_it_shares_with_the_first(tmp_path):
    db = tmp_path / "h.sqlite3"
    with open_history(db, create=True) as store:
        store.record(pending_run(20), "2026-11-01T09:00:00", "2026-11-01T09:00:01")
        store.record(pending_run(40), "2026-11-02T09:00:00", "2026-11-02T09:00:01")
    assert texts(db)["finding_texts"] == 5


def test_evidence_about_another_row_or_file_is_kept_whole(tmp_path):
    result = pending_run(2)
    result.findings.loc[0, "evidence"] = "名册.xlsx 第3行：与第2行身份证号重复"     # the other candidate's row
    result.findings.loc[1, "evidence"] = "名册.xlsx 第2行"                           # nothing after the row
    result.findings.loc[2, "evidence"] = None
    db = tmp_path / "h.sqlite3"
    with open_history(db, create=True) as store:
        store.record(result, "2026-11-01T09:00:00", "2026-11-01T09:00:01")
        first = store.run(1).candidates[0]
    by_rule = {f.rule: f.evidence for f in first.findings}
    assert by_rule["X00"] == "名册.xlsx 第3行：与第2行身份证号重复"
    assert by_rule["X01"] == "名册.xlsx 第2行" and by_rule["X02"] is None


def copy_v2(tmp_path):
    db = tmp_path / "v2.sqlite3"
    shutil.copy(V2 / "v2.sqlite3", db)
    shutil.copy(V2 / "v2.sqlite3.key", tmp_path / "v2.sqlite3.key")
    return db


def test_database_of_the_previous_version_is_migrated_and_reads_back_unchanged(tmp_path):
    db = copy_v2(tmp_path)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        before = conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
    conn.close()
    with open_history(db) as store:                                      # reading migrates it
        old, older = store.run(1), store.run(2)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == before > 0   # rows kept where they were
    conn.close()
    assert run_text(old) + "\n" == (V2 / "v2_show_1.txt").read_text(encoding="utf-8")
    assert comparison_text(compare_runs(old, older)) + "\n" == (V2 / "v2_compare_1_2.txt").read_text(encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(cli, ["history", "show", "1", "--db", str(db), "--limit", "0"])
    assert shown.exit_code == 0 and shown.output == (V2 / "v2_show_1.txt").read_text(encoding="utf-8")


def current_basis(candidate):
    """The stored candidate with the built-in checks' basis as this version cites it (V04 cited the
    ruleset's field until it cited the public document)."""
    findings = tuple(replace(f, basis=DATA_CHECKS[f.rule].basis) if f.rule in DATA_CHECKS else f
                     for f in candidate.findings)
    return replace(candidate, findings=findings)


def test_a_new_run_in_a_migrated_database_shows_and_compares_as_the_old_one(tmp_path):
    db = copy_v2(tmp_path)
    runner = CliRunner()
    ran = runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.xlsx"), *AS_OF, "--format", "csv", "--db", str(db)])
    assert ran.exit_code == 0, ran.output
    with open_history(db) as store:
        old, new = store.run(1), store.run(3)
    old = replace(old, candidates=[current_basis(c) for c in old.candidates])
    assert [replace(c, unchecked=None) for c in new.candidates] == old.candidates     # findings included
    assert all(c.unchecked is None for c in old.candidates) and any(c.unchecked for c in new.candidates)
    body = lambda text: text.split("\n\n", 1)[1]                        # noqa: E731 - candidates, no audit block
    assert body(run_text(new)) == body(run_text(old))
    cmp = compare_runs(old, new)
    assert not cmp.changes and not cmp.findings_changed_same_verdict and cmp.unchanged == 27
    assert texts(db)["finding_refs"] == 19 and texts(db)["findings"] == 31  # the new run: compact tables only


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.integers(min_value=1, max_value=10 ** 6), st.text(max_size=20),
                          st.booleans(), st.integers(min_value=1, max_value=10 ** 6)), min_size=1, max_size=40))
def test_evidence_is_rebuilt_exactly_whatever_the_file_name_and_text(cases):
    """What the view puts back - "<file> 第<row>行" + stored text when at_row - is the evidence given."""
    people = pd.DataFrame([[i, file or None, row, "甲", None, None, None, None, "review"]
                           for i, (file, row, _, _, _) in enumerate(cases)], columns=CANDIDATE_COLUMNS)
    evidence = [f"{file} 第{row if own else other}行{rest}" for file, row, rest, own, other in cases]
    findings = pd.DataFrame([[i, "X1", "n", "review", "r", e, "b"] for i, e in enumerate(evidence)],
                            columns=FINDING_COLUMNS)
    (part,) = rows.finding_parts(findings, people)
    for i, ((row_id, _, code), (file, row, *_), given_text) in enumerate(zip(part.refs, cases, evidence)):
        assert row_id == i
        text = dict(zip(TEXT_COLUMNS, part.texts[code]))
        stored_file = rows.mask_text(file) if file else None
        rebuilt = f"{stored_file} 第{row}行{text['evidence']}" if text["at_row"] else text["evidence"]
        assert rebuilt == rows.mask_text(given_text)
        assert text["at_row"] == int(bool(file) and rows.mask_text(given_text).startswith(f"{stored_file} 第{row}行"))
