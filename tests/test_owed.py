"""Rules that wait only on an agency yet to answer are named in that agency's J01 finding
(vetting.engine.owed), not given a `pending` finding each: the same candidates stay pending for the
same reasons, with one line per agency owed instead of one per rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, plain_findings
from vetting.engine import assemble
from vetting.pipeline import ReadOptions, load_candidates, record_candidates, run_engine

ROSTER = ROOT / "fixtures" / "compact" / "pending_roster.csv"
AS_OF = dt.date(2026, 12, 15)


@pytest.fixture(scope="module")
def candidates(national):
    return load_candidates([str(ROSTER)], national, ReadOptions())


def _unfolded(national, candidates, monkeypatch, engine="vector"):
    """The run as it was before rules were named in J01 findings: every undecided rule its own finding."""
    with monkeypatch.context() as m:
        m.setattr(assemble, "waiting_on", lambda rule, rows, *_: (np.zeros(len(rows), dtype=bool), {}))
        return run_engine(national, candidates, AS_OF, engine)


def test_waiting_rules_are_exactly_the_pending_findings_they_replace(national, candidates, monkeypatch):
    folded = run_engine(national, candidates, AS_OF, "vector")
    before = _unfolded(national, candidates, monkeypatch)
    assert before.waiting.empty and len(folded.waiting) > 0
    assert folded.candidates["verdict"].tolist() == before.candidates["verdict"].tolist()

    def own(result, pending):
        f = result.findings
        keep = f["severity"].eq("pending") == pending
        return plain_findings(f[keep & f["rule"].ne("J01")][["row_id", "rule", "severity", "reason", "evidence"]])

    pd.testing.assert_frame_equal(own(folded, False).reset_index(drop=True), own(before, False).reset_index(drop=True))
    was = set(zip(*own(before, True)[["row_id", "rule"]].to_numpy().T))
    now = set(zip(*own(folded, True)[["row_id", "rule"]].to_numpy().T))
    waiting = set(zip(folded.waiting["row_id"], folded.waiting["rule"]))
    assert now | waiting == was and not now & waiting
    # 240 candidates, ten agencies mostly silent: several times fewer lines
    assert len(folded.findings) * 2 < len(before.findings)


def test_each_waiting_rule_is_named_in_the_j01_finding_of_its_agency(national, candidates):
    result = run_engine(national, candidates, AS_OF, "vector")
    j01 = result.findings[result.findings["rule"] == "J01"]
    reasons = {(row, name.removesuffix("尚未反馈")): reason
               for row, name, reason in zip(j01["row_id"], j01["rule_name"], j01["reason"])}
    for row, code, agency in result.waiting[["row_id", "rule", "agency"]].itertuples(index=False):
        rule = national.rule(code)
        assert f"{code} {rule.name}" in reasons[(row, agency)].split("；待其意见判定：")[1]
        assert set(rule.fields) & set(national.agencies[agency].supplies)
    # and only those: a J01 finding names no rule that does not wait on that agency
    named = {(row, agency) for row, _, agency in result.waiting.itertuples(index=False)}
    assert all(("；待其意见判定：" in reason) == (key in named) for key, reason in reasons.items())


def test_both_engines_name_the_same_waiting_rules(national, candidates):
    durable = run_engine(national, candidates, AS_OF, "durable")
    vector = run_engine(national, candidates, AS_OF, "vector")
    pd.testing.assert_frame_equal(vector.waiting, durable.waiting)
    pd.testing.assert_frame_equal(vector.findings, durable.findings)


def test_a_rule_also_missing_what_no_silent_agency_owes_keeps_its_own_pending_finding(national):
    """A04 reads 政治面貌 (组织部 answers for it) and 拟任职务 (nobody does): with the post blank the
    rule cannot wait on 组织部 alone."""
    records = [{"姓名": "甲", "公民身份号码": "510525199007070147", "拟任职务": role, "政治面貌": "",
                "组织部意见": "", "乡镇(街道)": "太平镇", "村(社区)": "平丰村"} for role in ("", "党组织书记")]
    result = run_engine(national, record_candidates(records, national), AS_OF, "vector")
    f = result.findings
    a04 = f[f["rule"] == "A04"]
    assert a04["row_id"].tolist() == [0] and a04["severity"].tolist() == ["pending"]
    assert "「拟任职务」" in a04["reason"].iloc[0]
    assert result.waiting.loc[result.waiting["rule"] == "A04", ["row_id", "agency"]].values.tolist() == [[1, "组织部"]]
    org = f[(f["rule"] == "J01") & (f["rule_name"] == "组织部尚未反馈")].set_index("row_id")["reason"]
    assert "A04 党组织职务人选不是正式党员" in org[1] and "A04" not in org[0]
    assert "pass" not in result.candidates["verdict"].tolist()


@pytest.mark.parametrize("rules", [3, 70])
def test_a_j01_finding_lists_its_waiting_rules_in_rule_order_however_many(rules):
    """Sets of up to 62 rules are told apart by an integer, more by a Python integer."""
    from types import SimpleNamespace

    from vetting.engine.owed import Waiting

    waiting = Waiting(5)
    for i in range(rules):
        rows = np.array([k for k in (0, 2, 4) if i % (k + 1) == 0])
        waiting.add("公安", SimpleNamespace(code=f"R{i:02d}", name=f"规则{i}"), rows)

    def listed(k):
        return "；待其意见判定：" + "、".join(f"R{i:02d} 规则{i}" for i in range(rules) if i % (k + 1) == 0)

    assert _suffix(waiting, "公安", np.array([4, 0, 1, 2])).tolist() == [listed(4), listed(0), "", listed(2)]
    assert _suffix(waiting, "法院", np.array([0])).tolist() == [""]


def _suffix(waiting, agency, candidates):
    """What the J01 finding of `agency` adds per candidate, as text."""
    which, texts = waiting.suffix_codes(agency, candidates)
    return texts[which]


def _silence_issues(silence, lo, hi):
    """The J01 data issues of candidates lo..hi-1 as a data-issue table would list them: per block
    (agency and column), the awaited candidates in order; the agency named in `field`."""
    frames = []
    for block in silence.blocks:
        rows = block.rows(lo, hi)
        problem = np.full(len(rows), block.problem, dtype=object) if isinstance(block.problem, str) \
            else np.asarray(block.problem.categories, dtype=object)[block.problem.codes[rows]]
        frames.append(pd.DataFrame({"row_id": rows, "code": "J01", "field": block.agency, "column": block.column,
                                    "value": "", "problem": problem, "evidence": None}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("lo", "hi"), [(0, None), (3, 9)])
def test_j01_findings_are_the_data_findings_of_the_silence_issues(national, candidates, lo, hi):
    """`silent_findings` renders J01 without a text per finding; it must say exactly what the
    generic data-issue path says of the same issues as rows, with each agency's waiting rules appended."""
    from types import SimpleNamespace

    from vetting.engine.findings import data_findings, silent_findings
    from vetting.engine.owed import Waiting
    from vetting.normalize.silence import Silence, SilentBlock

    n = len(candidates.raw)
    hi = n if hi is None else hi
    rng = np.random.default_rng(7)
    said = pd.Categorical.from_codes(rng.integers(0, 2, n), categories=["意见为空", "「未反馈」：尚未反馈"])
    silence = Silence((SilentBlock("公安", "公安机关意见", rng.random(n) < 0.7, said),
                       SilentBlock("信访", "信访", rng.random(n) < 0.5, "信访尚未反馈联审意见"),
                       SilentBlock("公安", "公安复函", rng.random(n) < 0.3, said)))
    waiting = Waiting(hi - lo)
    waiting.add("公安", SimpleNamespace(code="C01", name="受过刑事处罚"), np.arange(0, hi - lo, 2))
    waiting.add("公安", SimpleNamespace(code="C05", name="行政拘留"), np.arange(0, hi - lo, 3))

    issues = _silence_issues(silence, lo, hi)
    suffix = np.concatenate([_suffix(waiting, b.agency, b.rows(lo, hi) - lo) for b in silence.blocks])
    issues["problem"] = issues["problem"].astype(object) + suffix
    expected = data_findings(issues, candidates)
    got = silent_findings(silence, waiting, lo, hi, candidates)
    assert len(got) == len(issues) > 0 and got["reason"].str.endswith("；待其意见判定：C01 受过刑事处罚").any()
    pd.testing.assert_frame_equal(got.astype(str), expected.astype(str))
