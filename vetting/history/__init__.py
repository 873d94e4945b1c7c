"""Run history: every `vet run` recorded in an embedded SQLite database, listed, shown and compared.

Modules, one job each: `keys` (the HMAC key file and keyed ID digests), `schema` (tables,
version, migration), `rows` (a run to table rows with IDs masked and finding texts interned,
and back), `store` (where the database is, opening it, recording and reading runs), `selection`
(filters and pages of `vet history show`), `export` (a selection written as a report), `compare`
(pure comparison of two runs), `text` (the Chinese text of `vet history`), `model` and `errors`
(shared types).

Personal data: ID numbers are never stored in clear - only masked (``510525********123X``)
and as a keyed HMAC-SHA256 whose key lives in a separate file beside the database (see
`vetting.history.keys`). ID-like digit runs in finding texts, names, file names, options and
the meta block are masked with `vetting.privacy` like everywhere else.
"""

from __future__ import annotations

from vetting.history.compare import MATCH_BY_ID, MATCH_BY_POSITION, CandidateChange, Comparison, RuleChange, compare_runs
from vetting.history.errors import HistoryError
from vetting.history.keys import key_path
from vetting.history.model import RunDetail, RunSummary, StoredCandidate, StoredFinding
from vetting.history.schema import SCHEMA_VERSION
from vetting.history.store import (
    ENV_VAR,
    History,
    RecordedRun,
    default_db_path,
    history_files,
    open_history,
    record_run,
    resolve_db_path,
)
from vetting.history.text import comparison_text, run_text, runs_text

__all__ = [
    "ENV_VAR", "MATCH_BY_ID", "MATCH_BY_POSITION", "SCHEMA_VERSION",
    "CandidateChange", "Comparison", "History", "HistoryError", "RecordedRun", "RuleChange",
    "RunDetail", "RunSummary", "StoredCandidate", "StoredFinding",
    "compare_runs", "comparison_text", "default_db_path", "history_files", "key_path", "open_history", "record_run",
    "resolve_db_path", "run_text", "runs_text",
]
