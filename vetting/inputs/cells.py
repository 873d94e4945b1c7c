"""Spreadsheet cell values -> cell text, one column at a time, without a Python call per cell.

Why text: every later stage (ID numbers, dates, enums) parses text, and the evidence in a
report quotes the cell as the user typed it. Why care: Excel stores numbers as doubles, so an
18-digit ID number typed into a number cell has already lost its last digits. Such a value is
written in scientific notation ("5.105251972051402E+17") so that the ID parser recognises it and
flags it for review; it is never printed as a plausible-looking 18-digit number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: Doubles at or above this magnitude cannot hold an 18-digit number exactly (2**53 ~ 9.0e15);
#: 15-digit legacy ID numbers (< 1e15) survive a number cell intact.
LOST_DIGITS = 1e15


def column_text(values: np.ndarray) -> np.ndarray:
    """Object array of cell values (as calamine returns them) -> object array of ``str``.

    '' for blank; whole doubles as integers ("3", not "3.0"); other doubles in their shortest
    form ("1988.1"); doubles >= 1e15 in scientific notation; booleans as 是/否; date cells
    as "YYYY-MM-DD" (with " HH:MM:SS" when there is a time of day); anything else ``str()``.
    """
    values = np.asarray(values, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("string", "empty"):
        return values
    if kind == "floating":
        return floats_text(values.astype(np.float64))
    out = np.empty(len(values), dtype=object)
    types = pd.Series(values, dtype=object, copy=False).map(type).to_numpy()
    for kind_type in pd.unique(types):
        at = types == kind_type
        out[at] = _typed_text(kind_type, values[at])
    return out


def fractional_numbers(values: np.ndarray) -> np.ndarray | None:
    """Which cells are numbers with a fraction (1988.1, 2.5), or None when the column has none.

    Excel keeps no trailing zero in a number cell: "2025.10" typed into one is stored, and shown,
    as 2025.1. Its text alone cannot tell; the date parser needs to know the cell was a number.
    """
    values = np.asarray(values, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("string", "empty", "boolean", "integer", "date", "datetime"):
        return None
    if kind == "floating":
        numbers = values.astype(np.float64)
    else:
        is_float = pd.Series(values, dtype=object, copy=False).map(type).eq(float).to_numpy(dtype=bool)
        if not is_float.any():
            return None
        numbers = np.where(is_float, values, np.nan).astype(np.float64)
    fraction = np.isfinite(numbers) & (numbers != np.floor(np.where(np.isfinite(numbers), numbers, 0)))
    return fraction if fraction.any() else None


def _typed_text(kind: type, values: np.ndarray) -> np.ndarray:
    """Text for cells that all share one Python type."""
    if kind is str:
        return values
    if kind is float:
        return floats_text(values.astype(np.float64))
    if kind is bool:
        return np.where(values.astype(bool), "是", "否").astype(object)
    if kind is int:
        return floats_text(values.astype(np.float64), exact=values)
    if kind is type(None):
        return np.full(len(values), "", dtype=object)
    if issubclass(kind, dt.datetime):  # before date: datetime is a date subclass
        return _datetimes_text(values)
    if issubclass(kind, dt.date):
        return _days_text(values.astype("datetime64[D]"))
    return np.array([str(v) for v in values], dtype=object)  # times, durations, rare types


def floats_text(numbers: np.ndarray, exact: np.ndarray | None = None) -> np.ndarray:
    """Doubles -> text (see ``column_text``); ``exact`` holds the original ints, if any."""
    out = np.empty(len(numbers), dtype=object)
    finite = np.isfinite(numbers)
    big = finite & (np.abs(numbers) >= LOST_DIGITS)
    whole = finite & ~big & (numbers == np.floor(numbers))
    other = ~(big | whole)
    out[np.isnan(numbers)] = ""
    if whole.any():
        source = exact[whole] if exact is not None else numbers[whole].astype(np.int64)
        out[whole] = np.asarray(source).astype(str).astype(object)
    if big.any():
        out[big] = np.char.mod("%.15E", numbers[big]).astype(object)
    rest = other & ~np.isnan(numbers)
    if rest.any():
        out[rest] = numbers[rest].astype(str).astype(object)
    return out


def _datetimes_text(values: np.ndarray) -> np.ndarray:
    """Date-time cells: "YYYY-MM-DD" at midnight, else "YYYY-MM-DD HH:MM:SS"."""
    stamps = values.astype("datetime64[s]")
    days = stamps.astype("datetime64[D]")
    text = np.where(days == stamps, _days_text(days).astype(str),
                    np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " "))
    return text.astype(object)


def _days_text(days: np.ndarray) -> np.ndarray:
    """Date cells as text; the 1st of a month reads as the month ("2025-10").

    Excel stores "2025-10" or a 年月-formatted cell as 2025-10-01 and the reader cannot see the
    format: reading it as that exact day would let a look-back window end a month early (a
    false pass), so such cells keep only the month; a window boundary inside it is `review`.
    """
    text = np.datetime_as_string(days, unit="D")
    first = days == days.astype("datetime64[M]").astype("datetime64[D]")
    return np.where(first, np.datetime_as_string(days.astype("datetime64[M]"), unit="M"), text).astype(object)


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
