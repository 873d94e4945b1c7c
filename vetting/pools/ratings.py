"""The ratings a reserve roster gives (pure): 最近一次考核 and 前一次考核 placed on their
half-years by the run's as-of date, one row per rating (vetting.result.RATING_COLUMNS)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vetting.normalize.roster import Candidates
from vetting.pools.periods import period_of, previous
from vetting.result import RATING_COLUMNS

#: Rating fields of a roster and the half-year each belongs to, from the as-of date's.
RATING_FIELDS = (("assessment_last", 0), ("assessment_prev", 1))


def roster_ratings(candidates: Candidates, as_of: dt.date) -> pd.DataFrame:
    """Every rating a roster row gives, with its half-year: the last one the as-of date's, the
    one before the half-year before (rows in input order, each rating once)."""
    parts = []
    period = period_of(as_of)
    for name, back in RATING_FIELDS:
        if name not in candidates.frame:
            continue
        values = candidates.frame[name].astype("string")
        given = values.notna().to_numpy(dtype=bool)
        when = period if back == 0 else previous(period)
        parts.append(pd.DataFrame({"row_id": np.flatnonzero(given), "period": when,
                                   "rating": values[given].to_numpy(dtype=object), "source": name}))
    if not parts:
        return pd.DataFrame(columns=RATING_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["row_id", "period"], kind="stable").reset_index(drop=True)[RATING_COLUMNS]
