"""Roster dates (full dates, months, years, Excel serials) parsed to the range of days they can mean.

A number cell holding 2025.1 is two dates: Excel keeps no trailing zero, so "2025.10" typed into
a number cell is stored (and shown) as 2025.1. Such a cell reads as the range January..October
of that year: a rule whose answer differs between the two readings is undecided (`review`),
and reasons name both readings ("2025年1月或2025年10月", see ``two_readings``). The same text
typed into a text cell is what the user wrote: January.
"""

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
#: A number cell whose text is this lost the trailing zero of month 10 (or is month 1).
_LOST_ZERO = r"\d{4}\.1"
#: The months a number cell "YYYY.1" can mean.
READINGS = (1, 10)
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


def parse_dates(s: pd.Series, numbers: np.ndarray | None = None) -> pd.DataFrame:
    """Parse date cells to columns lo, hi (datetime64[ns]) and problem (Chinese text or NA).

    Rosters give dates at any precision ("1988年3月", "1988", "1988-03-12") or as Excel serial
    numbers; [lo, hi] is the first and last day the text can mean, so that rules can tell a
    sure result from one that depends on the missing day. Blank, "无", "-" and "/" are NaT
    without a problem; unreadable and impossible dates are NaT with a problem. Each distinct
    text is parsed once. ``numbers`` marks the cells that were numbers with a fraction in the
    workbook: "YYYY.1" there spans January to October (see the module docstring).
    """
    cleaned = clean_text(s)
    codes, uniques = pd.factorize(cleaned)
    parsed = [_parse_one(str(u)) for u in uniques] + [(None, None, None)]
    lo, hi, problems = zip(*parsed)

    def days(values: tuple) -> pd.Series:
        arr = np.array([np.iinfo(np.int64).min if v is None else v for v in values], np.int64)
        return pd.Series(arr.view("M8[D]")[codes].astype("M8[ns]"), index=s.index)

    problem = pa.array(problems, pa.string()).take(pa.array(np.where(codes < 0, len(uniques), codes)))
    out = pd.DataFrame({"lo": days(lo), "hi": days(hi), "problem": to_series(problem, s.index)}, index=s.index)
    if numbers is not None and numbers.any():
        _two_readings(out, cleaned, np.asarray(numbers, dtype=bool))
    return out


def _two_readings(out: pd.DataFrame, cleaned: pd.Series, numbers: np.ndarray) -> None:
    """Number cells "YYYY.1" -> YYYY-01-01 .. YYYY-10-31 (in place)."""
    at = np.flatnonzero(numbers)
    text = cleaned.iloc[at]
    at = at[text.str.fullmatch(_LOST_ZERO).fillna(False).to_numpy(dtype=bool)]
    years = cleaned.iloc[at].str.slice(0, 4).astype(int).to_numpy()
    at, years = at[(years >= MIN_YEAR) & (years <= MAX_YEAR)], years[(years >= MIN_YEAR) & (years <= MAX_YEAR)]
    if not len(at):
        return
    first = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (READINGS[0] - 1)
    last = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + READINGS[1]
    out.iloc[at, out.columns.get_loc("lo")] = first.astype("datetime64[D]").astype("datetime64[ns]")
    out.iloc[at, out.columns.get_loc("hi")] = (last.astype("datetime64[D]") - 1).astype("datetime64[ns]")


def two_readings(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Which day ranges are a number cell's two readings (January..October of one year)."""
    lo, hi = np.asarray(lo, dtype="datetime64[D]"), np.asarray(hi, dtype="datetime64[D]")
    year = lo.astype("datetime64[Y]")
    first = year.astype("datetime64[M]") + (READINGS[0] - 1)
    last = (year.astype("datetime64[M]") + READINGS[1]).astype("datetime64[D]") - 1
    return (lo == first.astype("datetime64[D]")) & (hi == last) & ~np.isnat(lo)


def readings_text(lo: np.ndarray) -> np.ndarray:
    """"2025年1月或2025年10月" for ranges that ``two_readings`` accepts (by their first day)."""
    years = np.datetime_as_string(np.asarray(lo, dtype="datetime64[Y]"), unit="Y").astype(object)
    return years + f"年{READINGS[0]}月或" + years + f"年{READINGS[1]}月"
