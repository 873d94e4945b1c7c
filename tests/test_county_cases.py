"""`vet test` for county packs: the national cases by name from any directory; the cases a county's
overrides change are listed with old and new outcome (not an abort on a disabled rule, not a failure);
JSON and JUnit output for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import FIXTURES
from vetting.casetest.cases import load_suites, shipped_cases
from vetting.cli import cli

#: How many cases the national pack ships (every one of them is run against the county's pack).
NATIONAL_CASES = len(load_suites([shipped_cases("national")])[0].cases)

COUNTY = """\
id: my-county
title: 我县
version: "1"
extends: national
parameters:
  detention_lookback_months:
    description: 行政拘留回溯期（月）
    unit: 月
    value: 36
    local: true
rules:
  - {code: S03, enabled: false}
"""


@pytest.fixture
def county(tmp_path, monkeypatch):
    (tmp_path / "我县.yaml").write_text(COUNTY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # far from the source checkout: the cases are found by name
    return "我县.yaml"


def test_national_cases_by_name_report_what_the_county_changes(runner, county):
    result = runner.invoke(cli, ["test", "--cases", "national", "--pack", county, "--engine", "vector"])
    assert result.exit_code == 0, result.output
    out = result.output
    # S03 switched off; a 36-month detention look-back frees the C05 cases on the 60-month boundary and the
    # C06 notice's (detention for another cause, the same look-back)
    assert f"案例 {NATIONAL_CASES} 个" in out and "失败 0" in out and "经本规则集改变 5" in out
    assert "s03_long_absence: 原 unsuitable [S03] → 现 pass []" in out and "S03 在本规则集中已停用" in out
    assert "c05_detention_last_day_of_lookback: 原 unsuitable [C05] → 现 pass []" in out


def test_json_and_junit_name_each_case_and_its_status(runner, county):
    args = ["test", "--cases", "national", "--pack", county, "--engine", "vector"]
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    [pack] = data["packs"]
    statuses = {c["name"]: c["status"] for c in pack["cases"]}
    assert data["changed"] == 5 and data["failed"] == 0 and len(statuses) == NATIONAL_CASES
    assert statuses["s03_long_absence"] == "changed" and statuses["severe_warning_last_day"] == "passed"
    junit = ET.fromstring(runner.invoke(cli, [*args, "--format", "junit"]).output)
    suite = junit.find("testsuite")
    assert suite.get("name") == "my-county" and suite.get("tests") == str(NATIONAL_CASES) and suite.get("failures") == "0"
    changed = [c for c in suite.iter("testcase") if c.find("system-out") is not None]
    assert len(changed) == 5 and "经本规则集改变" in changed[0].find("system-out").text


def test_a_pack_own_failing_cases_still_fail_in_every_format(runner):
    cases = str(FIXTURES / "lint" / "tests" / "defects")
    text = runner.invoke(cli, ["test", cases, "--engine", "vector"])
    assert text.exit_code == 1 and "失败 7" in text.output
    junit = runner.invoke(cli, ["test", cases, "--engine", "vector", "--format", "junit"])
    assert junit.exit_code == 1
    suite = ET.fromstring(junit.output).find("testsuite")
    assert suite.get("failures") == "7" and len(list(suite.iter("failure"))) == 7
    data = json.loads(runner.invoke(cli, ["test", cases, "--engine", "vector", "--format", "json"]).output)
    assert data["failed"] == 7 and data["packs"][0]["never_fired"] == ["L01", "L02", "L09"]
