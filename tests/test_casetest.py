"""The case runner behind `vet test`: case files, comparison on each engine, batching, failure lines,
coverage, exit codes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

import vetting.casetest.run
from vetting.casetest import load_suites, report_text, run_suite
from vetting.cli import cli
from vetting.errors import RulesetError
from vetting.pipeline import ENGINES, run_engine

ROOT = Path(__file__).resolve().parents[1]

PACK = """
id: mini
title: 测试规则集
version: 1
required_fields: [name, id_number]
parameters:
  min_age: {description: 最低年龄（周岁）, value: 18}
  cap: {description: 年龄上限（周岁）, value: 60}
rules:
  - code: T01
    name: 未满最低年龄
    category: 测试
    severity: disqualify
    when: age < $min_age
    reason: 年满{age}周岁，未满{$min_age}周岁
    basis: [测试依据]
  - code: T02
    name: 丧失行为能力
    category: 测试
    severity: unsuitable
    when: incapacity == true
    reason: 丧失行为能力
    basis: [测试依据]
  - code: T03
    name: 超过年龄上限
    category: 测试
    severity: notice
    roles: [村委会主任]
    when: age > $cap
    reason: 年满{age}周岁
    basis: [测试依据]
"""

HEAD = """
as_of: 2026-12-15
defaults:
  姓名: 测试人
  公民身份号码: "510525198006150116"
  拟任职务: 村委会委员
  丧失行为能力: 否
cases:
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def mini(tmp_path) -> Path:
    """rulesets/mini.yaml with an empty rulesets/tests/mini/ beside it; returns the tests dir."""
    _write(tmp_path / "rulesets" / "mini.yaml", PACK)
    cases = tmp_path / "rulesets" / "tests" / "mini"
    cases.mkdir(parents=True)
    return cases


def _cases(dir_: Path, body: str, name: str = "cases.yaml") -> Path:
    return _write(dir_ / name, HEAD + textwrap.indent(textwrap.dedent(body).lstrip(), "  "))


def _run(paths, pack=None, engines=("vector",)):
    """The vector engine unless asked: the tests below that are about engines ask for both."""
    return [run_suite(s, engines) for s in load_suites(paths, pack)]


CLEAN = """
- name: clean
  verdict: pass
  rules: []
- name: under_age
  rule: T01
  candidate: {公民身份号码: "510525200812160159"}
  verdict: disqualified
  rules: {T01: disqualify}
  reason_contains: [年满17周岁]
"""


def test_pack_is_found_beside_the_tests_directory_and_cases_pass(mini):
    _cases(mini, CLEAN)
    [report] = _run([mini])
    assert report.ruleset.id == "mini" and [o.ok for o in report.outcomes] == [True, True]
    assert report.never_fired == ["T02", "T03"]
    assert report.never_passed == ["T03"]  # T03 never applied: no case had the role it is for
    assert report.coverage == pytest.approx(100 / 3)


def test_failure_line_names_file_case_expected_and_actual_with_reasons(mini):
    _cases(mini, """
    - name: wrong_expectation
      candidate: {公民身份号码: "510525200812160159"}
      verdict: pass
      rules: []
    """)
    [report] = _run([mini])
    [failure] = report.failures
    line = failure.message()
    assert line.startswith(str(mini / "cases.yaml") + ": wrong_expectation: ")
    assert line.endswith("cases.yaml: wrong_expectation: 预期 pass []，实际 disqualified [T01]"
                         "（T01 disqualify：年满17周岁，未满18周岁）（引擎：vector）")
    text, failed = report_text([report])
    assert failed and "失败 " in text and "wrong_expectation" in text


def test_severity_and_reason_expectations_are_checked(mini):
    _cases(mini, """
    - name: wrong_severity
      candidate: {丧失行为能力: 是}
      verdict: unsuitable
      rules: {T02: disqualify}
    - name: missing_reason_text
      candidate: {丧失行为能力: 是}
      verdict: unsuitable
      rules: [T02]
      reason_contains: [无中生有]
    """)
    [report] = _run([mini])
    messages = [o.message() for o in report.failures]
    assert len(messages) == 2
    assert "T02 预期严重程度 disqualify，实际 unsuitable" in messages[0]
    assert "理由中没有「无中生有」" in messages[1]


def test_blank_cell_is_pending_and_counts_neither_as_fired_nor_passed(mini):
    _cases(mini, """
    - name: not_answered
      candidate: {丧失行为能力: ""}
      verdict: pending
      rules: {T02: pending}
    """)
    [report] = _run([mini])
    assert report.outcomes[0].ok
    assert "T02" in report.never_fired and "T02" in report.never_passed


def test_a_rule_is_not_passed_by_a_case_that_lacks_its_column(mini):
    _write(mini / "cases.yaml", """
    as_of: 2026-12-15
    defaults: {姓名: 测试人, 公民身份号码: "510525198006150116", 拟任职务: 村委会主任}
    cases:
      - name: no_incapacity_column
        verdict: pending
        rules: {T02: pending}
        reason_contains: [尚无「丧失行为能力」信息]
    """)
    [report] = _run([mini])
    assert report.outcomes[0].ok and "T02" in report.never_passed and "T03" not in report.never_passed


