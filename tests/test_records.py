"""Every record an agency gives is weighed: records laid out beside the candidates' own rows
(vetting.normalize.records.expand), rules run over all of them, findings united per candidate
(vetting.engine.assemble), on both engines; the binding record counts wherever it stands."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES, plain_findings
from vetting.engine.records import Layout
from vetting.normalize.records import Records, evidence_objects, expand
from vetting.normalize.roster import candidates_from_records
from vetting.pipeline import ReadOptions, load_candidates, run_engine, vet_records
from vetting.result import FINDING_COLUMNS
from vetting.ruleset.loader import load_ruleset

NATIONAL = load_ruleset("national")
AS_OF = dt.date(2026, 12, 15)
BAD = FIXTURES / "bad"
CLEAN = "经核查，无违法违纪记录"
AGENCY_COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见"]
BINDING_FIRST = "2025年3月受到撤销党内职务处分；2025年6月受到党内警告处分"   # 撤销 binds to 2027-03, 警告 expired 2026-06
BINDING_LAST = "2025年6月受到党内警告处分；2025年3月受到撤销党内职务处分"


def _person(name: str, ident: str, **opinions: str) -> dict[str, str]:
    record = {"姓名": name, "公民身份号码": ident, "拟任职务": "村委会委员", "村(社区)": "一村",
              "性别": "男", "最近一次考核": "称职", "前一次考核": "称职"}
    return record | {c: CLEAN for c in AGENCY_COLUMNS} | opinions


def _candidates(records: list[dict[str, str]]):
    return candidates_from_records(records, NATIONAL.fields, NATIONAL.required_fields)


def _with(candidates, owner, columns, weak=None, evidence=None):
    owner = np.asarray(owner, dtype=np.int64)
    records = Records(owner=owner, columns={k: np.array(v, dtype=object) for k, v in columns.items()},
                      evidence=np.array(evidence or [f"记录{i}" for i in range(len(owner))], dtype=object),
                      weak=np.asarray(weak if weak is not None else [False] * len(owner), dtype=bool))
    return replace(candidates, records=records)


# ---------------------------------------------------------------- expansion

def test_without_records_the_candidates_are_evaluated_as_they_are():
    candidates = _candidates([_person("甲", "510525198001010018")])
    rows, owner, named = expand(candidates, NATIONAL.fields)
    assert rows is candidates and owner.tolist() == [0] and named == {}


def test_each_record_is_its_candidates_row_with_the_records_fields_set():
    people = [_person("甲", "510525198001010018"), _person("乙", "510525198502020046")]
    candidates = _candidates(people)
    candidates = _with(candidates, [1, 1], {"party_sanction": ["撤销党内职务", "警告"],
                                            "party_sanction_date": ["2025年3月", "2025-06-01"]},
                       weak=[False, True])
    rows, owner, named = expand(candidates, NATIONAL.fields)
    assert owner.tolist() == [0, 1, 1, 1] and len(rows) == 4
    assert named["party_sanction"].tolist() == [False, False, True, True]
    assert rows.frame["party_sanction"].tolist()[2:] == ["撤销党内职务", "警告"]
    assert pd.isna(rows.frame["party_sanction"].iloc[0]) and pd.isna(rows.frame["party_sanction"].iloc[1])
    lo = rows.frame["party_sanction_date__lo"]
    assert lo.iloc[2] == pd.Timestamp("2025-03-01") and lo.iloc[3] == pd.Timestamp("2025-06-01")
    assert rows.frame["name"].tolist() == ["甲", "乙", "乙", "乙"]            # everything else is the owner's
    assert evidence_objects(rows.provenance["party_sanction"]).tolist() == [None, None, "记录0", "记录1"]
    assert rows.weak["party_sanction"].tolist() == [False, False, False, True]   # the weak record only
    assert "age" not in rows.weak and "name" not in rows.provenance
    assert len(candidates) == 2 and candidates.records is not None           # the input is left alone


def test_a_record_never_borrows_another_records_cells():
    """A record that names a date it does not state has no date, even when the roster's own row has one."""
    candidates = _candidates([_person("甲", "510525198001010018", 党纪处分="警告", 党纪处分日期="2025-06-01")])
    candidates = _with(candidates, [0], {"party_sanction": ["撤销党内职务"], "party_sanction_date": [""]})
    rows = expand(candidates, NATIONAL.fields).rows
    assert rows.frame["party_sanction"].tolist() == ["警告", "撤销党内职务"]
    assert rows.frame["party_sanction_date__lo"].iloc[0] == pd.Timestamp("2025-06-01")
    assert pd.isna(rows.frame["party_sanction_date__lo"].iloc[1])


