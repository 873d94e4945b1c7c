"""Integer calendar arithmetic (vetting.engine.civil) and the text fast path of `is_in` against
their references: Python's own calendar and the operator table."""

import calendar
import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.engine import semantics as S
from vetting.engine import values as V
from vetting.engine.civil import civil_from_days, days_from_civil, month_length
from vetting.engine.derive import age_on

EPOCH = dt.date(1970, 1, 1).toordinal()
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(dates, min_size=1, max_size=50))
def test_day_numbers_and_calendar_dates_convert_both_ways(drawn):
    days = np.array([d.toordinal() - EPOCH for d in drawn], dtype=np.int64)
    year, month, day = civil_from_days(days)
    assert list(zip(year.tolist(), month.tolist(), day.tolist())) == [(d.year, d.month, d.day) for d in drawn]
    assert days_from_civil(year, month, day).tolist() == days.tolist()
    assert month_length(year, month).tolist() == [calendar.monthrange(d.year, d.month)[1] for d in drawn]


def _months_later(date: dt.date, months: int) -> dt.date | None:
    """The same day `months` later, or that month's last day (民法典 §200-203); None off the calendar."""
    total = date.year * 12 + date.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        return None
    return dt.date(year, month + 1, min(date.day, calendar.monthrange(year, month + 1)[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(dates, st.integers(-1300, 1300)), min_size=1, max_size=40))
def test_adding_months_keeps_the_day_or_takes_the_month_end(pairs):
    days = np.array([d for d, _ in pairs], dtype="datetime64[D]")
    months = np.array([m for _, m in pairs], dtype=float)
    out = V.add_months(days, months).tolist()
    for (date, step), got in zip(pairs, out):
        expected = _months_later(date, step)
        if expected is None:                            # beyond the calendar: its nearer edge
            expected = dt.date(9999, 12, 31) if step > 0 else dt.date(1, 1, 1)
        assert got == expected, (date, step)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), dates), min_size=1, max_size=40), dates)
def test_age_counts_full_years_with_29_february_on_28_february(births, as_of):
    def age(born: dt.date) -> int:
        birthday = (born.month, born.day)
        if birthday == (2, 29) and not calendar.isleap(as_of.year):
            birthday = (2, 28)
        return as_of.year - born.year - ((as_of.month, as_of.day) < birthday)
    column = np.array([b if b else "NaT" for b in births], dtype="datetime64[D]")
    got = age_on(column, as_of)
    for born, value in zip(births, got.tolist()):
        assert (np.isnan(value) if born is None else value == age(born)), (born, as_of)


texts = st.one_of(st.none(), st.sampled_from(["书记", "主任", "委员", "两委后备人选", "1", ""]))


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=60),
       st.lists(st.one_of(st.sampled_from(["书记", "主任", "副书记", "", "1"]), st.just(1)), max_size=6))
def test_text_membership_agrees_with_the_operator_table(values, items):
    column = np.array(values, dtype=object)
    vec = V.Vec("string", column, column, np.array([v is not None for v in values]))
    table = V._realise(S.membership(items, exact=True), S.operand_ends(a=(vec.lo, vec.hi)), len(values), vec.known)
    fast = V.is_in(vec, items)
    assert fast.lo.tolist() == table.lo.tolist() and fast.known.tolist() == table.known.tolist()
