"""Tests for vetting.normalize.dates."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.normalize.dates import parse_dates

FULL_WIDTH = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")


def parse_one(value) -> pd.Series:
    return parse_dates(pd.Series([value], dtype=object)).iloc[0]


@pytest.mark.parametrize("raw, lo, hi", [
    ("1988-03-12", "1988-03-12", "1988-03-12"),
    ("1988/3/12", "1988-03-12", "1988-03-12"),
    ("1988.3.12", "1988-03-12", "1988-03-12"),
    ("1988年3月12日", "1988-03-12", "1988-03-12"),
    ("1988 年 3 月 12 日", "1988-03-12", "1988-03-12"),
    ("19880312", "1988-03-12", "1988-03-12"),
    ("1988-03-12 00:00:00", "1988-03-12", "1988-03-12"),
    ("1988-03-12T08:30", "1988-03-12", "1988-03-12"),
    ("１９８８－０３－１２", "1988-03-12", "1988-03-12"),
    ("32214", "1988-03-12", "1988-03-12"),
    ("32214.0", "1988-03-12", "1988-03-12"),
    (32214.0, "1988-03-12", "1988-03-12"),
    (pd.Timestamp("1988-03-12"), "1988-03-12", "1988-03-12"),
    ("1988-03", "1988-03-01", "1988-03-31"),
    ("1988.03", "1988-03-01", "1988-03-31"),
    ("1988.3", "1988-03-01", "1988-03-31"),
    ("1988年3月", "1988-03-01", "1988-03-31"),
    ("1988/03", "1988-03-01", "1988-03-31"),
    ("198803", "1988-03-01", "1988-03-31"),
    ("2000-02", "2000-02-01", "2000-02-29"),
    ("1900.2", "1900-02-01", "1900-02-28"),
    ("1988年", "1988-01-01", "1988-12-31"),
    ("1988", "1988-01-01", "1988-12-31"),
    ("1988.0", "1988-01-01", "1988-12-31"),
    ("1", "1899-12-31", "1899-12-31"),
    ("1899", "1905-03-13", "1905-03-13"),
])
def test_recognised(raw, lo, hi):
    row = parse_one(raw)
    assert (row.lo, row.hi) == (pd.Timestamp(lo), pd.Timestamp(hi))
    assert pd.isna(row.problem)


@pytest.mark.parametrize("raw", [None, float("nan"), pd.NA, pd.NaT, "", "  ", "无", "-", "/", "／", "—"])
def test_blank_is_not_a_problem(raw):
    row = parse_one(raw)
    assert pd.isna(row.lo) and pd.isna(row.hi) and pd.isna(row.problem)


@pytest.mark.parametrize("raw, problem", [
    ("1988-02-30", "日期不存在：1988-02-30"),
    ("1989-02-29", "日期不存在：1989-02-29"),
    ("1988-13", "日期不存在：1988-13"),
    ("1988年13月", "日期不存在：1988年13月"),
    ("198813", "日期不存在：198813"),
    ("19880230", "日期不存在：19880230"),
    ("1988.0.5", "日期不存在：1988.0.5"),
    ("abc", "无法识别的日期：abc"),
    ("三月", "无法识别的日期：三月"),
    ("12/03/1988", "无法识别的日期：12/03/1988"),
    ("0", "无法识别的日期：0"),
    ("80001", "无法识别的日期：80001"),
    ("1988031", "无法识别的日期：1988031"),
    ("32214.5", "无法识别的日期：32214.5"),
    ("1800年", "无法识别的日期：1800年"),
    ("１９８８－１３", "日期不存在：1988-13"),
])
def test_problems(raw, problem):
    row = parse_one(raw)
    assert pd.isna(row.lo) and pd.isna(row.hi)
    assert row.problem == problem


def test_frame_shape_dtypes_and_index():
    s = pd.Series(["1988-03", None, "bad", "1988-03"], index=[9, 2, 5, 1])
    out = parse_dates(s)
    assert list(out.columns) == ["lo", "hi", "problem"]
    assert out.index.equals(s.index)
    assert out.lo.dtype == "datetime64[ns]" and out.hi.dtype == "datetime64[ns]"
    assert str(out.problem.dtype) == "string"
    assert out.lo.loc[9] == out.lo.loc[1] == pd.Timestamp("1988-03-01")
    assert len(parse_dates(pd.Series([], dtype=object))) == 0


@settings(deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日",
                        "%Y-%m-%d %H:%M:%S"]),
       st.booleans())
def test_property_full_dates_round_trip(day, fmt, full_width):
    text = day.strftime(fmt)
    row = parse_one(text.translate(FULL_WIDTH) if full_width else text)
    assert row.lo == row.hi == pd.Timestamp(day)


@settings(deadline=None)
@given(st.integers(1900, 2100), st.integers(1, 12),
       st.sampled_from(["{y}-{m:02d}", "{y}.{m}", "{y}年{m}月", "{y}{m:02d}"]))
def test_property_months_span_the_month(year, month, fmt):
    row = parse_one(fmt.format(y=year, m=month))
    assert row.lo == pd.Timestamp(year, month, 1)
    assert row.hi == row.lo + pd.offsets.MonthEnd(0)


ANY_CELL = st.one_of(
    st.none(), st.floats(), st.integers(), st.text(), st.datetimes(),
    st.text(alphabet="0123456789０１２３年月日号-/.: T", max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF)),
)


@settings(deadline=None)
@given(st.lists(ANY_CELL, max_size=30))
def test_property_never_raises(cells):
    s = pd.Series(cells, dtype=object, index=np.arange(len(cells))[::-1])
    out = parse_dates(s)
    assert out.index.equals(s.index)
    assert out.lo.isna().eq(out.hi.isna()).all()
    assert (out.lo[out.lo.notna()] <= out.hi[out.hi.notna()]).all()
    assert (out.problem.notna() <= out.lo.isna()).all()
