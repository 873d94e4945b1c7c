"""Column values with three-valued logic: each value is an interval [lo, hi] plus a known-mask.

A month-precise date "2025年10月" is the interval 2025-10-01..2025-10-31; a comparison is true only
when it holds for every point of the interval, false when for none, and unknown otherwise. Unknown
results become `pending` (a blank cell) or `review` (imprecise data) findings, never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DATE = np.datetime64("9999-12-31", "D")
MIN_DATE = np.datetime64("0001-01-01", "D")


@dataclass
class Vec:
    """A column of one kind: number | date | string | bool | duration_months | duration_days."""

    kind: str
    lo: np.ndarray
    hi: np.ndarray
    known: np.ndarray

    def take(self, rows: np.ndarray) -> "Vec":
        return Vec(self.kind, self.lo[rows], self.hi[rows], self.known[rows])


def boolean(value: np.ndarray, known: np.ndarray) -> Vec:
    value = value & known
    return Vec("bool", value, value, known)


def constant(kind: str, value, n: int) -> Vec:
    """Broadcast a scalar to a column."""
    if kind == "date":
        arr = np.full(n, np.datetime64(value, "D"))
    elif kind in ("string",):
        arr = np.full(n, value, dtype=object)
    elif kind == "bool":
        arr = np.full(n, bool(value))
    else:
        arr = np.full(n, float(value))
    return Vec(kind, arr, arr, np.ones(n, dtype=bool))


def unknown(kind: str, n: int) -> Vec:
    """A column with no known value (a field the roster does not have)."""
    if kind == "date":
        arr = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    elif kind == "string":
        arr = np.full(n, None, dtype=object)
    elif kind == "bool":
        arr = np.zeros(n, dtype=bool)
    else:
        arr = np.full(n, np.nan)
    return Vec(kind, arr, arr, np.zeros(n, dtype=bool))


# ---------------------------------------------------------------- logic

def logical_and(a: Vec, b: Vec) -> Vec:
    true = a.lo & b.lo
    false = (a.known & ~a.lo) | (b.known & ~b.lo)
    return boolean(true, true | false)


def logical_or(a: Vec, b: Vec) -> Vec:
    true = a.lo | b.lo
    return boolean(true, true | (a.known & b.known))


def logical_not(a: Vec) -> Vec:
    return boolean(~a.lo, a.known)


# ---------------------------------------------------------------- comparison

def compare(op: str, a: Vec, b: Vec) -> Vec:
    """Interval comparison: true when it holds for all points, false when for none."""
    if op in (">", ">="):
        return compare("<" if op == ">" else "<=", b, a)
    known = a.known & b.known
    if a.kind in ("string", "bool"):
        with np.errstate(invalid="ignore"):
            equal = np.equal(a.lo, b.lo, where=known, out=np.zeros(len(known), dtype=bool)) \
                if a.kind == "bool" else _object_equal(a.lo, b.lo, known)
        true = equal if op == "==" else ~equal
        return boolean(true, known)
    with np.errstate(invalid="ignore"):
        if op == "<":
            true, false = a.hi < b.lo, a.lo >= b.hi
        elif op == "<=":
            true, false = a.hi <= b.lo, a.lo > b.hi
        else:
            exact = (a.lo == a.hi) & (b.lo == b.hi) & (a.lo == b.lo)
            apart = (a.hi < b.lo) | (b.hi < a.lo)
            true, false = (exact, apart) if op == "==" else (apart, exact)
    return boolean(true, known & (true | false))


def _object_equal(a: np.ndarray, b: np.ndarray, known: np.ndarray) -> np.ndarray:
    out = np.zeros(len(known), dtype=bool)
    out[known] = a[known] == b[known]
    return out


def is_in(a: Vec, items: list) -> Vec:
    """Membership in a list of constants: for an interval, true only when it is one listed
    value, false when no listed value lies inside it, unknown otherwise."""
    if a.kind in ("number", "date"):
        inside = np.isin(a.lo, items) & (a.lo == a.hi)
        touches = np.zeros(len(a.known), dtype=bool)
        with np.errstate(invalid="ignore"):
            for item in items:
                touches |= (a.lo <= item) & (item <= a.hi)
        return boolean(inside, a.known & (inside | ~touches))
    values = np.zeros(len(a.known), dtype=bool)
    values[a.known] = np.isin(a.lo[a.known], np.array(items, dtype=object))
    return boolean(values, a.known.copy())


# ---------------------------------------------------------------- arithmetic

def add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Civil-law month arithmetic (民法典 §200-203): the same day N months later, or month-end."""
    dates = dates.astype("datetime64[D]")
    months = np.asarray(months, dtype=float)
    forever = np.isinf(months)
    valid = ~np.isnat(dates) & ~np.isnan(months)
    whole = np.where(valid & ~forever, months, 0).astype(np.int64)
    month_start = dates.astype("datetime64[M]")
    day = (dates - month_start.astype("datetime64[D]")).astype(np.int64)
    target = month_start + whole
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    result = target.astype("datetime64[D]") + np.minimum(day, length - 1)
    result = np.where(forever & valid, np.where(months > 0, MAX_DATE, MIN_DATE), result)
    return np.where(valid, result, np.datetime64("NaT")).astype("datetime64[D]")


