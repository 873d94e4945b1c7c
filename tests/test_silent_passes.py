"""No silent pass on a hard bar (issue #13, items 1-4), beyond the pack cases in
rulesets/tests/national/silent_*.yaml: what agencies' texts give, what each engine says, what is
refused when read, what a data error names, and that date arithmetic never overflows."""

from __future__ import annotations

import datetime as dt
import functools
import warnings

import numpy as np
import pandas as pd
import pytest

from vetting.engine import values as V
from vetting.engine.plausible import implausible_dates
from vetting.fields import INT_BOUNDS, Field, builtin_fields
from vetting.normalize.roster import candidates_from_records
from vetting.pipeline import ENGINES, vet_records
from vetting.ruleset.loader import load_ruleset

NATIONAL = load_ruleset("national")
AS_OF = dt.date(2026, 12, 15)
CLEAN = "经核查，无违法违纪记录"
AGENCIES = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见"]
BORN_1980 = "510525198006150116"   # 1980-06-15: the 18th birthday is 1998-06-15 (the roster's people too)


def _born_1980(sequence: int) -> str:
    """A valid ID number of someone born 1980-06-15 (GB 11643 check character)."""
    body = f"51052519800615{sequence:03d}"
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def _person(sequence: int = 11, **cells) -> dict:
    record = {"姓名": f"甲{sequence}", "公民身份号码": _born_1980(sequence), "拟任职务": "村委会委员", "村(社区)": "一村"}
    return record | {column: CLEAN for column in AGENCIES} | cells


#: Every agency text the tests below weigh, as one roster per engine (one engine call each).
TEXTS = {
    "纪委监委意见": ["2023年12月15日受到留党察看处分", "2023年12月14日受到留党察看处分",
               "2023年12月14日受到留党察看一年处分", "2023年12月14日受到留党察看二年处分",
               "2022年12月14日受到留党察看处分", "2010年3月被开除党籍", "2027年3月受到党内警告处分"],
    "公安机关意见": ["1998年6月14日因盗窃被判处有期徒刑一年", "1998年6月15日因盗窃被判处有期徒刑一年",
               "1998年6月因盗窃被判处有期徒刑一年", "1997年5月被判处拘役三个月"],
}
ROSTER = [(column, text) for column, texts in TEXTS.items() for text in texts]


@functools.lru_cache(maxsize=None)
def _run(engine: str):
    return vet_records([_person(i + 1, **{column: text}) for i, (column, text) in enumerate(ROSTER)], NATIONAL, AS_OF,
                       engine=engine)


def _outcome(column: str, text: str, engine: str) -> tuple[str, dict, dict]:
    result = _run(engine)
    row = ROSTER.index((column, text))
    found = result.findings[result.findings["row_id"] == row]
    return (result.candidates.loc[row, "verdict"], dict(zip(found["rule"], found["severity"])),
            dict(zip(found["rule"], found["reason"])))


# ---------------------------------------------------------------- item 1: 留党察看 without a period

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text,verdict,severity", [
    ("2023年12月15日受到留党察看处分", "disqualified", "disqualify"),   # inside even the shortest 1+2 years
    ("2023年12月14日受到留党察看处分", "pending", "pending"),           # past 1+2, not past 2+2: period awaited
    ("2023年12月14日受到留党察看一年处分", "pass", None),               # stated: one year, 36 months over
    ("2023年12月14日受到留党察看二年处分", "disqualified", "disqualify"),
    ("2022年12月14日受到留党察看处分", "pass", None),                   # past even the longest 2+2 years
])
def test_an_agency_text_without_the_probation_period_is_never_read_as_one_year(engine, text, verdict, severity):
    outcome, severities, reasons = _outcome("纪委监委意见", text, engine)
    assert outcome == verdict, reasons
    assert severities.get("D02") == severity
    if severity == "pending":
        assert "「留党察看期限(月)」" in reasons["D02"]


# ---------------------------------------------------------------- item 2: 开除党籍 beyond five years

@pytest.mark.parametrize("engine", ENGINES)
def test_expulsion_over_five_years_ago_is_review_naming_both_sources(engine):
    outcome, severities, reasons = _outcome("纪委监委意见", "2010年3月被开除党籍", engine)
    assert outcome == "review" and severities == {"D05": "review"}
    rule = NATIONAL.rule("D05")
    basis = rule.basis_text()
    assert "纪律处分条例》（2023年修订）第十三条" in basis and "村民委员会组织法〉的决定》" in basis
    assert "主席令第五十九号" in basis and "2026年1月1日起施行" in basis and "待核实" in basis
    assert "《村民委员会组织法》修改决定" in reasons["D05"]


def test_the_amended_law_applies_from_its_effective_date_a_one_edit_switch():
    param = NATIONAL.parameters["village_law_2025_in_force"]
    assert param.at(AS_OF) == dt.date(2026, 1, 1)
    rule = NATIONAL.rule("D05")
    assert rule.severity == "review" and "$village_law_2025_in_force" in rule.when
    assert "severity 改为 disqualify" in rule.note   # the one edit once the final text is verified


# ---------------------------------------------------------------- item 3: sealed juvenile records

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text,verdict,rules", [
    ("1998年6月14日因盗窃被判处有期徒刑一年", "review", {"C07": "review"}),
    ("1998年6月15日因盗窃被判处有期徒刑一年", "disqualified", {"C01": "disqualify"}),
    ("1998年6月因盗窃被判处有期徒刑一年", "review", {"C01": "review", "C07": "review"}),
])
def test_a_judgment_before_the_18th_birthday_is_never_disqualifying(engine, text, verdict, rules):
    outcome, severities, reasons = _outcome("公安机关意见", text, engine)
    assert (outcome, severities) == (verdict, rules), reasons


