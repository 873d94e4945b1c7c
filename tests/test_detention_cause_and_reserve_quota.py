"""Rule-pack items that need more than a single-person case: the cause of an administrative detention
read from a police opinion (C05 只对嫖娼、吸毒、扰乱公共秩序; other causes a C06 notice quoting it), a
roster without a cause column, and the reserve pack's per-village quota of "两委" reserves (R08)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from conftest import ROOT
from vetting.joint.classify import FINDING, classify_text
from vetting.normalize.idcard import check_char
from vetting.pipeline import vet_records
from vetting.ruleset.loader import load_ruleset

AS_OF = dt.date(2026, 12, 15)
NATIONAL = load_ruleset("national")
RESERVE = load_ruleset("reserve")
#: Every agency has answered "无/否" (the national cases' clean person), except where a test says otherwise.
CLEAN = {k: v for k, v in yaml.safe_load((ROOT / "rulesets" / "tests" / "national" / "detention_cause.yaml")
                                         .read_text(encoding="utf-8"))["defaults"].items()
         if k not in ("姓名", "公民身份号码")}
POLICE = ("刑事处罚", "刑事处罚日期", "涉黑涉恶(村霸)", "涉邪教或非法宗教活动", "行政拘留", "行政拘留日期", "行政拘留事由")


def _id(first17: str) -> str:
    return first17 + check_char(first17)


@pytest.mark.parametrize("text,cause", [
    ("2023年4月因吸毒被行政拘留十日", "吸毒"),
    ("2024.03因吸食毒品被县公安局行政拘留十五日", "吸毒"),
    ("因卖淫嫖娼被公安机关行政拘留十日", "嫖娼"),
    ("2019年因扰乱公共秩序被处以行政拘留五日", "扰乱公共秩序"),
    ("2023年4月行政拘留（吸毒）", "吸毒"),
    ("2023年4月因赌博被行政拘留10日", "赌博"),
    ("2024年3月，因殴打他人被行政拘留", "殴打他人"),
    ("2023年4月被行政拘留", ""),
])
def test_the_police_opinion_gives_the_cause(text, cause):
    reading = classify_text(text, NATIONAL.opinions)
    assert reading.status == FINDING
    assert [r["admin_detention_cause"] for r in reading.records] == [cause]


def test_two_detentions_keep_their_own_causes():
    reading = classify_text("2016年3月因赌博被行政拘留五日，2025年8月因吸毒被行政拘留十日", NATIONAL.opinions)
    assert [(r["admin_detention_date"], r["admin_detention_cause"]) for r in reading.records] == [
        ("2016年3月", "赌博"), ("2025年8月", "吸毒")]


def _person(i: int, police_columns: bool = True, **cells: str) -> dict[str, str]:
    base = {**CLEAN, "姓名": f"测试{i}", "公民身份号码": _id(f"51052519800615{i:02d}1"), "乡镇(街道)": "太平镇"}
    if not police_columns:   # the police answer in their opinion column only
        base = {**{k: v for k, v in base.items() if k not in POLICE}, "人民检察院意见": "无"}
    return {**base, **cells}


def test_police_opinions_grade_by_cause():
    people = [_person(1, False, 公安机关意见="2025年3月因吸毒被行政拘留十日"),
              _person(2, False, 公安机关意见="2025年3月因赌博被行政拘留十日"),
              _person(3, False, 公安机关意见="2025年3月被行政拘留十日"),
              _person(4, False, 公安机关意见="无违法犯罪记录")]
    result = vet_records(people, NATIONAL, AS_OF)
    found = result.findings
    by_row = {row: dict(zip(group["rule"], group["severity"])) for row, group in found.groupby("row_id")}
    verdicts = result.candidates["verdict"].tolist()
    assert by_row[0].get("C05") == "unsuitable" and "C06" not in by_row[0] and verdicts[0] == "unsuitable"
    assert by_row[1] == {"C06": "notice"} and verdicts[1] == "pass"
    c06 = found[(found["row_id"] == 1) & (found["rule"] == "C06")].iloc[0]
    assert "因「赌博」受过行政拘留" in c06["reason"] and "2025年3月因赌博被行政拘留十日" in c06["evidence"]
    assert c06["basis"].startswith("【地方口径（")
    assert by_row[2].get("C05") == "pending" and verdicts[2] == "pending"
    assert 3 not in by_row and verdicts[3] == "pass"


def test_a_roster_without_a_cause_column_is_pending_not_passed_nor_unsuitable():
    without_cause = {k: v for k, v in CLEAN.items() if k != "行政拘留事由"}
    people = [{**_person(1), **without_cause, "行政拘留": "是", "行政拘留日期": "2025-03-01"},
              {**_person(2), **without_cause}]
    people = [{k: v for k, v in p.items() if k != "行政拘留事由"} for p in people]
    result = vet_records(people, NATIONAL, AS_OF)
    c05 = result.findings[result.findings["rule"] == "C05"]
    assert c05["row_id"].tolist() == [0] and c05["severity"].tolist() == ["pending"]
    assert "行政拘留事由" in c05["reason"].iloc[0]
    assert result.candidates["verdict"].tolist() == ["pending", "pass"]


def _reserve(i: int, village: str, role: str) -> dict[str, str]:
    return {"姓名": f"后备{i}", "公民身份号码": _id(f"64032319950101{i:02d}1"), "拟任职务": role,
            "乡镇(街道)": "花马池镇", "村(社区)": village, "文化程度": "大专"}


def test_two_committee_reserves_per_village():
    people = [_reserve(1, "东村", "两委后备人选"), _reserve(2, "东村", "两委后备人选"), _reserve(3, "东村", "书记后备人选"),
              _reserve(4, "西村", "两委后备人选"), _reserve(5, "西村", "书记后备人选")]
    result = vet_records(people, RESERVE, AS_OF)
    r08 = result.villages[result.villages["rule"] == "R08"]
    assert r08["village"].tolist() == ["西村"]
    assert r08["severity"].tolist() == ["notice"]
    assert "1人" in r08["reason"].iloc[0] and "至少应有2人" in r08["reason"].iloc[0]
    assert r08["basis"].iloc[0].startswith("【地方口径（四川省成都市") and "2名" in r08["basis"].iloc[0]
    assert "后备4" in r08["evidence"].iloc[0] and "后备5" not in r08["evidence"].iloc[0]
    assert not (result.villages["rule"] == "R01").any()   # each village has its secretary reserve
