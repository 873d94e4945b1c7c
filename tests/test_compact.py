"""Findings and data whose cost does not grow with their text (#14, item 1).

fixtures/compact/pending_roster.csv is a roster before the agencies reply (bench/generate.py,
shape (b), 240 candidates, seed 14): ten opinion columns, mostly blank or 未反馈, no fact columns.
Nearly every candidate is awaited by nearly every agency. The tests check the structures that
keep this compact: an agency's silence (J01) is a mask, not an issue row per candidate; unmapped
columns and the agencies' evidence are categoricals; text columns share one string per distinct
text. Whether reports stay byte for byte what they were is checked by the golden reports
(tests/test_reports.py) and by tests/test_chunked.py; here, that the J01 rows a slice renders
are the whole run's, with the text they always had.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, plain_findings
from vetting.engine.assemble import evaluate, plan
from vetting.engine.coverage import assess, resolve_mode
from vetting.engine.findings import SHARED_COLUMNS, concat_findings, shared
from vetting.engine.text import joined
from vetting.engine.vector import vector_decide
from vetting.inputs import RawTable
from vetting.normalize.roster import normalise_tables
from vetting.normalize.silence import SILENT_CODE
from vetting.pipeline import ReadOptions, load_candidates
from vetting.ruleset.loader import load_ruleset

ROSTER = ROOT / "fixtures" / "compact" / "pending_roster.csv"
AS_OF = dt.date(2026, 12, 15)
AGENCY_COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见",
                  "政法委意见", "统战部意见", "民政局意见", "自然资源局意见", "农业农村局意见"]


@pytest.fixture(scope="module")
def candidates(national):
    return load_candidates([str(ROSTER)], national, ReadOptions())


@pytest.fixture(scope="module")
def decided(national, candidates):
    return plan(national, candidates, AS_OF, vector_decide, assess(national, candidates, resolve_mode(None, national)))


def test_an_agencys_silence_is_a_mask_not_an_issue_row_per_candidate(candidates):
    n = len(candidates)
    assert not candidates.issues["code"].eq(SILENT_CODE).any()
    blocks = candidates.silence.blocks
    assert {b.column for b in blocks} == set(AGENCY_COLUMNS)
    for block in blocks:
        assert block.owed.dtype == bool and block.owed.shape == (n,)
        assert isinstance(block.problem, pd.Categorical) and len(block.problem) == n
        # the problem's texts: "意见为空" and each distinct quoted cell, not one string per candidate
        assert len(block.problem.categories) <= 3
        assert block.owed.nbytes + block.problem.codes.nbytes <= 2 * n
    # the fixture does what it claims: most candidates are awaited by most agencies
    assert len(candidates.silence) > 5 * n


def test_the_plan_holds_no_rendered_j01(decided, candidates):
    assert not decided.issues["code"].eq(SILENT_CODE).any()
    assert decided.issue_count() == len(decided.issues) + len(candidates.silence)
    for code, mask in decided.unchecked:
        assert isinstance(code, str) and mask.dtype == bool


def test_j01_rows_rendered_per_slice_are_the_whole_runs_with_their_text(decided, candidates):
    whole, _ = decided.findings()
    silent = whole[whole["rule"] == SILENT_CODE].reset_index(drop=True)
    assert len(silent) == len(candidates.silence)
    n = len(candidates)
    sliced = concat_findings([decided.findings(lo, min(n, lo + 37))[0] for lo in range(0, n, 37)])
    by_candidate = [plain_findings(part.sort_values("row_id", kind="stable", ignore_index=True))  # each one's in order
                    for part in (sliced[sliced["rule"] == SILENT_CODE], silent)]
    pd.testing.assert_frame_equal(*by_candidate)
    # the text each J01 always had: the column, what it says, who owes the answer, where it is
    extra = candidates.extra
    row = int(np.flatnonzero(extra["纪委监委意见"].astype(object).to_numpy() == "")[0])
    blank = silent[(silent["row_id"] == row) & (silent["rule_name"] == "纪委监委尚未反馈")]
    assert blank["reason"].tolist() == ["「纪委监委意见」：意见为空：纪委监委尚未反馈联审意见；待其意见判定："
                                        "D01 党纪处分影响期未满、D02 留党察看期间或期满未满两年、D03 政务处分期内、"
                                        "D04 正在接受纪律审查或监察调查、"
                                        "D05 被开除党籍已满五年（组织法修改后的候选人条件待核实）"]
    assert blank["severity"].tolist() == ["pending"]
    assert blank["evidence"].tolist() == [f"pending_roster.csv 第{row + 2}行「纪委监委意见」列"]
    row = int(np.flatnonzero(extra["公安机关意见"].astype(object).to_numpy() == "未反馈")[0])
    said = silent[(silent["row_id"] == row) & (silent["rule_name"] == "公安尚未反馈")]
    assert said["reason"].str.startswith("「公安机关意见」：「未反馈」：公安尚未反馈联审意见；待其意见判定：").all()
    assert said["reason"].str.contains("C04 涉邪教或组织参与非法宗教活动").all()


def test_a_candidates_j01_keep_the_agencies_order(national, candidates):
    result = evaluate(national, candidates, AS_OF, vector_decide)
    silent = result.findings[result.findings["rule"] == SILENT_CODE]
    first = int(silent["row_id"].iloc[0])
    names = silent.loc[silent["row_id"] == first, "rule_name"].str.removesuffix("尚未反馈").tolist()
    order = list(national.agencies)
    assert names == sorted(names, key=order.index)


def test_unmapped_columns_are_categoricals_or_arrow_strings(candidates):
    extra = candidates.extra
    for header in AGENCY_COLUMNS:
        assert isinstance(extra[header].dtype, pd.CategoricalDtype), header
        assert "" in extra[header].cat.categories           # blank cells stay "", never NA
    assert extra["序号"].dtype == "str"                     # distinct texts: no categorical of them all


def test_unmapped_cells_that_are_not_text_stay_as_read(national):
    frame = pd.DataFrame({"姓名": ["甲", "乙", "丙", "丁"], "备注": [1, "x", None, "x"], "说明": ["a", "a", None, "a"]})
    table = RawTable(path="t.xlsx", sha256="", frame=frame, source_rows=np.arange(2, 6), header_row=1,
                     skipped=np.zeros(4, dtype=bool))   # a reader gives text; a caller may not
    extra = normalise_tables([table], national.fields).extra
    assert extra["备注"].dtype == object and extra["备注"].tolist() == [1, "x", "", "x"]
    assert isinstance(extra["说明"].dtype, pd.CategoricalDtype) and extra["说明"].tolist() == ["a", "a", "", "a"]


def test_agency_evidence_is_kept_as_categoricals():
    ruleset = load_ruleset("national")
    joint = ROOT / "fixtures" / "joint"
    candidates = load_candidates([str(joint / "opinions_roster.csv")], ruleset,
                                 ReadOptions(replies=(("公安", str(joint / "replies" / "police.csv")),)))
    assert candidates.provenance
    for name, evidence in candidates.provenance.items():
        assert isinstance(evidence, pd.Categorical), name
        assert len(evidence.categories) < len(evidence)


def test_text_columns_share_one_string_per_distinct_text(decided):
    vec = decided.evaluator.columns.get("political_status")
    values = [v for v in vec.lo if v is not None]
    assert len(values) > 100 and len({id(v) for v in values}) == len(set(values))


@settings(max_examples=200, deadline=None)
@given(columns=st.lists(st.lists(st.sampled_from(["", "纪委监委", "公安", "「未反馈」", "x"]), min_size=3, max_size=3),
                        min_size=1, max_size=3).map(lambda cols: [np.array(c, dtype=object) for c in cols]),
       glue=st.sampled_from(["", "：", "「"]))
def test_joined_texts_are_the_elementwise_concatenation_made_once_per_combination(columns, glue):
    out = joined(glue, *columns)
    assert out.tolist() == [glue + "".join(parts) for parts in zip(*columns)]
    assert len({id(text) for text in out}) == len(set(zip(*columns)))


def test_a_j01_finding_shares_its_name_with_every_candidate_owed_by_the_same_agency(decided):
    """Nine J01 findings per candidate on a roster before the replies: their names ("公安尚未反馈")
    are one category per agency, not a text per finding (the reasons are Arrow text)."""
    findings, _ = decided.findings()
    silent = findings[findings["rule"] == SILENT_CODE]
    assert len(silent) > 1000
    assert isinstance(silent["rule_name"].dtype, pd.CategoricalDtype)
    assert silent["rule_name"].nunique() == len(AGENCY_COLUMNS)


def test_a_findings_rule_name_severity_and_basis_are_categories_of_the_distinct_texts(decided):
    """Every finding names its rule, severity and legal basis: a code into the column's distinct
    texts (sorted, so that the column sorts as its texts), not a copy of a long legal basis per
    finding; the rules' own findings as well as the agencies' silence (J01)."""
    findings, _ = decided.findings()
    assert len(findings) > 1000 and findings["rule"].ne(SILENT_CODE).sum() > 3
    for column in SHARED_COLUMNS:
        values = findings[column]
        assert isinstance(values.dtype, pd.CategoricalDtype), column
        categories = list(values.cat.categories)
        assert categories == sorted(set(values.astype(object))), column


def test_findings_put_together_keep_their_texts_and_categories():
    """Findings frames of different categories put one under another (a slice's data, silence,
    rules and group findings) keep every text and stay categorical; plain text parts are taken in."""
    one, both_rows = np.zeros(2, dtype=int), np.array([0, 1])
    first = pd.DataFrame({"row_id": [0, 1], "rule": shared(["C01", "A07"], both_rows),
                          "rule_name": shared(["甲", "乙"], both_rows), "severity": shared(["review"], one),
                          "reason": ["r0", "r1"], "evidence": ["e0", "e1"], "basis": shared(["依据"], one)})
    second = pd.DataFrame({"row_id": [2], "rule": ["B02"], "rule_name": ["丙"], "severity": ["pending"],
                           "reason": ["r2"], "evidence": ["e2"], "basis": ["依据二"]})
    both = concat_findings([first, pd.DataFrame(columns=first.columns), second])
    assert both["rule"].tolist() == ["C01", "A07", "B02"] and both["severity"].tolist() == ["review", "review", "pending"]
    assert both["basis"].tolist() == ["依据", "依据", "依据二"] and both["reason"].tolist() == ["r0", "r1", "r2"]
    for column in SHARED_COLUMNS:
        assert list(both[column].cat.categories) == sorted(set(both[column].astype(object))), column
    assert both["rule"].sort_values().tolist() == ["A07", "B02", "C01"]
    assert concat_findings([]).empty and concat_findings([second])["rule"].tolist() == ["B02"]
    unnamed = second.assign(rule_name=[None])       # a missing text stays missing
    assert concat_findings([first, unnamed])["rule_name"].tolist()[2] is np.nan


def test_repeated_cells_refer_to_one_value():
    from vetting.objarrays import repeated

    cells = repeated("中共中央、国务院《关于加强基层治理体系和治理能力现代化建设的意见》", 1000)
    assert cells.dtype == object and len(cells) == 1000 and len({id(c) for c in cells}) == 1
    assert repeated((1, 2), 2).tolist() == [(1, 2), (1, 2)] and len(repeated("x", 0)) == 0


def test_the_summary_lists_the_agencies_owed_in_the_packs_order_whether_or_not_anyone_has_records(national):
    """The 汇总 sheet's J01 rows (one per agency still owing answers) come in the order the pack
    lists its agencies, as they do in a run without records: a candidate with records (an agency
    text reporting a sanction) no longer reorders them by who happens to come first."""
    from vetting.pipeline import vet_records
    from vetting.reports.common import summary_table

    def person(k: int, discipline: str, police: str) -> dict:
        return {"姓名": f"人{k}", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村",
                "纪委监委意见": discipline, "公安机关意见": police, "人民法院意见": "无"}

    order = {name: i for i, name in enumerate(national.agencies)}
    for first in ("2025年10月受党内严重警告处分", "无"):             # with a record, and without
        result = vet_records([person(0, first, ""), person(1, "", "无")], national, AS_OF)
        names = summary_table(result).query("代码 == 'J01'")["名称"].str.removesuffix("尚未反馈").tolist()
        assert len(names) >= 3 and names == sorted(names, key=order.__getitem__), (first, names)


def test_findings_held_as_categories_still_come_worst_first_in_the_summary_and_in_vet_check():
    """A severity's rank is a number whatever the column's dtype: pandas maps a categorical to a
    categorical, which sorts by its categories' alphabetical order (pending before review before
    unsuitable) instead of worst first."""
    from vetting.engine.verdicts import ranked
    from vetting.explain import candidate_text
    from vetting.pipeline import vet_files
    from vetting.reports.common import summary_table
    from vetting.ruleset.loader import load_ruleset
    from vetting.vocab import SEVERITY_LABELS, SEVERITY_RANK

    severities = pd.Series(pd.Categorical(["unsuitable", "pending", None, "disqualify", "review"]))
    assert ranked(severities, SEVERITY_RANK, 9).tolist() == [SEVERITY_RANK[s] if s else 9 for s in
                                                            ["unsuitable", "pending", None, "disqualify", "review"]]
    roster = [str(ROOT / "fixtures" / "demo_roster.csv")]
    result = vet_files(roster, load_ruleset("national"), AS_OF)
    assert isinstance(result.findings["severity"].dtype, pd.CategoricalDtype)
    table = summary_table(result)
    shown = table.loc[table["分类"] == "规则", "严重程度"].tolist()
    rank = {label: SEVERITY_RANK[code] for code, label in SEVERITY_LABELS.items() if code in SEVERITY_RANK}
    assert len(set(shown)) >= 3 and shown == sorted(shown, key=rank.get)
    county = vet_files(roster, load_ruleset("county-template"), AS_OF)
    row = int(county.candidates.index[county.candidates["source_row"] == 26][0])
    listed = [line.split("] ")[1] for line in candidate_text(county, row).splitlines() if line[:3] in ("1. ", "2. ")]
    assert listed == ["需复核", "提示"]


def test_counts_per_rule_name_only_the_rules_that_occur():
    """A findings column held as categories keeps every category when rows are taken from it; the
    run's counts per rule (what is pending, per chunk and whole) list only the rules that occur."""
    from vetting.chunked import ChunkTally
    from vetting.meta import counted
    from vetting.pipeline import vet_files
    from vetting.ruleset.loader import load_ruleset

    result = vet_files([str(ROOT / "fixtures" / "compact" / "pending_roster.csv")], load_ruleset("national"), AS_OF)
    pending = result.findings.loc[result.findings["severity"] == "pending", "rule"]
    assert 0 in pending.value_counts().tolist()             # the categories no pending finding has
    assert counted(pending) == {k: v for k, v in pending.astype(object).value_counts().items()}
    tally = ChunkTally()
    tally.add(result)
    assert dict(tally.pending) == counted(pending) and 0 not in tally.pending.values()
