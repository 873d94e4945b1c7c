"""The statutory and widely used items of the national pack beyond single-person pack cases: 组织处理
read from an agency's words, 港澳台居民居住证 numbers named as a data check, and a 两委委员 standing
on the 村委会 slate. (Pack cases: rulesets/tests/national/; slate rules: tests/test_groups.py.)"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from vetting.joint.classify import FINDING, UNCLASSIFIED, classify_text
from vetting.normalize.roster import candidates_from_records
from vetting.pipeline import vet_records
from vetting.ruleset.loader import load_ruleset
from vetting.vocab import ROLE_TAGS, roles_selected

NATIONAL = load_ruleset("national")
AS_OF = dt.date(2026, 12, 15)


@pytest.mark.parametrize("text,fields", [
    ("2025年3月受到诫勉处理", {"org_handling": "诫勉", "org_handling_date": "2025年3月"}),
    ("该同志于2024.06被诫勉谈话", {"org_handling": "诫勉", "org_handling_date": "2024.06"}),
    ("2025-01-20受到通报批评", {"org_handling": "通报批评", "org_handling_date": "2025-01-20"}),
    ("因工作失职被责令作出书面检查（2026年2月）", {"org_handling": "责令检查", "org_handling_date": "2026年2月"}),
    ("2023年5月被免职", {"org_handling": "免职", "org_handling_date": "2023年5月"}),
    ("2024年11月受到降职处理", {"org_handling": "降职", "org_handling_date": "2024年11月"}),
    ("被责令辞职", {"org_handling": "责令辞职", "org_handling_date": ""}),
])
def test_an_agency_text_sets_the_kind_and_date_of_organisational_handling(text, fields):
    reading = classify_text(text, NATIONAL.opinions)
    assert reading.status == FINDING and len(reading.records) == 1
    assert {name: reading.records[0].get(name) for name in fields} == fields


def test_a_negated_organisational_handling_is_never_a_finding():
    assert classify_text("未受到诫勉处理", NATIONAL.opinions).status == UNCLASSIFIED   # a person reads it


def test_an_organisation_department_opinion_makes_o01_review_with_its_date():
    record = {"姓名": "甲", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村",
              "组织部意见": "2025年3月受到诫勉处理"}
    result = vet_records([record], NATIONAL, AS_OF)
    o01 = result.findings[result.findings["rule"] == "O01"]
    assert list(o01["severity"]) == ["review"]
    assert o01["reason"].iloc[0] == "2025-03受到组织处理（诫勉），在24个月回溯期内（至2027-03），须核实是否尚在影响期内"
    assert o01["evidence"].iloc[0].endswith("「组织部意见」（组织部）：2025年3月受到诫勉处理")


@pytest.mark.parametrize("number,flagged", [
    ("810000198006150112", True), ("820000198006150122", True), ("830000198006150116", True),
    ("510525198006150116", False), ("81000019800615011X", False),   # a wrong check character is V01, not V07
])
def test_residence_permit_numbers_are_named_as_a_data_check(number, flagged):
    candidates = candidates_from_records([{"姓名": "甲", "公民身份号码": number}], NATIONAL.fields)
    issues = candidates.issues
    permit = issues[issues["code"] == "V07"]
    assert len(permit) == int(flagged)
    if flagged:
        assert (permit["field"].iloc[0], permit["column"].iloc[0]) == ("id_number", "公民身份号码")
        assert "港澳台居民居住证号码" in permit["problem"].iloc[0]
        assert candidates.frame.loc[0, "id_status"] == "valid"    # a valid number, still usable as the key


def test_a_residence_permit_number_is_review_on_both_engines():
    record = {"姓名": "甲", "公民身份号码": "810000198006150112", "拟任职务": "村委会委员", "村(社区)": "一村"}
    for engine in ("vector", "durable"):
        from vetting.pipeline import record_candidates, run_engine
        result = run_engine(NATIONAL, record_candidates([record], NATIONAL), AS_OF, engine)
        v07 = result.findings[result.findings["rule"] == "V07"]
        assert list(v07["severity"]) == ["review"], engine
        assert "公民身份号码" in v07["evidence"].iloc[0]


def test_two_committee_members_are_on_the_committee_slate_but_not_a_party_post():
    assert "村委会委员" in ROLE_TAGS["两委委员"] and "党组织委员" not in ROLE_TAGS["两委委员"]
    assert "两委委员" in roles_selected(["村委会委员"])
    assert "两委委员" not in roles_selected(["党组织书记", "党组织委员"])
    roles = pd.Series(["两委委员"], dtype="string")
    from vetting.normalize.roles import roles_match
    assert bool(roles_match(roles, ["村委会主任", "村委会委员"]).iloc[0])


def test_a_long_list_of_groups_is_named_ten_at_most():
    from vetting.engine.slate import declared, listing
    frame = pd.DataFrame({"village_minorities": pd.Series(["回族、苗族、回族", "无", "土家族", None], dtype="string")})
    listed = declared(frame, "village_minorities", pd.Series(["甲", "乙", "甲", "丙"]))
    assert listed.to_dict() == {"甲": ("回族", "苗族", "土家族"), "乙": ()}   # 无 lists none; 丙 lists nothing
    many = tuple(f"族{i}" for i in range(1, 13))
    assert listing(many) == "、".join(many[:10]) + "等12个"
