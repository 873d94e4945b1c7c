"""Run history: every `vet run` recorded in an embedded SQLite database, listed, shown and compared.

Modules, one job each: `keys` (the HMAC key file and keyed ID digests), `schema` (tables,
version, migration), `rows` (a run to table rows with IDs masked and finding texts interned,
and back), `store` (where the database is, opening it, recording and reading runs), `recorder`
(a run recorded slice by slice, as a chunked run writes it, in one transaction), `selection`
(filters and pages of `vet history show`), `export` (a selection written as a report), `compare`
(pure comparison of two runs), `text` (the Chinese text of `vet history`), `model` and `errors`
(shared types).

Personal data: ID numbers are never stored in clear - only masked (``510525********123X``)
and as a keyed HMAC-SHA256 whose key lives in a separate file beside the database (see
`vetting.history.keys`). ID-like digit runs in finding texts, names, file names, options and
the meta block are masked with `vetting.privacy` like everywhere else.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Environment variable naming the database file (used when ``--db`` is not given).
ENV_VAR = "VETTING_HISTORY_DB"

#: Public names and the module holding each, loaded on first use: the command line declares its
#: options (ENV_VAR, the selection's choices) without importing the store, and with it pandas.
_EXPORTS = {
    "MATCH_BY_ID": "compare", "MATCH_BY_POSITION": "compare", "CandidateChange": "compare",
    "Comparison": "compare", "RuleChange": "compare", "compare_runs": "compare",
    "HistoryError": "errors", "key_path": "keys", "SCHEMA_VERSION": "schema",
    "RunDetail": "model", "RunSummary": "model", "StoredCandidate": "model", "StoredDecision": "model",
    "StoredFinding": "model",
    "History": "store", "RecordedRun": "store", "default_db_path": "store", "history_files": "store",
    "open_history": "store", "record_run": "store", "resolve_db_path": "store", "RunRecorder": "recorder",
    "comparison_text": "text", "run_text": "text", "runs_text": "text",
}

__all__ = sorted(["ENV_VAR", *_EXPORTS])


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
