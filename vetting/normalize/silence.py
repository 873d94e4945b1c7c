"""Agencies that still owe an answer (data check J01), kept compact until a report needs the rows.

Before the agencies reply nearly every candidate is awaited by every agency: one data-issue row
per agency and candidate with its text (880,000 rows for 100,000 candidates and ten agencies,
several hundred MB as Python strings) would outweigh everything else a run holds. A block keeps
who is awaited as one byte per candidate and the issue's text as a categorical (the opinion
cell that says nothing, or one sentence for everyone); the findings of candidates lo..hi-1 are
made only when a report slice is rendered (`vetting.engine.findings.silent_findings`), exactly
as a whole table would list them (block by block, candidates in order within a block)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The data check an agency's silence raises.
SILENT_CODE = "J01"


@dataclass(frozen=True)
class SilentBlock:
    """One agency silent in one place: `column` is the opinion column that says nothing (or the
    agency's name when the roster has no column for it), `owed` per candidate whether the answer
    is still owed, `problem` the issue's text per candidate (a categorical, never NA where owed)
    or one text for all."""

    agency: str
    column: str
    owed: np.ndarray
    problem: pd.Categorical | str

    def rows(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Candidates in lo..hi-1 the agency owes an answer, in order."""
        hi = len(self.owed) if hi is None else min(hi, len(self.owed))
        lo = max(lo, 0)
        return np.flatnonzero(self.owed[lo:hi]) + lo if hi > lo else np.array([], dtype=np.int64)


@dataclass(frozen=True)
class Silence:
    """Every agency's silence of a run: blocks in the order their issues are listed."""

    blocks: tuple[SilentBlock, ...] = ()

    def __len__(self) -> int:
        """The number of J01 issues (one per block and awaited candidate)."""
        return sum(int(np.count_nonzero(b.owed)) for b in self.blocks)

    def by_agency(self, owner: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Per agency owing answers (in the order its blocks come), whether it owes each candidate
        one; per row of `owner` (the candidate each evaluated row belongs to) when given."""
        out: dict[str, np.ndarray] = {}
        for block in self.blocks:
            owed = block.owed if owner is None else block.owed[owner]
            out[block.agency] = out[block.agency] | owed if block.agency in out else owed
        return out


def said_per_row(blank: str, quoted: np.ndarray, pending: np.ndarray, tail: str) -> pd.Categorical:
    """Per candidate `blank` + `tail`, or where `pending` the quoted cell 「…」 + `tail`, as a
    categorical: one Python string per distinct text, one code per candidate."""
    codes, texts = pd.factorize(pd.Series(np.where(pending, quoted, None), dtype=object), use_na_sentinel=True)
    categories = [blank + tail, *("「" + str(t) + "」" + tail for t in texts)]
    return pd.Categorical.from_codes(codes.astype(np.int64) + 1, categories=pd.Index(categories, dtype=object))
