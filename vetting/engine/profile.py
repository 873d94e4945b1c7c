"""Who the candidates are, for the charts of a report: age on the as-of date, education, sex and
political status per candidate, and the targets a pack declares for them (a share under an age,
a share at or above an education level). Pure: frames in, frames out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from vetting.engine.derive import derive
from vetting.normalize.roster import Candidates
from vetting.result import PROFILE_COLUMNS
from vetting.ruleset.model import Ruleset
from vetting.vocab import EDUCATION_LEVELS

#: Targets a report shows beside a distribution, read from the pack's parameters by name:
#: (parameter, group, dimension, comparison). `slate` is the passing candidates other than
#: reserves, `reserve` the passing reserves (后备力量); `le` counts values at or below the
#: parameter, `ge` at or above it.
TARGETS: tuple[tuple[str, str, str, str], ...] = (
    ("youth_age", "slate", "age", "le"),
    ("reserve_preferred_max_age", "reserve", "age", "le"),
    ("reserve_preferred_min_education", "reserve", "education", "ge"),
)


def candidate_profile(candidates: Candidates, as_of: dt.date) -> pd.DataFrame:
    """One row per candidate (PROFILE_COLUMNS): the full years surely reached on `as_of` (from
    the ID number when it is valid, else the stated birth date; NaN when neither is known), and
    the labels of education, sex (stated, else from the ID number) and political status."""
    frame, n = candidates.frame, len(candidates.frame)
    derived, _ = derive(candidates, as_of)
    _, age_lo, _ = derived["age"]
    education = frame["education"] if "education" in frame else pd.Series(np.nan, index=frame.index)
    sex = _text(frame, "sex")
    if "id_sex" in frame:
        sex = sex.fillna(frame["id_sex"].astype("str"))
    return pd.DataFrame({
        "row_id": np.arange(n, dtype=np.int64),
        "age": np.asarray(age_lo, dtype=float),
        "education": pd.to_numeric(education, errors="coerce").map(EDUCATION_LEVELS).astype("str").to_numpy(),
        "sex": sex.to_numpy(),
        "political_status": _text(frame, "political_status").to_numpy(),
    }, columns=PROFILE_COLUMNS)


def declared_targets(ruleset: Ruleset, as_of: dt.date) -> list[dict[str, Any]]:
    """The TARGETS the pack declares, with their value on `as_of` and the parameter's own
    description (what the pack says the figure means)."""
    found = []
    for name, group, dimension, op in TARGETS:
        parameter = ruleset.parameters.get(name)
        value = parameter.at(as_of) if parameter is not None else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append({"parameter": name, "group": group, "dimension": dimension, "op": op,
                          "value": value, "description": parameter.description, "local": parameter.local})
    return found


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame[column].astype("str")
