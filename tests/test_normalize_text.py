"""Tests for vetting.normalize.text."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.fields import header_key
from vetting.normalize.text import clean_name, clean_text

CELLS = st.one_of(st.none(), st.floats(), st.integers(), st.text(),
                  st.text(alphabet=st.characters(min_codepoint=0x3000, max_codepoint=0x30FF)),
                  st.text(alphabet=st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF)))


@pytest.mark.parametrize("raw, expected", [
    ("  ＡＢＣ　 １２３ ", "ABC 123"),
    ("村（社区）", "村(社区)"),
    ("a\t\n b", "a b"),
    ("a\u200bb", "ab"),
    ("", None),
    ("  \u3000", None),
    (None, None),
    (float("nan"), None),
])
def test_clean_text(raw, expected):
    out = clean_text(pd.Series([raw], dtype=object))
    assert str(out.dtype) == "string"
    if expected is None:
        assert pd.isna(out.iloc[0])
    else:
        assert out.iloc[0] == expected


@pytest.mark.parametrize("raw, expected", [
    ("张 三", "张三"),
    (" 张\u3000三 ", "张三"),
    ("买买提·艾力", "买买提·艾力"),
    ("买买提•艾力", "买买提·艾力"),
    ("买买提.艾力", "买买提·艾力"),
    ("   ", None),
])
def test_clean_name(raw, expected):
    out = clean_name(pd.Series([raw]))
    if expected is None:
        assert pd.isna(out.iloc[0])
    else:
        assert out.iloc[0] == expected


def test_index_and_na_are_kept():
    s = pd.Series(["a", None, " b "], index=[10, 5, 7])
    out = clean_text(s)
    assert list(out.index) == [10, 5, 7]
    assert out.isna().tolist() == [False, True, False]


@pytest.mark.parametrize("raw, expected", [
    ("姓名", "姓名"),
    (" 姓 名 ", "姓名"),
    ("出生\n年月*", "出生年月"),
    ("＊身份证号码", "身份证号码"),
    ("乡镇（街道）", "乡镇(街道)"),
    ("村【社区】", "村(社区)"),
    ("ＩＤ Number", "idnumber"),
])
def test_header_key(raw, expected):
    assert header_key(raw) == expected


@settings(deadline=None)
@given(st.lists(CELLS, max_size=20))
def test_text_cleaners_never_raise(cells):
    s = pd.Series(cells, dtype=object)
    for fn in (clean_text, clean_name):
        out = fn(s)
        assert out.index.equals(s.index)
        assert not (out == "").any()


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), max_size=10))
def test_clean_text_is_idempotent(cells):
    once = clean_text(pd.Series(cells, dtype=object))
    pd.testing.assert_series_equal(clean_text(once), once)


@given(st.text())
def test_header_key_never_raises(text):
    key = header_key(text)
    assert key == header_key(key)
