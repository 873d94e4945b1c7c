"""Joint review: agency opinion columns, reply files, required agencies and the evidence trail."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
import yaml

from conftest import FIXTURES
from vetting.cli import cli
from vetting.joint.classify import CLEAR, FINDING, PENDING, UNCLASSIFIED, classify_text
from vetting.pipeline import vet_records
from vetting.ruleset.loader import load_ruleset

JOINT = FIXTURES / "joint"
NATIONAL = load_ruleset("national")
CLEAN = "经核查，无违法违纪记录"
AGENCY_COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见", "民政局意见",
                  "自然资源局意见", "农业农村局意见", "乡镇党委意见", "组织部意见"]


@pytest.mark.parametrize("text,status,fields", [
    ("无", CLEAR, {}),
    ("经核查,无违法犯罪记录", CLEAR, {}),
    ("未发现", CLEAR, {}),
    ("未发现涉黑涉恶问题", CLEAR, {}),
    ("未反馈", PENDING, {}),
    ("待反馈", PENDING, {}),
    ("2012年因故意伤害罪被判处有期徒刑一年六个月", FINDING,
     {"criminal_punishment": "有期徒刑", "criminal_date": "2012年"}),
    ("2019.03 因醉驾被判处拘役二个月，缓刑三个月", FINDING,
     {"criminal_punishment": "缓刑", "criminal_date": "2019.03"}),
    ("2020年因危险驾驶罪被免予刑事处罚", FINDING, {"criminal_punishment": "免予刑事处罚"}),
    ("该同志于2025年10月受到党内严重警告处分", FINDING,
     {"party_sanction": "严重警告", "party_sanction_date": "2025年10月"}),
    ("2025-10-08受党内警告处分", FINDING, {"party_sanction": "警告", "party_sanction_date": "2025-10-08"}),
    ("2024年3月受留党察看二年处分", FINDING,
     {"party_sanction": "留党察看", "party_sanction_date": "2024年3月", "party_probation_months": "24"}),
    ("受到政务警告处分（2026.06）", FINDING, {"gov_sanction": "警告", "gov_sanction_date": "2026.06"}),
    ("被列入失信被执行人名单,至今未履行", FINDING, {"dishonest_debtor": "是"}),
    ("已从失信被执行人名单移出", CLEAR, {}),
    ("正在接受纪律审查", FINDING, {"under_investigation": "是"}),
    ("2023年4月因赌博被行政拘留10日", FINDING, {"admin_detention": "是", "admin_detention_date": "2023年4月"}),
    ("2024年5月因非正常上访被训诫", FINDING, {"petition_disorder": "是", "petition_disorder_date": "2024年5月"}),
    ("系涉恶团伙成员", FINDING, {"gang_involved": "是"}),
    ("参与法轮功活动", FINDING, {"cult_involved": "是"}),
    ("2021年换届中拉票贿选被查实", FINDING, {"election_misconduct": "是"}),
    ("经法院认定为限制民事行为能力人", FINDING, {"incapacity": "是"}),
    ("违法占地建房，至今未整改", FINDING, {"land_violation_unrectified": "是"}),
    ("挪用集体资金5万元", FINDING, {"funds_misuse_unrectified": "是"}),
    ("无违纪记录，2024年5月受党内警告处分", FINDING, {"party_sanction": "警告"}),
    ("该同志系老上访户，情况复杂", UNCLASSIFIED, {}),
])
def test_each_opinion_pattern(text, status, fields):
    got_status, got_fields, _ = classify_text(text, NATIONAL.opinions)
    assert got_status == status
    for name, value in fields.items():
        assert got_fields.get(name) == value


def _run(runner, tmp_path, *extra):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", str(JOINT / "opinions_roster.csv"), "--as-of", "2027-04-15",
                                 "--no-history", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result


def test_office_form_roster_gives_prescribed_verdicts(runner, tmp_path):
    expected = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))
    report, _ = _run(runner, tmp_path)
    by_row = {c["row"]: c for c in report["candidates"]}
    for person in expected["people"]:
        got = by_row[person["row"]]
        assert got["verdict"] == person["verdict"], (person["name"], got["findings"])
        assert sorted({f["rule"] for f in got["findings"]}) == person["rules"], person["name"]


def test_findings_quote_the_agency_text_as_evidence(runner, tmp_path):
    report, _ = _run(runner, tmp_path)
    qian = next(c for c in report["candidates"] if c["name"] == "钱二")
    finding = next(f for f in qian["findings"] if f["rule"] == "C01")
    assert "公安机关意见" in finding["evidence"] and "有期徒刑一年六个月" in finding["evidence"]
    assert "第3行" in finding["evidence"]


def test_blank_opinion_is_pending_and_agency_is_listed_to_chase(runner, tmp_path):
    report, result = _run(runner, tmp_path)
    zheng = next(c for c in report["candidates"] if c["name"] == "郑七")
    j01 = next(f for f in zheng["findings"] if f["rule"] == "J01")
    assert j01["severity"] == "pending" and "公安" in j01["reason"]
    awaiting = {a["agency"]: a for a in report["meta"]["awaiting"]}
    assert awaiting["公安"]["count"] == 1 and awaiting["公安"]["candidates"][0]["name"] == "郑七"
    assert awaiting["检察院"]["candidates"][0]["name"] == "王八"
    assert "待反馈：公安 尚有 1 人未反馈" in result.output


def test_reply_file_merges_by_id_and_keeps_unmatched_rows(runner, tmp_path):
    report, result = _run(runner, tmp_path, "--findings", f"公安={JOINT / 'replies' / 'police.csv'}")
    people = {c["name"]: c for c in report["candidates"]}
    zhao = people["赵一"]
    assert zhao["verdict"] == "unsuitable"
    c05 = next(f for f in zhao["findings"] if f["rule"] == "C05")
    assert "police.csv 第2行" in c05["evidence"] and "太公(治)决字〔2023〕15号" in c05["evidence"]
    li = people["李四"]
    codes = {f["rule"]: f for f in li["findings"]}
    assert codes["J03"]["severity"] == "review" and "李肆" in codes["J03"]["reason"]
    assert codes["C05"]["severity"] == "review"  # weak match never grounds unsuitable
    assert codes["S01"]["severity"] == "unsuitable"  # the court's opinion on the roster is strong
    unmatched = report["meta"]["unmatched_replies"]
    assert len(unmatched) == 1 and unmatched[0]["name"] == "外村人" and "*" in unmatched[0]["id_number"]
    assert "在花名册中找不到对应人选" in result.output
    # the reply answers for the whole roster: 郑七's blank police opinion is no longer awaited
    assert "J01" not in {f["rule"] for f in people["郑七"]["findings"]}


def test_unknown_agency_in_findings_option_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["run", str(JOINT / "opinions_roster.csv"), "--as-of", "2027-04-15",
                                 "--no-history", "--findings", f"公按={JOINT / 'replies' / 'police.csv'}"])
    assert result.exit_code == 2 and "公安" in result.output


def _person(**opinions):
    record = {"姓名": "甲", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村",
              "最近一次考核": "称职", "前一次考核": "称职"}
    record |= {c: CLEAN for c in AGENCY_COLUMNS} | opinions
    return record


@pytest.mark.parametrize("text,as_of,verdict", [
    ("2025年10月受党内严重警告处分", "2027-03-31", "disqualified"),   # month window end 2027-04-01..30
    ("2025年10月受党内严重警告处分", "2027-04-15", "review"),
    ("2025年10月受党内严重警告处分", "2027-05-01", "pass"),
    ("2025.10受党内严重警告处分", "2027-04-15", "review"),
    ("2025-10-08受党内严重警告处分", "2027-04-08", "disqualified"),
    ("2025-10-08受党内严重警告处分", "2027-04-09", "pass"),
])
def test_look_back_windows_from_chinese_dates(text, as_of, verdict):
    result = vet_records([_person(纪委监委意见=text)], NATIONAL, dt.date.fromisoformat(as_of))
    assert result.candidates.loc[0, "verdict"] == verdict, result.findings[["rule", "reason"]].values


def test_required_agency_without_any_answer_is_pending():
    record = {"姓名": "甲", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村"}
    result = vet_records([record], NATIONAL, dt.date(2026, 12, 15))
    j01 = result.findings[result.findings["rule"] == "J01"]
    assert set(j01["severity"]) == {"pending"}
    named = " ".join(j01["reason"])
    for agency in ("纪委监委", "公安", "法院", "检察院", "信访"):
        assert agency in named
    assert result.candidates.loc[0, "verdict"] == "pending"


def test_fixture_script_reproduces_files(tmp_path):
    before = {p.name: p.read_bytes() for p in JOINT.rglob("*.csv")}
    subprocess.run([sys.executable, str(JOINT / "make_joint.py")], check=True)
    after = {p.name: p.read_bytes() for p in JOINT.rglob("*.csv")}
    assert before == after
