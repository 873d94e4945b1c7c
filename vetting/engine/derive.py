"""Values derived on the as-of date: birth date used, age, sex from the ID number, and their cross-checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from vetting.engine.civil import civil_from_days
from vetting.engine.values import text_objects
from vetting.normalize.roster import ISSUE_COLUMNS, Candidates, column_label

#: Derived values computed from the birth date (evidence says where the birth date came from).
FROM_BIRTH = ("age", "birth_used")
#: The roster fields each derived value (and each cross-check) is computed from.
DERIVED_FROM = {"age": ("birth_date", "id_number"), "birth_used": ("birth_date", "id_number"),
                "sex_from_id": ("id_number",), "id_valid": ("id_number",),
                "birth_date": ("birth_date", "id_number"), "sex": ("sex", "id_number")}


def _days(series: pd.Series | None, n: int) -> np.ndarray:
    if series is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    return series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def age_on(birth: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Full years on the as-of date (the 18th birthday itself counts as 18; 29 Feb → 28 Feb)."""
    unknown = np.isnat(birth)
    years, months, days = civil_from_days(np.where(unknown, np.datetime64(0, "D"), birth).astype(np.int64))
    leap = as_of.year % 4 == 0 and (as_of.year % 100 != 0 or as_of.year % 400 == 0)
    if not leap:
        days = np.where((months == 2) & (days == 29), 28, days)
    before = (as_of.month * 100 + as_of.day) < (months * 100 + days)
    age = (as_of.year - years - before).astype(float)
    return np.where(unknown, np.nan, age)


def derive(candidates: Candidates, as_of: dt.date) -> tuple[dict[str, tuple], pd.DataFrame]:
    """Derived interval columns {name: (kind, lo, hi)} and the cross-check issues they raise."""
    frame, n = candidates.frame, len(candidates.frame)
    id_ok = (frame["id_status"] == "valid").fillna(False).to_numpy(dtype=bool) \
        if "id_status" in frame else np.zeros(n, dtype=bool)
    id_birth = _days(frame.get("id_birth_date"), n)
    stated_lo = _days(frame.get("birth_date__lo"), n)
    stated_hi = _days(frame.get("birth_date__hi"), n)
    birth_lo = np.where(id_ok, id_birth, stated_lo)
    birth_hi = np.where(id_ok, id_birth, stated_hi)
    as_of64 = np.datetime64(as_of, "D")
    issues = []
    with np.errstate(invalid="ignore"):
        mismatch = id_ok & ~np.isnat(stated_lo) & ((id_birth < stated_lo) | (id_birth > stated_hi))
        future = ~np.isnat(birth_lo) & (birth_lo > as_of64)
    if mismatch.any():
        rows = np.flatnonzero(mismatch)
        stated = candidates.raw["birth_date"].to_numpy(dtype=object)[rows]
        issues.append(_issue_frame(rows, "V02", "birth_date", column_label(candidates, "birth_date", "出生年月", rows),
                                   stated, ["填报的出生年月与公民身份号码中的出生日期不一致"] * len(rows)))
    if future.any():
        rows = np.flatnonzero(future)
        issues.append(_issue_frame(rows, "V05", "birth_date", "出生日期", np.full(len(rows), ""),
                                   [f"出生日期晚于审查基准日{as_of.isoformat()}"] * len(rows)))
    id_sex = text_objects(frame["id_sex"]) if "id_sex" in frame else np.full(n, None)
    if "sex" in frame:
        sex = text_objects(frame["sex"])
        wrong = id_ok & (sex != None) & (id_sex != None) & (sex != id_sex)  # noqa: E711
        if wrong.any():
            rows = np.flatnonzero(wrong)
            issues.append(_issue_frame(rows, "V03", "sex", column_label(candidates, "sex", "性别", rows), sex[rows],
                                       [f"填报性别「{s}」与身份证号显示的性别「{i}」不一致"
                                        for s, i in zip(sex[rows], id_sex[rows])]))
    age_hi = age_on(birth_lo, as_of)
    age_lo = age_on(birth_hi, as_of)
    derived = {
        "age": ("number", age_lo, age_hi),
        "birth_used": ("date", birth_lo, birth_hi),
        "sex_from_id": ("string", id_sex, id_sex),
        "id_valid": ("bool", id_ok, id_ok),
    }
    table = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=ISSUE_COLUMNS)
    return derived, table


def _issue_frame(rows: np.ndarray, code: str, field: str, column: str, values: ArrayLike,
                 problems: ArrayLike) -> pd.DataFrame:
    return pd.DataFrame({"row_id": rows, "code": code, "field": field, "column": column,
                         "value": list(values), "problem": list(problems)})
