"""A crash in durable_rules' C core: a clear Chinese error naming the ruleset and the candidates, exit 2,
no report written and nothing already on disk lost; the CLI itself never dies."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import FIXTURES, ROOT
from vetting.cli import cli
from vetting.engine import durable
from vetting.engine.durable import spawn, worker
from vetting.errors import EngineError
from vetting.pipeline import ReadOptions, load_candidates
from vetting.ruleset.loader import load_ruleset

DEMO_CSV = str(FIXTURES / "demo_roster.csv")

# jruizgit/rules#381: two rules whose correlated patterns share a prefix; the second fact crashes the core.
ISSUE_381 = {
    "r0": {"all": [{"first": {"$and": [{"metric": "met-A"}, {"$gt": {"amount": 10}}]}},
                   {"second": {"$and": [{"metric": "met-B"}, {"$gt": {"amount": {"first": "amount"}}}]}}]},
    "r1": {"all": [{"first": {"$and": [{"metric": "met-A"}, {"$gt": {"amount": 50}}]}},
                   {"second": {"$and": [{"metric": "met-B"}, {"$lt": {"amount": {"first": "amount"}}}]}}]},
}


def crash(monkeypatch, kind: str, at: int = 0) -> None:
    """Make the next durable worker processes die with `kind` when candidate index `at` arrives."""
    monkeypatch.setattr(spawn, "CHILD_ENTRY", "durable_crash_child")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests"))
    monkeypatch.setenv("CRASH", kind)
    monkeypatch.setenv("CRASH_AT", str(at))


def test_issue_381_pattern_either_crashes_cleanly_or_answers_right():
    # #381 is memory corruption: whether it kills the process depends on the heap layout (it does in a
    # bare interpreter, not in our worker). Either way the result must never be a wrong answer.
    program = durable.DurableProgram(name="issue381", rulesets=(("vetting_issue_381", json.dumps(ISSUE_381), 2),),
                                     outcomes=((0, 0), (0, 0)), codes=("X",), slots=(), source="issue381")
    facts = [('{"sid": "0", "metric": "met-A", "amount": 100}', '{"sid": "0", "metric": "met-B", "amount": 200}')]
    try:
        hits = durable.run_program(program, facts, lambda a, b: f"测试批次第{a + 1}至{b}人")
    except EngineError as exc:
        assert "durable_rules 引擎进程意外终止" in exc.message and "vetting_issue_381" in exc.message
        assert "测试批次第1至1人" in exc.message
    else:
        assert hits.tolist() == [[0, 0]]       # "detected": 200 > 100; "detected2" needs 200 < 100


def test_injected_crash_ends_vet_run_with_exit_2_and_keeps_the_old_report(runner, tmp_path, monkeypatch):
    out = tmp_path / "report.json"
    out.write_text("上一次的报告", encoding="utf-8")
    crash(monkeypatch, "segv")
    result = runner.invoke(cli, ["run", DEMO_CSV, "--as-of", "2026-12-15", "--engine", "durable",
                                 "--no-history", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "错误：durable_rules 引擎进程意外终止（信号 SIGSEGV，段错误）" in result.stderr
    assert "规则集「national」" in result.stderr and "demo_roster.csv 第2至28行" in result.stderr
    assert "--engine vector" in result.stderr
    assert out.read_text(encoding="utf-8") == "上一次的报告"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_injected_abort_in_vet_check_is_exit_2(runner, monkeypatch):
    crash(monkeypatch, "abort")
    result = runner.invoke(cli, ["check", "--as-of", "2026-12-15", "--set", "姓名=张三"])
    assert result.exit_code == 2 and "SIGABRT" in result.stderr and "命令行 第1行" in result.stderr
    assert runner.invoke(cli, ["check", "--as-of", "2026-12-15", "--set", "姓名=张三", "--engine", "vector"]
                         ).exit_code == 0


def test_the_crashed_batch_is_the_one_named(monkeypatch):
    rules = load_ruleset("national")
    candidates = load_candidates([DEMO_CSV], rules, ReadOptions())
    monkeypatch.setattr(worker, "BATCH_SIZE", 10)
    crash(monkeypatch, "abort", 15)         # the batch of candidates 10-19: csv lines 12-21
    with pytest.raises(EngineError, match="SIGABRT") as caught:
        durable.evaluate(rules, candidates, dt.date(2026, 12, 15))
    assert "人选批次：demo_roster.csv 第12至21行" in caught.value.message
