"""Every record weighed, on the engine's side: rules run over the candidates' own rows and their
further records at once (vetting.normalize.records.expand), then each candidate gets the union of
the findings of their rows, each finding once.

A record row differs from its candidate's own row only in the fields the record names, so a rule
reading none of them (nor what they derive) says there exactly what it says on the own row: such
rows are left out of that rule's findings instead of being made and then de-duplicated."""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from vetting.engine.derive import DERIVED_FROM
from vetting.fields import Field
from vetting.normalize.records import Expanded, expand
from vetting.normalize.roster import Candidates
from vetting.ruleset.model import Rule


class Layout:
    """The rows an engine evaluates for a candidate set, and the way back to the candidates."""

    def __init__(self, candidates: Candidates, fields: Mapping[str, Field]) -> None:
        self.n = len(candidates)
        self.expanded: Expanded = expand(candidates, fields)
        self.rows = self.expanded.rows
        self.several = self.rows is not candidates

    def touching(self, fields: Iterable[str]) -> np.ndarray | None:
        """Rows whose findings can differ from their candidate's own row when these fields (and
        what is derived from them) are read: the own rows and the records naming one of them
        (None: every row)."""
        if not self.several:
            return None
        named = self.expanded.named
        keep = np.zeros(len(self.rows), dtype=bool)
        keep[:self.n] = True
        for name in {source for f in fields for source in (f, *DERIVED_FROM.get(f, ()))}:
            if name in named:
                keep |= named[name]
        return keep

    def rule_rows(self, rule: Rule) -> np.ndarray | None:
        """`touching` for what a rule reads (its fields, and the post when it names posts)."""
        return self.touching([*rule.fields, *(["role"] if rule.roles else [])])

    def data_issues(self, issues: pd.DataFrame) -> pd.DataFrame:
        """Data problems of the rows, without those a record row merely repeats from its own row."""
        if not self.several or issues.empty:
            return issues
        rows = issues["row_id"].to_numpy(dtype=np.int64)
        keep = rows < self.n
        for field, group in issues.groupby("field", sort=False, dropna=False).groups.items():
            at = issues.index.get_indexer(group)
            keep[at] |= self.touching([str(field)])[rows[at]]
        return issues[keep]

    def findings(self, parts: list[pd.DataFrame]) -> list[pd.DataFrame]:
        """Each part's findings as findings of the candidates, in candidate order (a part of the
        candidates' own rows only, such as an agency's silence, is theirs as it is)."""
        if not self.several:
            return parts
        owner = self.expanded.owner
        out = []
        for part in parts:
            rows = part["row_id"].to_numpy(dtype=np.int64)
            if rows.max(initial=-1) < self.n:       # own rows only: already the candidates' (an agency's silence)
                out.append(part)
                continue
            mapped = part.assign(row_id=owner[rows])
            out.append(mapped.iloc[np.argsort(mapped["row_id"].to_numpy(), kind="stable")])
        return out

    def once(self, findings: pd.DataFrame) -> pd.DataFrame:
        """Each finding once per candidate (two records can give the same finding); only
        candidates with records can repeat one."""
        if not self.several:
            return findings
        several = np.bincount(self.expanded.owner, minlength=self.n) > 1
        maybe = several[findings["row_id"].to_numpy(dtype=np.int64)]
        repeated = np.zeros(len(findings), dtype=bool)
        if maybe.any():
            repeated[np.flatnonzero(maybe)] = findings[maybe].duplicated(keep="first").to_numpy()
        return (findings[~repeated] if repeated.any() else findings).reset_index(drop=True)
