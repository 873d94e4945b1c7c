"""`vet diff`: a look-back period changed in a copy of the national pack lists exactly the people whose
window the change crosses, with the parameter named; verdicts move both ways; an unchanged pack
gives no change; two as-of dates; a recorded run against a pack; JSON and XLSX; no output over an input."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from openpyxl import load_workbook

from conftest import FIXTURES, ROOT
from vetting.cli import cli
from vetting.diff import Side, diff_sides
from vetting.diff.run import diff_setups
from vetting.history.model import StoredCandidate, StoredFinding
from vetting.ruleset.loader import load_ruleset

ROSTER = str(FIXTURES / "demo_roster.xlsx")
AS_OF = dt.date(2026, 12, 15)


def national_copy(tmp_path, months: int | None = None, name: str = "national-copy.yaml") -> str:
    """A copy of the shipped national pack, with the detention look-back set to `months`."""
    text = (ROOT / "rulesets" / "national.yaml").read_text(encoding="utf-8")
    if months is not None:
        text, n = re.subn(r"(detention_lookback_months:\n(?:    .*\n)*?    value: )60\n", rf"\g<1>{months}\n", text)
        assert n == 1
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def diffs(tmp_path_factory):
    """The demo roster diffed against national copies: look-back shortened, lengthened, unchanged."""
    tmp = tmp_path_factory.mktemp("diff")
    national = load_ruleset("national")
    return {label: diff_setups([ROSTER], national, load_ruleset(national_copy(tmp, months, f"{label}.yaml")),
                               AS_OF, AS_OF)
            for label, months in (("shorter", 36), ("longer", 72), ("same", None))}


def test_a_shorter_look_back_frees_exactly_the_person_whose_window_it_crosses(diffs):
    diff = diffs["shorter"]
    assert [(c.new.name, c.old.verdict, c.new.verdict) for c in diff.changes] == [("高玉兰", "unsuitable", "pass")]
    change = diff.changes[0]
    assert [f.rule for f in change.disappeared] == ["C05"] and not change.appeared
    shorter = ["参数 $detention_lookback_months（行政拘留回溯期（月））：60月 → 36月"]
    assert diff.reasons == {"C05": shorter, "C06": shorter}   # the notice for other causes reads it too
    assert diff.unchanged == 26 and not diff.only_old and not diff.only_new
    assert [(r.rule, r.disappeared) for r in diff.by_rule()] == [("C05", 1)]
    assert [(v.village, v.verdict_changed, dict(v.moves)) for v in diff.by_village()] == \
        [("高峰村", 1, {("unsuitable", "pass"): 1})]


def test_a_longer_look_back_catches_the_person_it_reaches_and_rewords_the_other(diffs):
    diff = diffs["longer"]
    assert [(c.new.name, c.old.verdict, c.new.verdict) for c in diff.verdict_changes] == \
        [("林国平", "pass", "unsuitable")]
    assert [f.rule for f in diff.verdict_changes[0].appeared] == ["C05"]
    assert "72个月" in diff.verdict_changes[0].appeared[0].reason
    rewording = diff.finding_changes
    assert [(c.new.name, c.new.verdict) for c in rewording] == [("高玉兰", "unsuitable")]
    assert [r.rule for r in rewording[0].changed] == ["C05"]


def test_an_unchanged_copy_changes_nobody(diffs):
    diff = diffs["same"]
    assert diff.changes == [] and diff.unchanged == 27 and diff.reasons == {}


def _candidate(row: int, verdict: str, *findings: StoredFinding, id_hmac: str | None = "h") -> StoredCandidate:
    return StoredCandidate(row, "r.xlsx", row, f"人{row}", "村委会委员", "甲村", "乙镇", f"{id_hmac}{row}",
                           "510525********0001", verdict, findings)


def test_a_reason_differing_only_by_the_as_of_date_is_no_change():
    old = _candidate(1, "disqualified", StoredFinding("D01", "党纪", "disqualify", "截至2026-12-15尚在影响期内", "", ""))
    new = _candidate(1, "disqualified", StoredFinding("D01", "党纪", "disqualify", "截至2027-01-01尚在影响期内", "", ""))
    diff = diff_sides(Side("a", "p", "2026-12-15", (old,), "k"), Side("b", "p", "2027-01-01", (new,), "k"))
    assert diff.changes == [] and diff.unchanged == 1


def test_verdicts_moving_both_ways_are_counted_per_village():
    worse = StoredFinding("S01", "失信", "unsuitable", "失信", "", "")
    old = (_candidate(1, "pass"), _candidate(2, "unsuitable", worse))
    new = (_candidate(1, "unsuitable", worse), _candidate(2, "pass"))
    diff = diff_sides(Side("a", "p", "", old, "k"), Side("b", "p", "", new, "k"))
    assert [c.direction for c in diff.changes] == ["worse", "better"]
    assert [(r.rule, r.appeared, r.disappeared) for r in diff.by_rule()] == [("S01", 1, 1)]
    assert diff.by_village()[0].moves == {("pass", "unsuitable"): 1, ("unsuitable", "pass"): 1}


def test_cli_text_names_the_person_the_rule_and_the_parameter(runner, tmp_path):
    pack = national_copy(tmp_path, 36)
    result = runner.invoke(cli, ["diff", ROSTER, "--old", "national", "--new", pack, "--as-of", "2026-12-15",
                                 "--fail-on-change"])
    assert result.exit_code == 1, result.output  # a verdict changed
    out = result.output
    assert "结论有变化：1 人" in out and "高玉兰" in out and "不宜 → 通过" in out
    assert "消失：[C05]" in out and "60月 → 36月" in out
    assert "640323********1942" in out and "640323199" not in out  # masked ID only


def test_cli_two_as_of_dates(runner):
    result = runner.invoke(cli, ["diff", ROSTER, "--old-as-of", "2026-12-15", "--new-as-of", "2027-06-15"])
    assert result.exit_code == 0, result.output
    assert "结论有变化：5 人" in result.output
    assert "原因（D01）：审查基准日：2026-12-15 → 2027-06-15" in result.output


def test_cli_json_and_xlsx(runner, tmp_path):
    pack = national_copy(tmp_path, 72)
    out = tmp_path / "d.json"
    result = runner.invoke(cli, ["diff", ROSTER, "--new", pack, "--as-of", "2026-12-15", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["verdict_changed"] == 1 and data["findings_changed"] == 1
    assert data["changes"][0]["candidate"]["name"] == "林国平"
    assert data["changes"][0]["reasons"] == {"C05": ["参数 $detention_lookback_months（行政拘留回溯期（月））：60月 → 72月"]}
    book = tmp_path / "d.xlsx"
    result = runner.invoke(cli, ["diff", ROSTER, "--new", pack, "--as-of", "2026-12-15", "-o", str(book)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(book)
    assert wb.sheetnames == ["人选变化", "问题变化", "按规则", "按村", "说明"]
    rows = list(wb["人选变化"].iter_rows(values_only=True))
    assert rows[1][2] == "林国平" and rows[1][7:9] == ("通过", "不宜")
    assert rows[2][2] == "高玉兰" and rows[2][7:9] == ("不宜", "不宜")
    assert [r[0] for r in wb["按规则"].iter_rows(min_row=2, values_only=True)] == ["C05"]


def test_cli_recorded_run_against_a_pack(runner, tmp_path):
    db = tmp_path / "h.sqlite3"
    run = runner.invoke(cli, ["run", ROSTER, "--as-of", "2026-12-15", "-o", str(tmp_path / "r.json"), "--db", str(db)])
    assert run.exit_code == 0, run.output
    result = runner.invoke(cli, ["diff", ROSTER, "--run", "latest", "--db", str(db), "--new", national_copy(tmp_path, 36)])
    assert result.exit_code == 0, result.output
    assert "审查记录 #1" in result.output and "结论有变化：1 人" in result.output
    assert "60月 → 36月" in result.output  # the recorded pack is the shipped one: the rule change is named


def test_cli_refuses_an_output_over_an_input(runner, tmp_path):
    pack = national_copy(tmp_path, 36)
    before = (tmp_path / "national-copy.yaml").read_bytes()
    result = runner.invoke(cli, ["diff", ROSTER, "--new", pack, "--as-of", "2026-12-15", "-o", pack])
    assert result.exit_code == 2 and "输出会覆盖输入" in result.output
    assert (tmp_path / "national-copy.yaml").read_bytes() == before
    assert runner.invoke(cli, ["diff", ROSTER, "--format", "xlsx"]).exit_code == 2
