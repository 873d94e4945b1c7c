"""Roll findings up into one verdict per candidate: the worst severity wins; notices never count."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from vetting.normalize.roster import Candidates
from vetting.result import CANDIDATE_COLUMNS
from vetting.vocab import VERDICT_RANK, VERDICTS, Severity, Verdict

_RANK = {s.value: VERDICT_RANK[s.verdict.value] for s in Severity if s.verdict is not None}
PASS_RANK = Verdict.PASS.rank


def ranked(severity: pd.Series, ranks: Mapping[str, int], default: int) -> np.ndarray:
    """Each finding's rank by its severity (`ranks`; `default` for another or a missing one) as
    integers, worked out per distinct severity. Not ``severity.map(ranks)``: pandas maps a
    categorical column (as findings hold it) to a categorical, which sorts by the order of its
    categories, not by the numbers."""
    codes, uniques = pd.factorize(severity)
    return np.array([*(ranks.get(u, default) for u in uniques), default], dtype=np.int64)[codes]


def verdicts(n: int, findings: pd.DataFrame, first: int = 0) -> np.ndarray:
    """Verdict code per row_id first..first+n-1 (`findings` hold no other row_id)."""
    rank = np.full(n, PASS_RANK, dtype=np.int64)
    if len(findings):
        severity_rank = ranked(findings["severity"], _RANK, PASS_RANK)
        np.minimum.at(rank, findings["row_id"].to_numpy(dtype=np.int64) - first, severity_rank)
    return np.array(VERDICTS, dtype=object)[rank]


def candidate_table(candidates: Candidates, findings: pd.DataFrame, lo: int = 0, hi: int | None = None) -> pd.DataFrame:
    """One row per input candidate (input order) with identity columns and the verdict; only
    candidates lo..hi-1 (with their findings) for one chunk of a chunked run."""
    frame = candidates.frame
    raw = candidates.raw
    sliced = bool(lo or (hi is not None and hi < len(frame)))
    if sliced:
        frame, raw = frame.iloc[lo:hi], raw.iloc[lo:hi]
    n = len(frame)

    def col(name: str) -> pd.Series:
        """The normalised value, or the raw cell text where it could not be normalised."""
        typed = frame[name].astype("string") if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        if name in raw:
            typed = typed.fillna(raw[name].astype("string").replace("", pd.NA))
        return typed

    table = pd.DataFrame({
        "row_id": np.arange(lo, lo + n),
        "source_file": col("source_file"),
        "source_row": frame["source_row"].to_numpy() if "source_row" in frame else np.arange(lo + 1, lo + n + 1),
        "name": col("name"),
        "role": col("role"),
        "village": col("village"),
        "township": col("township"),
        "id_number": col("id_number"),
        "verdict": verdicts(n, findings, lo),
    })
    table = table[CANDIDATE_COLUMNS]
    return table.reset_index(drop=True) if sliced else table