def test_a_column_only_some_cases_of_a_date_give_is_blank_for_the_others(mini):
    """One batch per as-of date: the case without the column reads as a blank cell, with the same
    outcome it has alone, and still does not count as passing the rule that reads the column."""
    _write(mini / "cases.yaml", """
    as_of: 2026-12-15
    defaults: {姓名: 测试人, 公民身份号码: "510525198006150116", 拟任职务: 村委会主任}
    cases:
      - name: no_incapacity_column
        verdict: pending
        rules: {T02: pending}
        reason_contains: [尚无「丧失行为能力」信息]
      - name: incapacity_given
        candidate: {丧失行为能力: 是}
        verdict: unsuitable
        rules: [T02]
      - name: another_day
        as_of: 2027-01-01
        verdict: pending
        rules: {T02: pending}
    """)
    [report] = _run([mini])
    assert [o.ok for o in report.outcomes] == [True, True, True], report.failure_lines()
    assert [(run.as_of.isoformat(), run.members) for run in report.runs] == [("2026-12-15", (0, 1)),
                                                                             ("2027-01-01", (2,))]
    assert "T02" in report.never_passed


def test_cases_without_a_required_column_run_apart(mini):
    """A missing required column is a finding of its own (not a blank cell), so such cases get their own call."""
    _write(mini / "cases.yaml", """
    as_of: 2026-12-15
    defaults: {公民身份号码: "510525198006150116", 拟任职务: 村委会委员, 丧失行为能力: 否}
    cases:
      - name: no_name_column
        verdict: review
        rules: [V04]
        reason_contains: [花名册中没有此列]
      - name: blank_name
        candidate: {姓名: ""}
        verdict: review
        rules: [V04]
        reason_contains: [为空]
      - name: named
        candidate: {姓名: 甲}
        verdict: pass
        rules: []
    """)
    [report] = _run([mini])
    assert all(o.ok for o in report.outcomes), report.failure_lines()
    assert sorted(run.members for run in report.runs) == [(0,), (1, 2)]


# ---------------------------------------------------------------- engines

def test_every_case_is_checked_on_both_engines_by_default(mini):
    _cases(mini, CLEAN)
    [suite] = load_suites([mini])
    report = run_suite(suite)
    assert report.engines == ENGINES == ("vector", "durable")
    assert [(o.case.name, o.engine, o.ok) for o in report.outcomes] == [
        ("clean", "vector", True), ("clean", "durable", True), ("under_age", "vector", True),
        ("under_age", "durable", True)]
    [run] = report.runs
    assert set(run.results) == set(ENGINES) and run.members == (0, 1)
    assert report.never_fired == ["T02", "T03"] and report.never_passed == ["T03"]


def _durable_without(monkeypatch, code: str) -> None:
    """Fault injection: the durable engine's results lose every finding of one rule (verdicts recomputed)."""
    from vetting.engine.verdicts import verdicts

    def vet(ruleset, candidates, as_of, engine="vector", coverage=None):
        result = run_engine(ruleset, candidates, as_of, engine, coverage=coverage)
        if engine == "durable":
            result.findings = result.findings[result.findings["rule"] != code].reset_index(drop=True)
            result.candidates["verdict"] = verdicts(len(result.candidates), result.findings)
        return result

    monkeypatch.setattr(vetting.casetest.run, "run_engine", vet)


def test_a_wrong_answer_on_one_engine_is_a_failure_naming_that_engine(mini, monkeypatch, runner):
    _cases(mini, CLEAN)
    _durable_without(monkeypatch, "T01")
    [report] = _run([mini], engines=ENGINES)
    assert [(o.case.name, o.engine) for o in report.failures] == [("under_age", "durable")]
    assert [c.name for c in report.failed_cases()] == ["under_age"]
    [line] = report.failure_lines()
    assert line.endswith("under_age: 预期 disqualified [T01]，实际 pass []（无任何发现）；理由中没有「年满17周岁」"
                         "（引擎：durable）")
    assert "T01" in report.never_fired  # fired on vector only: not covered
    text, failed = report_text([report], verbose=True)
    assert failed and "案例 2 个，通过 1，失败 1（引擎：vector、durable）" in text
    assert "✗ T01-mini-under_age" in text and "✓ none-mini-clean" in text
    for engine, code in (("durable", 1), ("vector", 0), ("both", 1)):
        result = runner.invoke(cli, ["test", str(mini), "--engine", engine])
        assert result.exit_code == code, result.output
        assert f"（引擎：{'、'.join(ENGINES) if engine == 'both' else engine}）" in result.output


