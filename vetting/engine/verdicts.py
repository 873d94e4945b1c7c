"""Roll findings up into one verdict per candidate: the worst severity wins; notices never count."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vetting.normalize.roster import Candidates
from vetting.result import CANDIDATE_COLUMNS
from vetting.vocab import VERDICT_RANK, VERDICTS, Severity, Verdict

_RANK = {s.value: VERDICT_RANK[s.verdict.value] for s in Severity if s.verdict is not None}
PASS_RANK = Verdict.PASS.rank


def verdicts(n: int, findings: pd.DataFrame) -> np.ndarray:
    """Verdict code per row_id 0..n-1."""
    rank = np.full(n, PASS_RANK, dtype=np.int64)
    if len(findings):
        severity_rank = findings["severity"].map(_RANK).fillna(PASS_RANK).to_numpy(dtype=np.int64)
        np.minimum.at(rank, findings["row_id"].to_numpy(dtype=np.int64), severity_rank)
    return np.array(VERDICTS, dtype=object)[rank]


def candidate_table(candidates: Candidates, findings: pd.DataFrame) -> pd.DataFrame:
    """One row per input candidate (input order) with identity columns and the verdict."""
    frame = candidates.frame
    n = len(frame)

    def col(name: str) -> pd.Series:
        """The normalised value, or the raw cell text where it could not be normalised."""
        typed = frame[name].astype("string") if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        if name in candidates.raw:
            typed = typed.fillna(candidates.raw[name].astype("string").replace("", pd.NA))
        return typed

    table = pd.DataFrame({
        "row_id": np.arange(n),
        "source_file": col("source_file"),
        "source_row": frame["source_row"].to_numpy() if "source_row" in frame else np.arange(1, n + 1),
        "name": col("name"),
        "role": col("role"),
        "village": col("village"),
        "township": col("township"),
        "id_number": col("id_number"),
        "verdict": verdicts(n, findings),
    })
    return table[CANDIDATE_COLUMNS]
