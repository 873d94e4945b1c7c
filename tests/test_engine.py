"""The vectorised engine: each operator of the condition language, three-valued logic, verdict roll-up."""

from __future__ import annotations

import datetime as dt

import pytest

from vetting.normalize.idcard import check_char
from vetting.pipeline import vet_records
from vetting.ruleset.loader import load_ruleset

AS_OF = dt.date(2026, 12, 15)
# Valid ID numbers (GB 11643 check characters) with known birth dates and sexes.
def _fix(id17: str) -> str:
    """A valid ID number from its first 17 digits (check character tested in test_normalize_idcard)."""
    return id17 + check_char(id17)


ID_1990_M = _fix("51052519900101001")
ID_2008_12_15 = _fix("51052520081215001")
ID_2008_12_16 = _fix("51052520081216001")


def outcome(ruleset_path, **fields):
    """Verdict and T01 findings for one candidate given as field=value."""
    record = {"name": "张三", "id_number": ID_1990_M, "role": "村委会委员", "village": "平丰村", **fields}
    result = vet_records([record], load_ruleset(ruleset_path), AS_OF, coverage="strict")
    rows = result.findings[result.findings["rule"] == "T01"]
    return result.candidates.loc[0, "verdict"], list(rows["severity"]), list(rows["reason"])


@pytest.mark.parametrize("when,fields,expected", [
    ("age < 18", {"id_number": ID_2008_12_16}, "disqualified"),
    ("age < 18", {"id_number": ID_2008_12_15}, "pass"),
    ("age <= 17", {"id_number": ID_2008_12_15}, "pass"),
    ("age > 36", {}, "pass"),
    ("age >= 36", {}, "disqualified"),
    ("age == 36", {}, "disqualified"),
    ("age != 36", {}, "pass"),
    ("party_sanction == \"警告\"", {"party_sanction": "党内警告"}, "disqualified"),
    ("party_sanction in [\"警告\", \"严重警告\"]", {"party_sanction": "严重警告"}, "disqualified"),
    ("party_sanction not in [\"警告\", \"严重警告\"]", {"party_sanction": "无"}, "disqualified"),
    ("dishonest_debtor == true", {"dishonest_debtor": "是"}, "disqualified"),
    ("dishonest_debtor == true", {"dishonest_debtor": "否"}, "pass"),
    ("not dishonest_debtor", {"dishonest_debtor": "否"}, "disqualified"),
    ("dishonest_debtor or long_absence", {"dishonest_debtor": "否", "long_absence": "是"}, "disqualified"),
    ("dishonest_debtor and long_absence", {"dishonest_debtor": "是", "long_absence": "否"}, "pass"),
    ("education < 4", {"education": "高中"}, "disqualified"),
    ("education >= 4", {"education": "全日制大专"}, "disqualified"),
    ("age + 1 > 36", {}, "disqualified"),
    ("age - 1 < 36", {}, "disqualified"),
    ("-age < -35", {}, "disqualified"),
    ("blank(phone)", {}, "disqualified"),
    ("present(phone)", {"phone": "13800000000"}, "disqualified"),
    ("coalesce(party_probation_months, 12) == 12", {}, "disqualified"),
    ("party_join_date < date(\"2020-01-01\")", {"party_join_date": "2019-06"}, "disqualified"),
    ("party_join_date + 1 years > as_of", {"party_join_date": "2026-06-01"}, "disqualified"),
    ("party_join_date - 30 days < date(\"2026-05-01\")", {"party_join_date": "2026-05-20"}, "disqualified"),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2025-12-15"}, "disqualified"),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2025-12-14"}, "pass"),
    ("within(party_sanction_date, 365 days)", {"party_sanction_date": "2025-12-15"}, "disqualified"),
    ("within(party_sanction_date, 1 years)", {"party_sanction_date": "2025-12-16"}, "disqualified"),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2027-01-01"}, "review"),  # V06: after as-of
])
def test_each_operator(make_ruleset, when, fields, expected):
    verdict, _, _ = outcome(make_ruleset(when), **fields)
    assert verdict == expected


def test_month_end_arithmetic_follows_civil_law(make_ruleset):
    # 2026-06-30 + 6 months = 2026-12-30; 2026-08-31 - ... ; 2024-02-29 + 12 months = 2025-02-28.
    path = make_ruleset("within(party_sanction_date, 6 months)")
    assert outcome(path, party_sanction_date="2026-06-15")[0] == "disqualified"
    assert outcome(path, party_sanction_date="2026-06-14")[0] == "pass"
    leap = make_ruleset("within(party_sanction_date, 12 months)")
    result = vet_records([{"name": "甲", "id_number": ID_1990_M, "role": "村委会委员", "village": "村",
                           "party_sanction_date": "2024-02-29"}], load_ruleset(leap), dt.date(2025, 2, 28))
    assert result.candidates.loc[0, "verdict"] == "disqualified"
    result = vet_records([{"name": "甲", "id_number": ID_1990_M, "role": "村委会委员", "village": "村",
                           "party_sanction_date": "2024-02-29"}], load_ruleset(leap), dt.date(2025, 3, 1))
    assert result.candidates.loc[0, "verdict"] == "pass"


