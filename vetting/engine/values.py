"""Column values with three-valued logic: each value is an interval [lo, hi] plus a known-mask.

A month-precise date "2025年10月" is the interval 2025-10-01..2025-10-31; a comparison is true only
when it holds for every point of the interval, false when for none, and unknown otherwise. Unknown
results become `pending` (a blank cell) or `review` (imprecise data) findings, never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from vetting.engine import semantics as S
from vetting.engine.civil import civil_from_days, days_from_civil, month_length
from vetting.objarrays import repeated

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


def text_objects(column: pd.Series) -> np.ndarray:
    """A text column as an object array (None for NA) holding one Python string per distinct
    text: converting cell by cell makes a string object per row (60-odd bytes each), where a
    roster repeats a few values (否, 无, 中共党员) a hundred thousand times."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.append(np.asarray(uniques, dtype=object), None)[codes]


def boolean(value: np.ndarray, known: np.ndarray) -> Vec:
    value = value & known
    return Vec("bool", value, value, known)


def constant(kind: str, value: Any, n: int) -> Vec:
    """Broadcast a scalar to a column."""
    if kind == "date":
        arr = np.full(n, np.datetime64(value, "D"))
    elif kind in ("string",):
        arr = repeated(value, n)
    elif kind == "bool":
        arr = np.full(n, bool(value))
    else:
        arr = np.full(n, float(value))
    return Vec(kind, arr, arr, np.ones(n, dtype=bool))


def unknown(kind: str, n: int) -> Vec:
    """A column with no known value (a field the roster does not have): one value seen n times
    (a read-only view, no memory per row: a roster before the replies lacks most fact fields)."""
    if kind == "date":
        value = np.array(np.datetime64("NaT"), dtype="datetime64[D]")
    elif kind == "string":
        value = np.array(None, dtype=object)
    elif kind == "bool":
        value = np.array(False)
    else:
        value = np.array(np.nan)
    arr = np.broadcast_to(value, (n,))
    return Vec(kind, arr, arr, np.broadcast_to(np.array(False), (n,)))


# ---------------------------------------------------------------- the operator table over numpy columns

