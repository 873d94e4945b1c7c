"""Half-years (半年考核期): reserves are rated every half year, and a rating belongs to one.

A period is written ``2026H1`` (stored) and read as 2026年上半年. The ratings a roster carries are
placed by the run's as-of date: 最近一次考核 belongs to the half-year holding the as-of date,
前一次考核 to the one before (a roster compiled for the half-year's assessment). Pure."""

from __future__ import annotations

import datetime as dt
import re

_PERIOD = re.compile(r"^(\d{4})H([12])$")


def period_of(day: dt.date) -> str:
    """The half-year holding `day`: 2026-06-30 -> 2026H1, 2026-07-01 -> 2026H2."""
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def _parts(period: str) -> tuple[int, int]:
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"not a half-year: {period!r}")
    return int(match.group(1)), int(match.group(2))


def previous(period: str) -> str:
    """The half-year before `period`: 2026H1 -> 2025H2."""
    year, half = _parts(period)
    return f"{year}H1" if half == 2 else f"{year - 1}H2"


def adjacent(earlier: str, later: str) -> bool:
    """Whether `later` is the half-year right after `earlier` (two ratings in a row)."""
    return previous(later) == earlier


def period_label(period: str) -> str:
    """2026H1 -> 2026年上半年, as reasons name a half-year."""
    year, half = _parts(period)
    return f"{year}年{'上' if half == 1 else '下'}半年"
