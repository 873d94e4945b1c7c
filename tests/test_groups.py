"""Rules across candidates: duplicates across rosters, relatives on a slate, per-village counts, in every format."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import openpyxl
import pytest

from conftest import FIXTURES
from vetting.cli import cli

GROUPS = FIXTURES / "groups"
ROSTERS = [str(GROUPS / "slate_roster.csv"), str(GROUPS / "late_roster.csv")]
ARGS = ["--as-of", "2026-12-15", "--no-history", "--ruleset", "reserve"]


@pytest.fixture
def report(runner, tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _findings(report, name):
    return {f["rule"]: f for c in report["candidates"] if c["name"] == name for f in c["findings"]}


def test_duplicate_person_is_flagged_on_every_occurrence(report):
    occurrences = [c for c in report["candidates"] if c["name"] == "李强"]
    assert len(occurrences) == 2
    for c in occurrences:
        g01 = next(f for f in c["findings"] if f["rule"] == "G01")
        other = "late_roster.csv 第2行" if c["file"] == "slate_roster.csv" else "slate_roster.csv 第8行"
        assert other in g01["reason"]


def test_married_couple_and_same_household_on_one_slate(report):
    assert "马建国" in _findings(report, "马秀兰")["G02"]["reason"]
    assert "马秀兰" in _findings(report, "马建国")["G02"]["reason"]
    assert "同户" in _findings(report, "李明")["G02"]["reason"]
    assert "G02" not in _findings(report, "马建军")


def test_village_findings_belong_to_the_village(report):
    villages = {(v["village"], v["rule"]): v for v in report["villages"]}
    assert ("西村", "G03") in villages and ("东村", "G03") not in villages
    assert "李强" in villages[("西村", "G03")]["evidence"]
    assert ("西村", "R01") in villages and "0人" in villages[("西村", "R01")]["reason"]
    assert ("东村", "R01") not in villages
    summary = {g["rule"]: g for g in report["meta"]["group_summary"]}
    assert summary["R01"]["villages"] == 2 and summary["R01"]["meeting"] == 1
    assert summary["R01"]["listed"] == ["花马池镇西村"]


def test_every_format_shows_the_group_findings(runner, tmp_path):
    csv_out, xlsx_out = tmp_path / "r.csv", tmp_path / "r.xlsx"
    assert runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(csv_out)]).exit_code == 0
    assert runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(xlsx_out)]).exit_code == 0
    main = csv_out.read_text(encoding="utf-8-sig")
    assert "G01" in main and "G02" in main
    villages = list(csv.reader(io.StringIO((tmp_path / "r.villages.csv").read_text(encoding="utf-8-sig"))))
    assert {(row[1], row[2]) for row in villages[1:]} >= {("西村", "G03"), ("西村", "R01")}
    book = openpyxl.load_workbook(xlsx_out)
    village_sheet = [row for row in book["村级问题"].iter_rows(values_only=True)]
    assert any(row[2] == "西村" and row[3] == "R01" for row in village_sheet)
    findings = [row for row in book["问题清单"].iter_rows(values_only=True)]
    assert any("G02" in row for row in findings) and any("G01" in row for row in findings)
    assert any("村级达标" == row[0] for row in book["说明"].iter_rows(values_only=True))


def test_fixture_script_reproduces_files():
    before = {p.name: p.read_bytes() for p in GROUPS.glob("*.csv")}
    subprocess.run([sys.executable, str(GROUPS / "make_groups.py")], check=True)
    assert before == {p.name: p.read_bytes() for p in GROUPS.glob("*.csv")}


def _valid(first17: str) -> str:
    from vetting.normalize.idcard import check_char
    return first17 + check_char(first17)


def test_relation_written_before_the_name_and_repeat_counts_once():
    import datetime as dt

    from vetting.pipeline import vet_records
    from vetting.ruleset.loader import load_ruleset
    people = [
        {"姓名": "张一", "性别": "男", "拟任职务": "村委会主任", "亲属关系": "配偶：张二"},
        {"姓名": "张二", "性别": "女", "拟任职务": "村委会委员"},
        {"姓名": "张三", "性别": "男", "拟任职务": "村委会委员"},
    ]
    records = [{**p, "公民身份号码": _valid(f"64032319800101{i:03d}"), "乡镇(街道)": "镇", "村(社区)": "北村"}
               for i, p in enumerate(people, 1)]
    records.append(dict(records[2]))  # 张三 listed twice: still three people on the slate
    result = vet_records(records, load_ruleset("national"), dt.date(2026, 12, 15))
    relatives = result.findings[result.findings["rule"] == "G02"]
    assert set(relatives["row_id"]) == {0, 1}
    assert not ((result.villages["rule"] == "G05") & (result.villages["village"] == "北村")).any()
