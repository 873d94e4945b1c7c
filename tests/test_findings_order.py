"""sorted_findings (vetting.reports.common) orders findings by one integer key; it must give the
order of a stable sort on (row_id, severity rank, rule code) that the reports define; `relabelled`
shows a column's values by their Chinese labels as a lookup per value would."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.reports.common import sorted_findings
from vetting.vocab import SEVERITIES, SEVERITY_RANK

_SEVERITY = st.one_of(st.none(), st.sampled_from([*SEVERITIES, "unknown"]))
_RULE = st.one_of(st.none(), st.sampled_from(["A01", "A10", "C01", "J01", "G02", "V03", "a01", "甲"]), st.text(max_size=3))


def _by_three_columns(findings: pd.DataFrame) -> pd.DataFrame:
    rank = findings["severity"].map(SEVERITY_RANK).fillna(len(SEVERITIES))
    keys = pd.DataFrame({"row_id": findings["row_id"], "rank": rank, "rule": findings["rule"].astype("str").fillna("")})
    return findings.take(keys.sort_values(["row_id", "rank", "rule"], kind="stable").index).reset_index(drop=True)


@settings(deadline=None, max_examples=80)
@given(rows=st.lists(st.tuples(st.integers(0, 6), _SEVERITY, _RULE), max_size=25), text=st.booleans())
def test_one_key_sorts_as_the_three_columns(rows, text):
    findings = pd.DataFrame({"row_id": pd.Series([r for r, _, _ in rows], dtype="int64"),
                             "severity": pd.Series([s for _, s, _ in rows], dtype="str" if text else object),
                             "rule": pd.Series([c for _, _, c in rows], dtype="str" if text else object),
                             "n": range(len(rows))})
    pd.testing.assert_frame_equal(sorted_findings(findings), _by_three_columns(findings))


def test_worst_first_within_a_candidate_then_by_rule():
    findings = pd.DataFrame({"row_id": [2, 1, 1, 1, 2], "severity": ["notice", "pending", "disqualify", "pending", "review"],
                             "rule": ["N01", "J01", "C01", "D01", "A02"]})
    got = sorted_findings(findings)
    assert got["row_id"].tolist() == [1, 1, 1, 2, 2]
    assert got["rule"].tolist()[:3] == ["C01", "D01", "J01"] and got["rule"].tolist()[3:] == ["A02", "N01"]


@given(values=st.lists(st.one_of(st.none(), st.sampled_from(["pending", "review", "notice", "pass", "其他", ""])),
                       max_size=40),
       dtype=st.sampled_from([object, "category", "str", "string"]))
def test_values_are_relabelled_as_a_lookup_per_value_would(values, dtype):
    from vetting.reports.common import relabelled
    from vetting.vocab import SEVERITY_LABELS

    column = pd.Series(values, dtype=dtype, index=range(3, 3 + len(values)))
    text = column.astype("str")
    expected = text.map(SEVERITY_LABELS).fillna(text).astype("str")
    got = relabelled(column, SEVERITY_LABELS)
    assert str(got.dtype) == "str" and list(got.index) == list(column.index)
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in expected]