def test_blank_fact_is_pending_not_pass(make_ruleset):
    verdict, severities, reasons = outcome(make_ruleset("dishonest_debtor == true"))
    assert verdict == "pending" and severities == ["pending"]
    assert "失信被执行人" in reasons[0]


def test_month_precise_date_on_the_boundary_is_review(make_ruleset):
    path = make_ruleset("within(party_sanction_date, 12 months)")
    verdict, severities, reasons = outcome(path, party_sanction_date="2025年12月")
    assert verdict == "review" and "仅为2025-12" in reasons[0]
    assert outcome(path, party_sanction_date="2025年11月")[0] == "pass"
    assert outcome(path, party_sanction_date="2026年1月")[0] == "disqualified"


def test_kleene_logic_false_and_unknown_is_false(make_ruleset):
    path = make_ruleset("party_sanction == \"警告\" and within(party_sanction_date, 12 months)")
    assert outcome(path, party_sanction="无")[0] == "pass"
    assert outcome(path, party_sanction="警告")[0] == "pending"


def test_roles_limit_where_a_rule_applies(make_ruleset):
    path = make_ruleset("political_status != \"中共党员\"", roles=["党组织书记"])
    assert outcome(path, political_status="群众", role="村委会委员")[0] == "pass"
    assert outcome(path, political_status="群众", role="党组织书记")[0] == "disqualified"
    assert outcome(path, political_status="群众", role="书记兼主任")[0] == "disqualified"


def test_reason_template_fills_actual_values(make_ruleset):
    path = make_ruleset("within(party_sanction_date, $m months)", params={"m": 18},
                        reason="{party_sanction_date}起{$m months}，至{party_sanction_date + $m months}，年龄{age}")
    _, _, reasons = outcome(path, party_sanction_date="2025-10-08")
    assert reasons == ["2025-10-08起18个月，至2027-04-08，年龄36"]


def test_mapping_parameter_and_forever(make_ruleset):
    path = make_ruleset("within(gov_sanction_date, $m[gov_sanction] months)",
                        params={"m": {"警告": 6, "开除": "forever"}},
                        reason="{$m[gov_sanction] months}")
    verdict, _, reasons = outcome(path, gov_sanction="开除", gov_sanction_date="1990-01-01")
    assert verdict == "disqualified" and reasons == ["永久"]
    assert outcome(path, gov_sanction="警告", gov_sanction_date="2026-01-01")[0] == "pass"


def test_weak_identity_never_disqualifies(make_ruleset):
    path = make_ruleset("dishonest_debtor == true")
    verdict, severities, reasons = outcome(path, id_number="510525199001010010", dishonest_debtor="是")
    assert verdict == "review" and severities == ["review"]
    assert "降为人工复核" in reasons[0]


def test_notice_never_changes_verdict(make_ruleset):
    verdict, severities, _ = outcome(make_ruleset("age > 30", severity="notice"))
    assert verdict == "pass" and severities == ["notice"]


@pytest.mark.parametrize("severities,expected", [
    ([], "pass"),
    (["notice"], "pass"),
    (["pending", "notice"], "pending"),
    (["review", "pending"], "review"),
    (["unsuitable", "review"], "unsuitable"),
    (["disqualify", "unsuitable", "pending"], "disqualified"),
])
def test_verdict_rollup_takes_the_worst(severities, expected):
    import pandas as pd

    from vetting.engine.verdicts import verdicts
    findings = pd.DataFrame({"row_id": [0] * len(severities), "severity": severities})
    assert list(verdicts(2, findings)) == [expected, "pass"]


def test_every_row_appears_once_even_when_broken():
    rules = load_ruleset("national")
    records = [{"姓名": "甲", "公民身份号码": "abc", "拟任职务": "委员", "村(社区)": "一村"},
               {"姓名": "", "公民身份号码": "", "拟任职务": "", "村(社区)": ""},
               {"姓名": "乙", "公民身份号码": ID_1990_M, "拟任职务": "外星职务", "村(社区)": "二村",
                "出生年月": "去年"}]
    result = vet_records(records, rules, AS_OF)
    # the all-blank record is skipped and counted, the others are present exactly once
    assert list(result.candidates["name"]) == ["甲", "乙"]
    assert result.meta["blank_rows_skipped"] == 1
    assert set(result.candidates["verdict"]) == {"review"}
    codes = set(result.findings["rule"])
    assert {"V01", "V05"} <= codes