def test_an_unreadable_value_in_a_record_is_a_data_problem_quoting_the_record():
    candidates = _candidates([_person("甲", "510525198001010018")])
    candidates = _with(candidates, [0], {"party_sanction_date": ["2025年13月"]}, evidence=["纪委回复第2行"])
    rows, owner, _ = expand(candidates, NATIONAL.fields)
    problems = rows.issues[rows.issues["field"] == "party_sanction_date"]
    assert problems["row_id"].tolist() == [1] and problems["evidence"].tolist() == ["纪委回复第2行"]
    assert owner[1] == 0


# ---------------------------------------------------------------- reduction

def test_findings_are_united_per_candidate_each_once():
    candidates = _with(_candidates([_person("甲", "510525198001010018"), _person("乙", "510525198502020046")]),
                       [1], {"party_sanction": ["警告"]})
    layout = Layout(candidates, NATIONAL.fields)   # rows 0, 1 and 2 (a record of candidate 1)
    findings = pd.DataFrame({"row_id": [0, 1, 0, 1, 2, 2], "rule": ["A", "A", "B", "B", "B", "B"],
                             "rule_name": "", "severity": ["review", "review", "pending", "pending", "pending", "review"],
                             "reason": "r", "evidence": ["e", "e", "e0", "e0", "e0", "e1"],
                             "basis": ""})[FINDING_COLUMNS]
    united = layout.once(pd.concat(layout.findings([findings]), ignore_index=True))
    assert united[["row_id", "rule", "severity", "evidence"]].values.tolist() == [
        [0, "A", "review", "e"], [0, "B", "pending", "e0"], [1, "A", "review", "e"], [1, "B", "pending", "e0"],
        [1, "B", "review", "e1"]]


def test_a_record_row_counts_only_for_rules_reading_what_it_names():
    candidates = _with(_candidates([_person("甲", "510525198001010018")]), [0, 0],
                       {"party_sanction": ["警告", None], "birth_date": [None, "1980.01"]})
    layout = Layout(candidates, NATIONAL.fields)
    by_code = {rule.code: rule for rule in NATIONAL.rules}
    assert layout.rule_rows(by_code["D01"]).tolist() == [True, True, False]
    assert layout.rule_rows(by_code["C05"]).tolist() == [True, False, False]
    assert layout.rule_rows(by_code["C01"]).tolist() == [True, False, True]   # C01 reads the birth date (C07)
    assert layout.touching(["age"]).tolist() == [True, False, True]      # age is derived from 出生年月


@pytest.mark.parametrize("text", [BINDING_FIRST, BINDING_LAST])
def test_the_binding_sanction_in_an_opinion_counts_wherever_it_stands(text):
    result = vet_records([_person("甲", "510525198001010018", 纪委监委意见=text)], NATIONAL, AS_OF)
    d01 = result.findings[result.findings["rule"] == "D01"]
    assert result.candidates.loc[0, "verdict"] == "disqualified"
    assert d01["severity"].tolist() == ["disqualify"] and "撤销党内职务" in d01["reason"].iloc[0]
    assert "其中一项：党纪处分=撤销党内职务，党纪处分日期=2025年3月" in d01["evidence"].iloc[0]


def test_a_finding_no_record_changes_is_reported_once():
    """Age and data checks read only the candidate's own cells: one finding, not one per record."""
    young = _person("甲", "510525201001010012", 纪委监委意见=BINDING_FIRST)
    result = vet_records([young], NATIONAL, AS_OF)
    codes = result.findings["rule"].tolist()
    assert codes.count("A01") == 1 and codes.count("D01") == 1
    assert not result.findings.duplicated().any()


def test_an_expired_record_and_a_blank_one_keep_their_own_findings():
    """An undated record is pending on its own; the expired one adds nothing; the verdict is the worst."""
    text = "2025年6月受到党内警告处分；受到党内严重警告处分"
    result = vet_records([_person("甲", "510525198001010018", 纪委监委意见=text)], NATIONAL, AS_OF)
    d01 = result.findings[result.findings["rule"] == "D01"]
    assert d01["severity"].tolist() == ["pending"] and "党纪处分日期" in d01["reason"].iloc[0]
    assert result.candidates.loc[0, "verdict"] == "pending"


