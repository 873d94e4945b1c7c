"""Rows in and out of the history tables. A finished run becomes `runs`, `candidates` and
`findings` rows with every ID number masked (`vetting.privacy`) or replaced by its keyed
digest; stored rows become the dataclasses of `vetting.history.model`. No database access."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from vetting.history.keys import id_digester, normalise_id
from vetting.history.model import RunSummary, StoredCandidate, StoredDecision, StoredFinding
from vetting.history.schema import DECISION_COLUMNS, RUN_COLUMNS, TEXT_COLUMNS
from vetting.privacy import mask_id, mask_text, mask_text_series, mask_tree
from vetting.reports.joining import join_by
from vetting.result import VettingResult
from vetting.vocab import SEVERITY_RANK, VERDICTS

#: Rows converted to Python values at a time while recording (bounds the extra memory).
CHUNK_ROWS = 50_000

_CANDIDATE_SOURCES = ("row_id", "source_file", "source_row", "name", "role", "village", "township")
#: Text columns that may carry an ID number typed or pasted into a roster or a reply.
_MASKED = frozenset({"source_file", "name", "role", "village", "township", "reason", "evidence"})


def run_row(result: VettingResult, started_at: dt.datetime | str, finished_at: dt.datetime | str,
            options: Mapping[str, Any], key_id: str | None, recorded: tuple[int, int] | None = None) -> tuple:
    """The `runs` row (without id) for `result`: meta fields, counts (`recorded`: candidates and
    findings recorded, when `result` does not hold them all), and inputs, options and meta as
    JSON with ID-like numbers masked (digests under ``sha256`` kept), and the fingerprint of the
    key its ID digests use."""
    meta = result.meta or {}
    ruleset = meta.get("ruleset") or {}
    counts = meta.get("verdict_counts")
    if not counts:
        found = result.candidates["verdict"].value_counts()
        counts = {v: int(found.get(v, 0)) for v in VERDICTS}
    return (
        _timestamp(started_at), _timestamp(finished_at),
        _text(meta.get("tool_version")), _text(meta.get("engine")),
        _text(ruleset.get("id")), _text(ruleset.get("title")),
        _text(ruleset.get("version")), _digest(ruleset.get("sha256")),
        _text(meta.get("as_of")),
        _masked_json(meta.get("inputs") or []),
        *(recorded or (int(len(result.candidates)), int(len(result.findings)))),
        _json(counts),
        _masked_json(dict(options)),
        _masked_json(meta),
        key_id,
    )


def candidate_rows(run_id: int, candidates: pd.DataFrame, key: bytes,
                   unchecked: pd.DataFrame | None = None) -> Iterator[tuple]:
    """`candidates` rows for executemany: the ID number replaced by its keyed digest and
    masked form, ID-like numbers in the text columns (a file name, a pasted cell) masked, and
    the rules `unchecked` lists for the candidate (row_id, rule) joined by "、"."""
    digest = id_digester(key)
    not_checked = unchecked_text(unchecked)
    for part in _chunks(candidates):
        ids = [normalise_id(v) for v in _values(part["id_number"])]
        digests = [digest(v) if v else None for v in ids]
        masked = [mask_id(v) if v else None for v in ids]
        columns = [_column(part, c) for c in _CANDIDATE_SOURCES]
        rules = _values(part["row_id"].map(not_checked)) if len(not_checked) else [None] * len(part)
        for values in zip(*columns, digests, masked, _values(part["verdict"]), rules):
            yield (run_id, *values)


def unchecked_text(unchecked: pd.DataFrame | None) -> pd.Series:
    """Per row_id, the rules the run could not check for that candidate joined by "、" in
    order of appearance (what a report's 未覆盖规则 column shows)."""
    if unchecked is None or not len(unchecked):
        return pd.Series(dtype="object")
    return join_by(unchecked["row_id"], unchecked["rule"], "、")


@dataclass(frozen=True)
class FindingPart:
    """One slice of a run's findings in compact form: its distinct texts (TEXT_COLUMNS tuples)
    with their digests, and per finding (row_id, seq, index into `texts`)."""

    texts: list[tuple]
    digests: list[bytes]
    refs: list[tuple[int, int, int]]


def finding_parts(findings: pd.DataFrame, candidates: pd.DataFrame) -> Iterator[FindingPart]:
    """The findings in compact form, CHUNK_ROWS at a time (see `FindingPart`): reason and
    evidence with ID-like numbers masked; evidence that starts with the candidate's own
    "<file> 第<row>行" (as the candidates table stores it) kept without it and marked ``at_row``,
    so that it is one text for every candidate; `seq` numbers each candidate's findings in the
    order given. Vectorised (each column factorised, the codes grouped); only the few distinct
    texts of a slice become Python values."""
    prefix = _row_prefixes(candidates)
    seq = findings.groupby("row_id", sort=False).cumcount().to_numpy()
    for start in range(0, len(findings), CHUNK_ROWS):
        part = findings.iloc[start:start + CHUNK_ROWS].reset_index(drop=True)
        columns = {c: _text_column(part, c) for c in TEXT_COLUMNS if c != "at_row"}
        columns["evidence"], columns["at_row"] = _strip_prefix(columns["evidence"], part["row_id"].map(prefix))
        codes = pd.DataFrame({c: pd.factorize(columns[c], use_na_sentinel=False)[0] for c in TEXT_COLUMNS})
        group = codes.groupby(list(TEXT_COLUMNS), sort=False).ngroup().to_numpy()
        first = np.unique(group, return_index=True)[1]          # first finding of each text, by text number
        texts = list(zip(*(_plain(columns[c].iloc[first]) for c in TEXT_COLUMNS)))
        refs = list(zip(_values(part["row_id"]), seq[start:start + len(part)].tolist(), group.tolist()))
        yield FindingPart(texts, [text_digest(t) for t in texts], refs)


def text_digest(text: tuple) -> bytes:
    """A 16-byte BLAKE2b of one finding text (TEXT_COLUMNS values): how the same text is found
    again in the database (None and "" stay different)."""
    return hashlib.blake2b(_json(list(text)).encode("utf-8"), digest_size=16).digest()


def _text_column(part: pd.DataFrame, name: str) -> pd.Series:
    """One text column of a slice as pandas strings, masked when it may hold an ID number."""
    text = part[name].astype("str")
    return mask_text_series(text) if name in _MASKED else text


def _plain(values: pd.Series) -> list:
    """Values as stored: Python str or int, None for missing."""
    return [None if pd.isna(v) else (int(v) if isinstance(v, (int, np.integer)) else str(v)) for v in values]


def _row_prefixes(candidates: pd.DataFrame) -> pd.Series:
    """Per row_id, "<file> 第<row>行" as the candidates table stores file and row (the file name
    masked), where both are known and the row is a whole number."""
    files = mask_text_series(candidates["source_file"].astype("str"))
    rows = pd.to_numeric(candidates["source_row"], errors="coerce")
    whole = (rows.notna() & files.notna() & (rows == rows.round())).to_numpy()
    text = files[whole] + " 第" + rows[whole].astype("int64").astype("str") + "行"
    return pd.Series(text.to_numpy(), index=candidates["row_id"].to_numpy()[whole], dtype="str")


def _strip_prefix(evidence: pd.Series, prefix: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`evidence` without its `prefix` where it starts with it, and at_row 1 there (0
    elsewhere); one vectorised comparison per distinct prefix length."""
    prefix = prefix.astype("str")
    at_row = np.zeros(len(evidence), dtype="int64")
    out = evidence.copy()
    length = prefix.str.len()
    known = (evidence.notna() & prefix.notna()).to_numpy()
    for size in pd.unique(length[known]):
        where = np.flatnonzero(known & (length == size).to_numpy())
        hit = where[(evidence.iloc[where].str.slice(0, int(size)) == prefix.iloc[where]).to_numpy()]
        at_row[hit] = 1
        out.iloc[hit] = evidence.iloc[hit].str.slice(int(size))
    return out, pd.Series(at_row, index=evidence.index)


#: Decision columns that may quote an ID number typed into a decisions file.
_DECISION_MASKED = frozenset({"why", "note", "decided_by", "document", "name", "position"})


def decision_rows(run_id: int, decisions: pd.DataFrame, key: bytes) -> Iterator[tuple]:
    """`decisions` rows for executemany: the ID number a decision names replaced by its keyed
    digest and masked form (as for candidates), ID-like numbers in the texts masked."""
    digest = id_digester(key)
    for part in _chunks(decisions):
        ids = [normalise_id(v) for v in _values(part["id_number"])]
        columns = {c: _values(mask_text_series(part[c].astype("string"))) if c in _DECISION_MASKED
                   else _values(part[c]) for c in DECISION_COLUMNS if c in part}
        columns["id_hmac"] = [digest(v) if v else None for v in ids]
        columns["id_masked"] = [mask_id(v) if v else None for v in ids]
        columns["row_id"] = [None if v is None else int(v) for v in columns["row_id"]]
        columns["file_row"] = [None if v is None else int(v) for v in columns["file_row"]]
        for values in zip(*(columns[c] for c in DECISION_COLUMNS)):
            yield (run_id, *values)


def summary(row: Sequence[Any]) -> RunSummary:
    """A `runs` row (in RUN_COLUMNS order) as a RunSummary with the JSON columns parsed."""
    values = dict(zip(RUN_COLUMNS, row))
    for key in ("inputs", "verdict_counts", "options", "meta"):
        values[key] = json.loads(values[key]) if values[key] else ({} if key != "inputs" else [])
    return RunSummary(**values)


def candidate(row: Sequence[Any], findings: Iterable[StoredFinding],
              decisions: Iterable[StoredDecision] = ()) -> StoredCandidate:
    """A `candidates` row (in CANDIDATE_COLUMNS order) with its findings as a StoredCandidate
    (findings worst first) and the decisions recorded about them."""
    *fields, unchecked = row
    return StoredCandidate(*fields, findings=worst_first(findings), unchecked=unchecked, decisions=tuple(decisions))


def worst_first(findings: Iterable[StoredFinding]) -> tuple[StoredFinding, ...]:
    """Findings ordered worst severity first, then by rule code (stable), as in the reports."""
    unknown = len(SEVERITY_RANK)
    return tuple(sorted(findings, key=lambda f: (SEVERITY_RANK.get(f.severity or "", unknown), f.rule or "")))


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """`frame` in slices of CHUNK_ROWS rows, so that converting to Python values for SQLite
    holds one slice at a time rather than a province-scale table."""
    size = CHUNK_ROWS
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


def _column(part: pd.DataFrame, name: str) -> list:
    """One column of a chunk as stored: masked (as text) when it may hold an ID number."""
    if name in _MASKED:
        return _values(mask_text_series(part[name].astype("string")))
    return _values(part[name])


def _values(series: pd.Series) -> list:
    """The column as a list of plain Python values with every missing value as None."""
    return series.astype(object).where(series.notna(), None).tolist()


def _timestamp(value: dt.datetime | dt.date | str) -> str:
    """A timestamp as ISO 8601 text (seconds)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str | None:
    """A meta value as stored text, ID-like numbers masked."""
    return None if value is None else mask_text(str(value))


def _digest(value: Any) -> str | None:
    """A digest as stored text (never masked: a SHA-256 is not an ID number)."""
    return None if value is None else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def _masked_json(value: Any) -> str:
    """`value` as JSON with ID-like numbers masked in every string but digests. Serialised
    first, so that paths, dates and the like are masked as the text they are stored as."""
    return _json(mask_tree(json.loads(_json(value))))
