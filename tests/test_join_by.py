"""join_by (vetting.reports.joining): the Python path for a few values (`vet check`, which thus does
not load Arrow's query engine) gives exactly what Arrow's group-by gives: values, NA, order of
keys, dtypes."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.reports import joining

_VALUES = st.one_of(st.none(), st.sampled_from(["", "甲", "乙丙", "A01 未满十八周岁", "x、y"]), st.text(max_size=4))


def _both(keys: pd.Series, values: pd.Series, sep: str, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.Series, pd.Series]:
    monkeypatch.setattr(joining, "SMALL_JOIN", 10**9)
    small = joining.join_by(keys, values, sep)
    monkeypatch.setattr(joining, "SMALL_JOIN", -1)
    arrow = joining.join_by(keys, values, sep)
    return small, arrow


@settings(deadline=None, max_examples=60)
@given(rows=st.lists(st.tuples(st.integers(0, 5), _VALUES), max_size=12), sep=st.sampled_from(["、", "\n", ",\n  "]))
def test_the_python_path_is_arrows_group_by(rows, sep):
    keys = pd.Series([k for k, _ in rows], dtype="int64")
    values = pd.Series([v for _, v in rows], dtype=object)
    with pytest.MonkeyPatch.context() as monkeypatch:
        small, arrow = _both(keys, values, sep, monkeypatch)
    pd.testing.assert_series_equal(small, arrow)
    assert small.index.tolist() == list(dict.fromkeys(keys.tolist()))


def test_a_key_with_a_missing_value_is_na_and_keys_keep_their_first_place(monkeypatch):
    keys, values = pd.Series([3, 1, 3, 2, 1]), pd.Series(["a", None, "b", "d", "c"], dtype=object)
    small, arrow = _both(keys, values, "、", monkeypatch)
    pd.testing.assert_series_equal(small, arrow)
    assert small.index.tolist() == [3, 1, 2] and small[3] == "a、b" and small[2] == "d" and pd.isna(small[1])


def test_vet_check_size_stays_on_the_python_path():
    assert joining.SMALL_JOIN >= 64      # one candidate's findings: a few dozen rows at most


def _plain(joined: pd.Series) -> dict:
    return {k: None if pd.isna(v) else v for k, v in joined.items()}


@settings(deadline=None, max_examples=120)
@given(rows=st.lists(st.tuples(st.integers(0, 5), _VALUES), max_size=40), sep=st.sampled_from(["、", "\n"]))
def test_categories_are_joined_as_their_texts(rows, sep):
    """Categorical values (a finding's agency) are joined by their codes, each distinct sequence
    once: the same texts and NA per key as joining the texts, keys in their first place; sequences
    too long to pack into one integer are numbered position by position."""
    keys = pd.Series([k for k, _ in rows], dtype="int64")
    texts = [v for _, v in rows]
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(joining, "SMALL_JOIN", -1)
        coded = joining.join_by(keys, pd.Series(pd.Categorical(texts)), sep)
        plain = joining.join_by(keys, pd.Series(texts, dtype=object), sep)
    assert _plain(coded) == _plain(plain) and coded.dtype == plain.dtype
    assert coded.index.tolist() == list(dict.fromkeys(keys.tolist()))
