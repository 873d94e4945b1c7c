"""Dates that cannot be right on the as-of date: a fact dated after it, or before the person was born.

A sanction, judgment or detention dated after the as-of date has either not happened yet or was
typed wrong (2062 for 2026); one dated before the birth date certainly was. Rules read such a date
as it stands (a window that has not begun, or ended long ago, so the rule alone would pass the
person), so each such cell is a data problem (V06, `review`) naming the cell. Only dates that are
surely wrong count: a month-precise date is wrong only when its whole month is. Dates the catalogue
marks `may_follow_as_of` (the end of a sentence still being served) may lie after the as-of date.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

import numpy as np
import pandas as pd

from vetting.fields import Field
from vetting.normalize.records import evidence_objects
from vetting.normalize.roster import ISSUE_COLUMNS, Candidates, column_label


def _days(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def implausible_dates(candidates: Candidates, fields: Mapping[str, Field], as_of: dt.date,
                      birth_lo: np.ndarray, birth_hi: np.ndarray) -> pd.DataFrame:
    """V06 issues for date cells surely after the as-of date or surely before the birth date
    (`birth_lo`/`birth_hi`: the birth date used, from the ID number or the roster)."""
    frame, as_of64 = candidates.frame, np.datetime64(as_of, "D")
    parts = []
    for name in sorted(candidates.present):
        spec = fields.get(name)
        if spec is None or spec.type != "date" or spec.derived or name == "birth_date":
            continue
        lo, hi = _days(frame, f"{name}__lo"), _days(frame, f"{name}__hi")
        with np.errstate(invalid="ignore"):
            late = ~np.isnat(lo) & (lo > as_of64) & (not spec.may_follow_as_of)
            early = ~np.isnat(hi) & ~np.isnat(birth_lo) & (hi < birth_lo) & ~late
        for wrong, problem in ((late, f"晚于审查基准日{as_of.isoformat()}，日期有误或事情尚未发生，需核实"),
                               (early, "早于本人出生日期，日期有误，需核实")):
            if wrong.any():
                parts.append(_issues(candidates, spec, np.flatnonzero(wrong), problem))
    if not parts:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["row_id", "field"], kind="stable", ignore_index=True)


def _issues(candidates: Candidates, spec: Field, rows: np.ndarray, problem: str) -> pd.DataFrame:
    """One V06 issue per row; a date an agency gave is quoted with its record, as its findings are."""
    values = candidates.raw[spec.name].to_numpy(dtype=object)[rows] if spec.name in candidates.raw \
        else np.full(len(rows), "", dtype=object)
    source = candidates.provenance.get(spec.name)
    evidence = evidence_objects(source, rows) if source is not None else np.full(len(rows), None)
    return pd.DataFrame({"row_id": rows, "code": "V06", "field": spec.name,
                         "column": column_label(candidates, spec.name, spec.label, rows),
                         "value": values, "problem": [f"「{v}」{problem}" for v in values], "evidence": evidence})
