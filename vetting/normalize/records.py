"""Records beyond a candidate's own row: what agencies report, one record per reply row or per event
in an opinion, each weighed on its own.

A candidate's own row (the roster's cells, with the facts answering agencies cleared) is their
first record. Every further record names some fields (a sanction and its date, say) and is the
candidate's own row with those cells replaced. `expand` lays the records out as extra rows after
the candidates, so an engine evaluates them all at once; the caller maps each row back to its
candidate (`owner`) and keeps, per candidate, the union of the findings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from vetting.fields import Field
from vetting.normalize.roster import ISSUE_COLUMNS, Candidates, with_columns
from vetting.normalize.silence import Silence


@dataclass(frozen=True)
class Records:
    """Further records on candidates: per record its candidate (`owner`, a row of the candidate
    set), the text of each field it names (None where it names nothing: the candidate's own value
    stands; "" where it names a field but does not state it), the evidence quoting it (agency,
    file, row, text) and whether it rests on a weak match (name only, or another name)."""

    owner: np.ndarray
    columns: Mapping[str, np.ndarray]
    evidence: np.ndarray
    weak: np.ndarray

    def __len__(self) -> int:
        return len(self.owner)


def combine(parts: list[pd.DataFrame]) -> Records | None:
    """Records from frames with columns `owner`, `evidence`, `weak` and one column per field named
    (frames may name different fields; a field a frame lacks is not named by its records)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    table = pd.concat(parts, ignore_index=True)
    names = [c for c in table.columns if c not in ("owner", "evidence", "weak")]
    columns = {}
    for name in sorted(names):
        values = table[name].to_numpy(dtype=object)
        columns[name] = np.where(pd.isna(values), None, values).astype(object)
    return Records(owner=table["owner"].to_numpy(dtype=np.int64), columns=columns,
                   evidence=table["evidence"].to_numpy(dtype=object),
                   weak=table["weak"].to_numpy(dtype=bool))


def evidence_column(values: ArrayLike) -> pd.Categorical:
    """Per-row evidence texts (None: none) as a categorical, the form `Candidates.provenance`
    keeps them in: an answering agency's evidence is one text per opinion ("「纪委监委意见」
    （纪委监委）：无") repeated for every candidate and every fact it clears. Categories in order
    of appearance (not sorted: only `evidence_objects` reads them)."""
    codes, texts = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object))


def evidence_objects(column: pd.Categorical | ArrayLike, rows: np.ndarray | None = None) -> np.ndarray:
    """Evidence texts per row (of `rows` when given) as objects, None where there is none, from
    a categorical (`evidence_column`) or a plain array."""
    if isinstance(column, pd.Categorical):
        codes = column.codes if rows is None else column.codes[rows]
        return np.append(np.asarray(column.categories, dtype=object), None)[codes]
    values = np.asarray(column, dtype=object)
    return values if rows is None else values[rows]


def _take(candidates: Candidates, rows: np.ndarray) -> Candidates:
    """The given rows of a candidate set (typed and raw cells, evidence, weak marks), numbered 0..k-1."""
    return replace(candidates, frame=candidates.frame.take(rows).reset_index(drop=True),
                   raw=candidates.raw.take(rows).reset_index(drop=True),
                   issues=pd.DataFrame(columns=ISSUE_COLUMNS), extra=pd.DataFrame(), records=None, silence=Silence(),
                   provenance={k: evidence_objects(v, rows) for k, v in candidates.provenance.items()},
                   weak={k: np.asarray(v, dtype=bool)[rows] for k, v in candidates.weak.items()})


def _stack(top: pd.DataFrame, bottom: pd.DataFrame, blank: object = None) -> pd.DataFrame:
    """`top` rows then `bottom` rows; a column only `bottom` has is missing in `top` (`blank`, or
    the missing value of its dtype)."""
    missing = {c: pd.Series(blank, index=top.index, dtype=object) if blank is not None
               else bottom[c].iloc[:0].reindex(top.index)
               for c in bottom.columns if c not in top.columns}
    top = top.assign(**missing) if missing else top
    return pd.concat([top, bottom[top.columns]], ignore_index=True)


def _per_row(own: Mapping[str, np.ndarray], added: Mapping[str, np.ndarray], n: int, m: int,
             fill: object, dtype: object) -> dict[str, np.ndarray]:
    out = {}
    for name in dict.fromkeys([*own, *added]):
        head = np.asarray(own[name], dtype=dtype) if name in own else np.full(n, fill, dtype=dtype)
        tail = np.asarray(added[name], dtype=dtype) if name in added else np.full(m, fill, dtype=dtype)
        out[name] = np.concatenate([head, tail])
    return out


class Expanded(NamedTuple):
    """Candidates' own rows followed by one row per further record: the rows, the candidate each
    row belongs to (`owner`), and per field the rows whose record names it (never an own row)."""

    rows: Candidates
    owner: np.ndarray
    named: dict[str, np.ndarray]


def expand(candidates: Candidates, fields: Mapping[str, Field]) -> Expanded:
    """The candidate set followed by one row per further record. A record row is its candidate's
    row with the record's fields set (typed values and data problems recomputed from the record's
    text; its evidence and weak mark on those fields). Without further records the rows are the
    candidate set itself."""
    records = candidates.records
    n = len(candidates)
    if records is None or not len(records):
        return Expanded(candidates, np.arange(n), {})
    own = _take(candidates, records.owner)
    columns, named = {}, {}
    for name, values in records.columns.items():
        said = ~pd.isna(values)
        base = own.raw[name].to_numpy(dtype=object) if name in own.raw else np.full(len(records), "", dtype=object)
        columns[name] = np.where(said, values, base).astype(object)
        named[name] = np.concatenate([np.zeros(n, dtype=bool), said])
    part = with_columns(own, fields, (), columns)
    evidence = {name: np.where(~pd.isna(values), records.evidence, part.provenance.get(name, None))
                for name, values in records.columns.items()}
    weak = {name: part.weak.get(name, np.zeros(len(records), dtype=bool)) | (records.weak & ~pd.isna(values))
            for name, values in records.columns.items() if (records.weak & ~pd.isna(values)).any()}
    issues = part.issues.copy()
    issues["evidence"] = records.evidence[issues["row_id"].to_numpy(dtype=np.int64)]
    issues["row_id"] = issues["row_id"].to_numpy(dtype=np.int64) + n
    rows = replace(
        candidates, frame=_stack(candidates.frame, part.frame), raw=_stack(candidates.raw, part.raw, ""),
        present=part.present, records=None,
        issues=pd.concat([candidates.issues, issues], ignore_index=True) if len(issues) else candidates.issues,
        provenance={k: evidence_column(v) for k, v in _per_row(
            {k: evidence_objects(v) for k, v in candidates.provenance.items()},
            {**part.provenance, **evidence}, n, len(records), None, object).items()},
        weak=_per_row(candidates.weak, {**part.weak, **weak}, n, len(records), False, bool))
    return Expanded(rows, np.concatenate([np.arange(n), records.owner]), named)