class NumpyAlgebra(S.Algebra):
    """Endpoint comparisons as boolean numpy columns of length n (see vetting.engine.semantics)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def compare(self, op: str, left: Any, right: Any) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            out = _COMPARE[op](left, right)
        return np.broadcast_to(np.asarray(out, dtype=bool), (self.n,))

    def missing(self, value: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(pd.isna(value), dtype=bool), (self.n,))

    def all(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.logical_and.reduce([np.ones(self.n, dtype=bool), *parts])

    def any(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.logical_or.reduce([np.zeros(self.n, dtype=bool), *parts])


_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def decided(vec: Vec) -> tuple[np.ndarray, np.ndarray]:
    """(definitely true, definitely false) of a boolean column."""
    return vec.lo & vec.known, ~vec.lo & vec.known


def from_decided(true: np.ndarray, false: np.ndarray, known: np.ndarray | None = None) -> Vec:
    """A boolean column from (true, false) masks, limited to rows where the operands are known."""
    if known is not None:
        true, false = true & known, false & known
    return boolean(true, true | false)


def logical_and(a: Vec, b: Vec) -> Vec:
    return from_decided(*S.kleene_and(decided(a), decided(b), NumpyAlgebra(len(a.known))))


def logical_or(a: Vec, b: Vec) -> Vec:
    return from_decided(*S.kleene_or(decided(a), decided(b), NumpyAlgebra(len(a.known))))


def logical_not(a: Vec) -> Vec:
    return from_decided(*S.kleene_not(decided(a)))


def _realise(outcome: S.Outcome, ends: dict, n: int, known: np.ndarray) -> Vec:
    algebra = NumpyAlgebra(n)
    return from_decided(S.realise(outcome.true, ends, algebra), S.realise(outcome.false, ends, algebra), known)


def compare(op: str, a: Vec, b: Vec) -> Vec:
    """`a op b` by the operator table: true when it holds for all points, false when for none."""
    outcome = S.comparison(op, exact=a.kind in ("string", "bool"))
    return _realise(outcome, S.operand_ends(a=(a.lo, a.hi), b=(b.lo, b.hi)), len(a.known), a.known & b.known)


def is_in(a: Vec, items: list) -> Vec:
    """Membership in a list of constants, by the operator table. A text column is looked up in
    one hashed pass (what the table's `==`/`!=` per listed value give, a pass per value)."""
    exact = a.kind not in ("number", "date")
    if exact and a.lo.dtype == object and len(items) > 1:
        hit = pd.Series(a.lo, dtype=object, copy=False).isin(items).to_numpy(dtype=bool)
        return from_decided(hit, ~hit, a.known)
    outcome = S.membership(items, exact=exact)
    return _realise(outcome, S.operand_ends(a=(a.lo, a.hi)), len(a.known), a.known)


# ---------------------------------------------------------------- arithmetic

#: A shift of more months (days) than this leaves the calendar the tool represents (0001..9999)
#: from any date, so it saturates like `forever` instead of overflowing int64 (an absurd value
#: such as 10**18 months); ends beyond the calendar are clipped to it the same way.
MAX_MONTHS = 12 * 10_000
MAX_DAYS = 366 * 10_000


def _shifted(dates: np.ndarray, steps: np.ndarray, limit: int,
             move: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """`dates` moved by `steps` (`move` on day numbers and whole steps), kept inside
    [MIN_DATE, MAX_DATE]: a shift beyond `limit` goes to the calendar's edge, a missing date or
    step gives NaT. Only the rows with both are computed: most fact dates of a roster are blank."""
    dates = dates.astype("datetime64[D]")
    steps = np.broadcast_to(np.asarray(steps, dtype=float), dates.shape)
    valid = ~np.isnat(dates) & ~np.isnan(steps)
    with np.errstate(invalid="ignore"):
        beyond = valid & (np.abs(steps) > limit)
    inside = np.flatnonzero(valid & ~beyond)
    result = np.full(dates.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    moved = move(dates[inside].astype(np.int64), steps[inside].astype(np.int64))
    result[inside] = np.minimum(np.maximum(moved, MIN_DATE.astype(np.int64)), MAX_DATE.astype(np.int64))
    result[beyond] = np.where(steps[beyond] > 0, MAX_DATE, MIN_DATE)
    return result


def _months_later(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    year, month, day = civil_from_days(days)
    target = year * 12 + (month - 1) + months
    year, month = target // 12, target % 12 + 1
    return days_from_civil(year, month, np.minimum(day, month_length(year, month)))


def add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Civil-law month arithmetic (民法典 §200-203): the same day N months later, or month-end."""
    return _shifted(dates, months, MAX_MONTHS, _months_later)


def add_days(dates: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The date N days later (earlier for negative N)."""
    return _shifted(dates, days, MAX_DAYS, np.add)


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


def window_ends(dates: Vec, duration: Vec) -> tuple[np.ndarray, np.ndarray]:
    """within()'s window ends: (date.lo + period.lo, date.hi + period.hi), by civil-law months or days."""
    step = add_months if duration.kind == "duration_months" else add_days
    return step(dates.lo, duration.lo), step(dates.hi, duration.hi)


def within(dates: Vec, duration: Vec, as_of: np.datetime64) -> Vec:
    """True when the as-of date falls on or after the date and on or before date + duration."""
    early, late = window_ends(dates, duration)
    ends = {**S.operand_ends(date=(dates.lo, dates.hi)), S.AS_OF: as_of, S.EARLY_END: early, S.LATE_END: late}
    return _realise(S.WITHIN, ends, len(dates.known), dates.known & duration.known)


def coalesce(a: Vec, b: Vec) -> Vec:
    pick = a.known
    return Vec(a.kind, np.where(pick, a.lo, b.lo), np.where(pick, a.hi, b.hi), a.known | b.known)


def presence(a: Vec, present: bool) -> Vec:
    return from_decided(*S.presence(a.known, ~a.known, present))
