"""Rows in and out of the history tables. A finished run becomes `runs`, `candidates` and
`findings` rows with every ID number masked (`vetting.privacy`) or replaced by its keyed
digest; stored rows become the dataclasses of `vetting.history.model`. No database access."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

from vetting.history.keys import id_digester, normalise_id
from vetting.history.model import RunSummary, StoredFinding
from vetting.history.schema import FINDING_COLUMNS, RUN_COLUMNS
from vetting.privacy import mask_id, mask_text, mask_text_series, mask_tree
from vetting.vocab import SEVERITY_RANK, VERDICTS

if TYPE_CHECKING:  # the frames arrive from a run; `vet history` and `vet --help` import no pandas
    import pandas as pd

    from vetting.result import VettingResult

#: Rows converted to Python values at a time while recording (bounds the extra memory).
CHUNK_ROWS = 50_000

_CANDIDATE_SOURCES = ("row_id", "source_file", "source_row", "name", "role", "village", "township")
#: Text columns that may carry an ID number typed or pasted into a roster or a reply.
_MASKED = frozenset({"source_file", "name", "role", "village", "township", "reason", "evidence"})


def run_row(result: VettingResult, started_at: dt.datetime | str, finished_at: dt.datetime | str,
            options: Mapping[str, Any], key_id: str | None) -> tuple:
    """The `runs` row (without id) for `result`: meta fields, counts, and inputs, options and
    meta as JSON with ID-like numbers masked (digests under ``sha256`` kept), and the
    fingerprint of the key its ID digests use."""
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
        int(len(result.candidates)), int(len(result.findings)),
        _json(counts),
        _masked_json(dict(options)),
        _masked_json(meta),
        key_id,
    )


def candidate_rows(run_id: int, candidates: pd.DataFrame, key: bytes) -> Iterator[tuple]:
    """`candidates` rows for executemany: the ID number replaced by its keyed digest and
    masked form, ID-like numbers in the text columns (a file name, a pasted cell) masked."""
    digest = id_digester(key)
    for part in _chunks(candidates):
        ids = [normalise_id(v) for v in _values(part["id_number"])]
        digests = [digest(v) if v else None for v in ids]
        masked = [mask_id(v) if v else None for v in ids]
        columns = [_column(part, c) for c in _CANDIDATE_SOURCES]
        for values in zip(*columns, digests, masked, _values(part["verdict"])):
            yield (run_id, *values)


def finding_rows(run_id: int, findings: pd.DataFrame) -> Iterator[tuple]:
    """`findings` rows for executemany, with ID-like numbers in reason and evidence masked."""
    for part in _chunks(findings):
        for values in zip(*(_column(part, c) for c in FINDING_COLUMNS)):
            yield (run_id, *values)


def summary(row: Sequence[Any]) -> RunSummary:
    """A `runs` row (in RUN_COLUMNS order) as a RunSummary with the JSON columns parsed."""
    values = dict(zip(RUN_COLUMNS, row))
    for key in ("inputs", "verdict_counts", "options", "meta"):
        values[key] = json.loads(values[key]) if values[key] else ({} if key != "inputs" else [])
    return RunSummary(**values)


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