def test_the_same_wrong_answer_on_both_engines_is_one_line_naming_both(mini, runner):
    _cases(mini, """
    - name: wrong_expectation
      candidate: {公民身份号码: "510525200812160159"}
      verdict: pass
      rules: []
    """)
    result = runner.invoke(cli, ["test", str(mini)])
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.strip().startswith("失败 ")]
    assert len(failed) == 1 and failed[0].endswith("（引擎：vector、durable）"), result.output
    assert "案例 1 个，通过 0，失败 1" in result.output


def test_cli_exit_codes_and_fail_under(runner, mini):
    _cases(mini, CLEAN)
    ok = runner.invoke(cli, ["test", str(mini)])
    assert ok.exit_code == 0, ok.output
    assert "规则覆盖率 33.3%" in ok.output and "从未命中的规则：T02、T03" in ok.output
    assert "从未通过的规则（没有字段齐全且未命中的案例）：T03" in ok.output
    assert "（引擎：vector、durable）" in ok.output
    below = runner.invoke(cli, ["test", str(mini), "--fail-under", "50", "--engine", "vector"])
    assert below.exit_code == 1 and "覆盖率低于 --fail-under 50%" in below.output
    assert runner.invoke(cli, ["test", str(mini), "--fail-under", "33", "--engine", "vector"]).exit_code == 0
    verbose = runner.invoke(cli, ["test", str(mini), "-v", "--engine", "vector"])
    assert "✓ T01-mini-under_age" in verbose.output and "✓ none-mini-clean" in verbose.output


@pytest.mark.parametrize("body,fragments", [
    ("- name: typo\n  candidate: {丧失行动能力: 是}\n  verdict: pass\n  rules: []\n",
     ["cases.yaml:", "未知字段「丧失行动能力」", "丧失行为能力"]),
    ("- name: bad_code\n  verdict: pass\n  rules: [T9]\n", ["预期的规则「T9」不在规则集「mini」中"]),
    ("- name: derived\n  candidate: {age: 30}\n  verdict: pass\n  rules: []\n", ["由工具推算"]),
    ("- name: bad verdict\n  verdict: ok\n  rules: []\n", ["cases.yaml"]),
    ("- name: dup\n  verdict: pass\n  rules: []\n- name: dup\n  verdict: pass\n  rules: []\n",
     ["案例名「dup」重复"]),
])
def test_bad_case_files_are_exit_2_with_file_and_line(runner, mini, body, fragments):
    _cases(mini, body)
    result = runner.invoke(cli, ["test", str(mini)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


def test_case_without_any_as_of_is_refused(mini):
    _write(mini / "cases.yaml", "defaults: {姓名: 甲}\ncases:\n  - name: x\n    verdict: pass\n    rules: []\n")
    with pytest.raises(RulesetError, match="没有 as_of"):
        load_suites([mini])


def test_include_runs_other_cases_with_overrides_and_ignores(mini, tmp_path):
    _cases(mini, CLEAN)
    child = tmp_path / "rulesets" / "child.yaml"
    _write(child, """
    id: child
    title: 子规则集
    version: 1
    extends: ../rulesets/mini.yaml
    rules:
      - code: T04
        name: 提示所有人
        category: 测试
        severity: notice
        when: incapacity == false
        reason: 提示
        basis: [测试依据]
    """.replace("../rulesets/mini.yaml", str(tmp_path / "rulesets" / "mini.yaml")))
    including = _write(tmp_path / "rulesets" / "tests" / "child" / "inherited.yaml", """
    include: ../mini
    defaults: {拟任职务: 村委会主任}
    ignore: [T04]
    """)
    [report] = _run([including])
    assert report.ruleset.id == "child" and all(o.ok for o in report.outcomes)
    assert {o.case.via for o in report.outcomes} == {str(including)}
    assert "（经 " in report.outcomes[0].case.where()
    assert "T03" not in report.never_passed  # the overriding default role makes T03 apply
    assert "T04" in report.never_fired  # ignored codes count for nothing


def test_pack_option_runs_given_cases_against_another_ruleset(runner, mini, tmp_path):
    _cases(mini, CLEAN)
    other = _write(tmp_path / "other.yaml", PACK.replace("value: 18}", "value: 16}").replace("id: mini", "id: other"))
    result = runner.invoke(cli, ["test", str(mini), "--pack", str(other), "--engine", "vector"])
    assert result.exit_code == 0  # another pack's cases: what the pack changes is listed, not failed
    assert "规则集 other" in result.output and "经本规则集改变 1" in result.output
    assert "under_age: 原 disqualified [T01] → 现 pass []" in result.output


def test_cases_are_separate_people_not_one_slate(tmp_path):
    """Batched cases sharing an ID number must not become duplicates or a committee of each other."""
    national = yaml.safe_load((ROOT / "rulesets" / "tests" / "national" / "qualification.yaml").read_text("utf-8"))
    data = {"pack": "national", "as_of": "2026-12-15", "defaults": national["defaults"],
            "cases": [{"name": name, "verdict": "pass", "rules": []} for name in ("first", "second", "third")]}
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [report] = _run([cases])
    assert len(report.outcomes) == 3
    assert all(o.ok for o in report.outcomes), [o.message() for o in report.outcomes]
