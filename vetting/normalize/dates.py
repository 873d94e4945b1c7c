"""Roster dates (full dates, months, years, Excel serials) parsed to the range of days they can mean."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from vetting.normalize.text import clean_text, to_series

BLANKS = frozenset({"无", "-", "--", "—", "——", "/", "\\"})
MIN_YEAR, MAX_YEAR = 1900, 2100

_TIME = re.compile(r"(?:T| )\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_FULL = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
_MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?")
_YEAR = re.compile(r"(\d{4})年")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})?")
_NUMBER = re.compile(r"(\d{1,5})(?:\.0+)?")
_EPOCH = dt.date(1970, 1, 1).toordinal()
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal() - _EPOCH

Parsed = tuple[int | None, int | None, str | None]


def _span(text: str, year: int, month: int | None = None, day: int | None = None) -> Parsed:
    """Days since 1970 of the first and last day meant, or the problem."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None, None, f"无法识别的日期：{text}"
    first_month, last_month = (1, 12) if month is None else (month, month)
    try:
        first = dt.date(year, first_month, 1 if day is None else day)
        last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1] if day is None else day)
    except ValueError:
        return None, None, f"日期不存在：{text}"
    return first.toordinal() - _EPOCH, last.toordinal() - _EPOCH, None


def _parse_one(text: str) -> Parsed:
    """One cleaned, non-empty cell text."""
    compact = _TIME.sub("", text).replace(" ", "")
    if compact in BLANKS:
        return None, None, None
    if m := _NUMBER.fullmatch(compact):
        number = int(m[1])
        if len(m[1]) == 4 and MIN_YEAR <= number <= MAX_YEAR:
            return _span(text, number)
        if 1 <= number <= 80000:
            return number + _EXCEL_EPOCH, number + _EXCEL_EPOCH, None
        return None, None, f"无法识别的日期：{text}"
    for pattern in (_FULL, _COMPACT, _MONTH, _YEAR):
        if m := pattern.fullmatch(compact):
            return _span(text, *(int(g) for g in m.groups() if g is not None))
    return None, None, f"无法识别的日期：{text}"


def parse_dates(s: pd.Series) -> pd.DataFrame:
    """Parse date cells to columns lo, hi (datetime64[ns]) and problem (Chinese text or NA).

    Rosters give dates at any precision ("1988年3月", "1988", "1988-03-12") or as Excel serial
    numbers; [lo, hi] is the first and last day the text can mean, so that rules can tell a
    sure result from one that depends on the missing day. Blank, "无", "-" and "/" are NaT
    without a problem; unreadable and impossible dates are NaT with a problem. Each distinct
    text is parsed once.
    """
    codes, uniques = pd.factorize(clean_text(s))
    parsed = [_parse_one(str(u)) for u in uniques] + [(None, None, None)]
    lo, hi, problems = zip(*parsed)

    def days(values: tuple) -> pd.Series:
        arr = np.array([np.iinfo(np.int64).min if v is None else v for v in values], np.int64)
        return pd.Series(arr.view("M8[D]")[codes].astype("M8[ns]"), index=s.index)

    problem = pa.array(problems, pa.string()).take(pa.array(np.where(codes < 0, len(uniques), codes)))
    return pd.DataFrame({"lo": days(lo), "hi": days(hi), "problem": to_series(problem, s.index)},
                        index=s.index)
