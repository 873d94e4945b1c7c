"""Day numbers to calendar dates and back in integer arithmetic (proleptic Gregorian, the
calendar numpy's datetime64 uses): numpy converts a day to its month by a calendar lookup per
element, several times slower than these array operations, and rules shift dates by months on
every candidate (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms")."""

from __future__ import annotations

import numpy as np

_EPOCH_SHIFT = 719_468          # days from 0000-03-01 to 1970-01-01
_ERA_DAYS = 146_097             # days in 400 years
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month 1-12, day 1-31) of each day number (days since 1970-01-01, int64)."""
    z = np.asarray(days, dtype=np.int64) + _EPOCH_SHIFT
    era = z // _ERA_DAYS
    of_era = z - era * _ERA_DAYS
    year_of_era = (of_era - of_era // 1460 + of_era // 36524 - of_era // 146096) // 365
    of_year = of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * of_year + 2) // 153                    # March = 0
    day = of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970-01-01) of valid (year, month, day) triples."""
    year = np.asarray(year, dtype=np.int64) - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + of_year
    return era * _ERA_DAYS + of_era - _EPOCH_SHIFT


def month_length(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days in each (year, month)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _MONTH_DAYS[month - 1] + ((month == 2) & leap)