def test_the_sealed_record_reason_never_spells_out_the_birth_date():
    _, _, reasons = _outcome("公安机关意见", "1997年5月被判处拘役三个月", "vector")
    assert "年满18周岁之前" in reasons["C07"]
    assert "1998-06-15" not in reasons["C07"] and "1980" not in reasons["C07"]


# ---------------------------------------------------------------- item 4: impossible dates and numbers

@pytest.mark.parametrize("engine", ENGINES)
def test_a_future_date_from_an_agency_text_is_a_data_error_quoting_the_text(engine):
    result, row = _run(engine), ROSTER.index(("纪委监委意见", "2027年3月受到党内警告处分"))
    assert result.candidates.loc[row, "verdict"] == "review"
    found = result.findings[result.findings["row_id"] == row]
    [v06] = found[found["rule"] == "V06"].itertuples()
    assert v06.severity == "review" and "晚于审查基准日2026-12-15" in v06.reason
    assert "纪委监委" in v06.evidence and "2027年3月受到党内警告处分" in v06.evidence


def test_only_dates_surely_outside_birth_and_as_of_are_flagged():
    fields = builtin_fields()
    records = [{"公民身份号码": BORN_1980, "党纪处分日期": text} for text in
               ("2026年", "2026年12月", "2027年", "1980年", "1980年6月14日", "1979年", "")]
    candidates = candidates_from_records(records, fields)
    birth = np.full(len(records), np.datetime64("1980-06-15"))
    issues = implausible_dates(candidates, fields, AS_OF, birth, birth)
    assert issues["row_id"].tolist() == [2, 4, 5] and set(issues["code"]) == {"V06"}
    assert issues["column"].tolist() == ["党纪处分日期"] * 3
    assert "晚于审查基准日" in issues["problem"][0] and "早于本人出生日期" in issues["problem"][1]


def test_an_end_date_may_lie_ahead():
    fields = builtin_fields()
    assert fields["sentence_end_date"].may_follow_as_of and not fields["criminal_date"].may_follow_as_of
    candidates = candidates_from_records([{"刑罚执行完毕日期": "2030-01-01"}], fields)
    birth = np.array([np.datetime64("1980-06-15")])
    assert implausible_dates(candidates, fields, AS_OF, birth, birth).empty


@pytest.mark.parametrize("text,value,problem", [
    ("12", 12, None), ("24", 24, None), ("18", 18, None),
    ("1", None, "超出合理范围（应为12至24之间的整数）"),
    ("36", None, "超出合理范围"),
    ("99999999999999999999", None, "超出合理范围"),
    ("1e18", None, "超出合理范围"),
    ("-12", None, "超出合理范围"),
    ("一年半", None, "应为整数"),
])
def test_the_probation_period_is_refused_when_read_outside_one_to_two_years(text, value, problem):
    candidates = candidates_from_records([{"留党察看期限(月)": text}], builtin_fields())
    read = candidates.frame["party_probation_months"].iloc[0]
    assert (None if pd.isna(read) else read) == value
    if problem is None:
        assert candidates.issues.empty
    else:
        [issue] = candidates.issues.itertuples()
        assert issue.code == "V05" and issue.column == "留党察看期限(月)" and problem in issue.problem


def test_an_int_field_without_bounds_still_refuses_absurd_numbers():
    field = Field("household_size", "家庭人口", "int")
    assert field.int_bounds() == INT_BOUNDS
    candidates = candidates_from_records([{"家庭人口": "5"}, {"家庭人口": "1000000000000000000"}],
                                         {"household_size": field})
    assert candidates.frame["household_size"].iloc[0] == 5
    assert candidates.issues["row_id"].tolist() == [1] and candidates.issues["code"].tolist() == ["V05"]


def test_a_pack_adding_header_aliases_keeps_the_catalogue_bounds(tmp_path):
    pack = tmp_path / "county.yaml"
    pack.write_text("schema_version: 1\nid: county\ntitle: 县\nversion: '1'\nextends: national\n"
                    "fields:\n  party_probation_months:\n    label: 留党察看期限(月)\n    type: int\n"
                    "    aliases: [察看期限]\n", encoding="utf-8")
    field = load_ruleset(str(pack)).fields["party_probation_months"]
    assert field.bounds == (12, 24) and "察看期限" in field.aliases


@pytest.mark.parametrize("shift,amount", [(V.add_months, a) for a in (1e15, 1e18, 1e20, -1e20, 120_001, np.inf)]
                         + [(V.add_days, a) for a in (1e18, 1e20, -1e20, 3_700_000, -np.inf)])
def test_month_and_day_shifts_saturate_instead_of_overflowing(shift, amount):
    dates = np.array(["2020-01-31", "NaT", "9999-12-01"], dtype="datetime64[D]")
    edge = V.MAX_DATE if amount > 0 else V.MIN_DATE
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # numpy's "invalid value encountered in cast" fails the test
        out = shift(dates, np.full(3, amount))
    assert out[0] == edge and np.isnat(out[1]) and out[2] == edge


def test_shifts_within_the_calendar_are_unchanged_and_clipped_at_its_ends():
    dates = np.array(["2020-01-31", "2024-02-29", "9999-12-01", "0001-02-01"], dtype="datetime64[D]")
    assert V.add_months(dates, np.array([1, 12, 1, -2])).tolist() == [
        dt.date(2020, 2, 29), dt.date(2025, 2, 28), dt.date(9999, 12, 31), dt.date(1, 1, 1)]
    assert V.add_days(dates[:2], np.array([1, -1])).tolist() == [dt.date(2020, 2, 1), dt.date(2024, 2, 28)]
