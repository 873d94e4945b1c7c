"""Render interval vectors as the Chinese text used in reasons (dates, numbers, periods)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vetting.engine.values import MAX_DATE, Vec
from vetting.normalize.dates import readings_text, two_readings

BLANK = "（空）"


def _dates(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo_text = np.datetime_as_string(lo, unit="D").astype(object)
    hi_text = np.datetime_as_string(hi, unit="D").astype(object)
    month_lo = lo.astype("datetime64[M]")
    whole_month = (month_lo.astype("datetime64[D]") == lo) & ((month_lo + 1).astype("datetime64[D]") - 1 == hi)
    year_lo = lo.astype("datetime64[Y]")
    whole_year = (year_lo.astype("datetime64[D]") == lo) & ((year_lo + 1).astype("datetime64[D]") - 1 == hi)
    out = np.where(lo == hi, lo_text, lo_text + "至" + hi_text)
    out = np.where(whole_month, np.datetime_as_string(month_lo, unit="M").astype(object), out)
    out = np.where(whole_year, np.datetime_as_string(year_lo, unit="Y").astype(object), out)
    out = np.where(two_readings(lo, hi), readings_text(lo), out)
    return np.where(hi >= MAX_DATE, "永久", out)


def _numbers(lo: np.ndarray, hi: np.ndarray, suffix: str = "") -> np.ndarray:
    def text(a: np.ndarray) -> np.ndarray:
        safe = np.where(np.isfinite(a), a, 0)
        whole = np.isclose(safe, np.round(safe))
        as_int = np.round(safe).astype(np.int64).astype(str).astype(object)
        as_float = np.char.mod("%.2f", safe).astype(object)
        return np.where(whole, as_int, as_float)
    out = np.where(lo == hi, text(lo) + suffix, text(lo) + "~" + text(hi) + suffix)
    return np.where(np.isinf(hi), "永久", out)


def format_vec(vec: Vec) -> np.ndarray:
    """One display string per row; unknown values show as （空）."""
    if vec.kind == "date":
        out = _dates(vec.lo, vec.hi)
    elif vec.kind == "bool":
        out = np.where(vec.lo, "是", "否").astype(object)
    elif vec.kind == "duration_months":
        out = _numbers(vec.lo, vec.hi, "个月")
    elif vec.kind == "duration_days":
        out = _numbers(vec.lo, vec.hi, "天")
    elif vec.kind == "number":
        out = _numbers(vec.lo, vec.hi)
    else:
        out = vec.lo.astype(object)
    return np.where(vec.known, out, BLANK).astype(object)


def joined(*parts: np.ndarray | str) -> np.ndarray:
    """Texts joined element by element (object arrays of one length, or one text for every
    element), each distinct combination made once and shared: findings repeat a few texts
    (agency, column, what it owes) over millions of rows, and a Python string made per row costs
    as much as the rest of a finding."""
    arrays = [p for p in parts if not isinstance(p, str)]
    if not arrays:
        raise ValueError("joined() needs at least one array")
    factorized = [pd.factorize(np.asarray(p, dtype=object), use_na_sentinel=False) for p in arrays]
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    for codes, uniques in factorized:      # the combination so far, renumbered: stays below the length
        key = pd.factorize(key * len(uniques) + codes)[0]
    first = np.unique(key, return_index=True)[1]
    texts = []
    for row in first:
        pieces = iter(str(uniques[codes[row]]) for codes, uniques in factorized)
        texts.append("".join(part if isinstance(part, str) else next(pieces) for part in parts))
    return np.array(texts, dtype=object)[key]