def add_days(dates: np.ndarray, days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=float)
    forever = np.isinf(days)
    valid = ~np.isnat(dates) & ~np.isnan(days)
    whole = np.where(valid & ~forever, days, 0).astype(np.int64)
    result = dates.astype("datetime64[D]") + whole.astype("timedelta64[D]")
    result = np.where(forever & valid, np.where(days > 0, MAX_DATE, MIN_DATE), result)
    return np.where(valid, result, np.datetime64("NaT")).astype("datetime64[D]")


def shift(dates: Vec, duration: Vec, sign: int) -> Vec:
    """date ± duration on intervals."""
    step = add_months if duration.kind == "duration_months" else add_days
    if sign > 0:
        lo, hi = step(dates.lo, duration.lo), step(dates.hi, duration.hi)
    else:
        lo, hi = step(dates.lo, -duration.hi), step(dates.hi, -duration.lo)
    return Vec("date", lo, hi, dates.known & duration.known)


def arith(op: str, a: Vec, b: Vec) -> Vec:
    """number ± number, date ± duration, duration + duration (same unit)."""
    if a.kind == "date":
        return shift(a, b, 1 if op == "+" else -1)
    if a.kind.startswith("duration") and a.kind != b.kind:
        raise ValueError("不能把以月计和以天计的期限相加")
    with np.errstate(invalid="ignore"):
        if op == "+":
            lo, hi = a.lo + b.lo, a.hi + b.hi
        else:
            lo, hi = a.lo - b.hi, a.hi - b.lo
    return Vec(a.kind, lo, hi, a.known & b.known)


def negate(a: Vec) -> Vec:
    return Vec(a.kind, -a.hi, -a.lo, a.known)


def within(dates: Vec, duration: Vec, as_of: np.datetime64) -> Vec:
    """True when the as-of date falls on or after the date and on or before date + duration."""
    step = add_months if duration.kind == "duration_months" else add_days
    end_early = step(dates.lo, duration.lo)
    end_late = step(dates.hi, duration.hi)
    known = dates.known & duration.known
    with np.errstate(invalid="ignore"):
        true = (dates.hi <= as_of) & (as_of <= end_early)
        false = (dates.lo > as_of) | (end_late < as_of)
    return boolean(true, known & (true | false))


def coalesce(a: Vec, b: Vec) -> Vec:
    pick = a.known
    return Vec(a.kind, np.where(pick, a.lo, b.lo), np.where(pick, a.hi, b.hi), a.known | b.known)


def presence(a: Vec, present: bool) -> Vec:
    value = a.known if present else ~a.known
    return Vec("bool", value, value, np.ones(len(value), dtype=bool))