# ---------------------------------------------------------------- replies, through the pipeline

FIXTURE_REPLIES = (("纪委监委", str(BAD / "records_discipline.csv")), ("公安", str(BAD / "records_police.csv")))


@functools.lru_cache(maxsize=None)
def _fixture_run(engine: str = "vector", replies: tuple = FIXTURE_REPLIES):
    """The records fixture vetted once per engine and set of replies (results are not changed by tests)."""
    candidates = load_candidates([str(BAD / "records_roster.csv")], NATIONAL, ReadOptions(replies=list(replies)))
    return run_engine(NATIONAL, candidates, AS_OF, engine, generated_at="2026-12-15T00:00:00")


def _reply_run(tmp_path, engine="vector", replies=None):
    return _fixture_run(engine, FIXTURE_REPLIES if replies is None else tuple(replies))


def _by_name(result):
    names = result.candidates.set_index("row_id")["name"]
    return {name: result.findings[result.findings["row_id"].map(names) == name] for name in names}


@pytest.mark.parametrize("order", [1, -1])
def test_two_rows_of_one_reply_on_one_person_are_both_weighed(tmp_path, order):
    path = tmp_path / "纪委.csv"
    lines = (BAD / "records_discipline.csv").read_text(encoding="utf-8").splitlines()
    zhou = [line for line in lines if "周甲" in line]
    path.write_text("\n".join([lines[0], *zhou[::order]]) + "\n", encoding="utf-8")
    result = _reply_run(tmp_path, replies=[("纪委监委", str(path))])
    d01 = _by_name(result)["周甲"].query("rule == 'D01'")
    assert d01["severity"].tolist() == ["disqualify"]
    assert "撤销党内职务处分（日期：2025-03-10）（文号：县纪发〔2025〕3号）" in d01["evidence"].iloc[0]
    assert f"第{3 if order == 1 else 2}行" in d01["evidence"].iloc[0]


def test_records_of_two_agencies_and_the_rosters_own_cells_are_all_weighed(tmp_path):
    found = _by_name(_reply_run(tmp_path))
    assert found["郑丙"].query("rule == 'C05'")["evidence"].str.contains("records_police.csv 第2行").all()
    assert found["王丁"].query("rule == 'D01'")["evidence"].str.contains("「党纪处分」=撤销党内职务").all()


def test_a_name_only_record_never_disqualifies_and_leaves_the_id_matched_record_alone(tmp_path):
    feng = _by_name(_reply_run(tmp_path))["冯戊"].set_index("rule")
    assert feng.loc["D01", "severity"] == "review" and "降为人工复核" in feng.loc["D01", "reason"]
    assert feng.loc["C05", "severity"] == "unsuitable"


def test_candidates_without_records_and_the_slate_are_unchanged_by_others_records(tmp_path):
    with_records = _reply_run(tmp_path)
    without = _reply_run(tmp_path, replies=[])
    chen = [r["row_id"] for _, r in with_records.candidates.iterrows() if r["name"] == "陈己"]
    assert plain_findings(with_records.findings[with_records.findings["row_id"].isin(chen)].reset_index(drop=True)).equals(
        plain_findings(without.findings[without.findings["row_id"].isin(chen)].reset_index(drop=True)))
    pd.testing.assert_frame_equal(with_records.villages, without.villages)
    assert "G01" not in set(with_records.findings["rule"])   # a person with records is still one person


def test_both_engines_agree_on_candidates_with_several_records(tmp_path):
    vector, durable = _reply_run(tmp_path, "vector"), _reply_run(tmp_path, "durable")
    pd.testing.assert_frame_equal(vector.findings, durable.findings)
    pd.testing.assert_frame_equal(vector.candidates, durable.candidates)
    people = [_person("甲", "510525198001010018", 纪委监委意见=BINDING_LAST),
              _person("乙", "510525198502020046",
                      公安机关意见="2016年3月因吸毒被行政拘留五日，2025年8月因吸毒被行政拘留十日"),
              _person("丙", "510525197903030072")]
    a, b = (vet_records(people, NATIONAL, AS_OF, engine=e) for e in ("vector", "durable"))
    pd.testing.assert_frame_equal(a.findings, b.findings)
    assert a.candidates["verdict"].tolist()[:2] == ["disqualified", "unsuitable"]
