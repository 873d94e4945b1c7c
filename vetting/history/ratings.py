"""Reserve ratings (后备力量考核) kept with each recorded run, and read back for a reserve pool.

A reserve roster may carry the last two half-yearly ratings (最近一次考核, 前一次考核). A recorded
run keeps them in the `ratings` table, one row per rating with the half-year it belongs to, so
that a later run can follow each reserve across runs (matched by keyed ID digest). The table is
added by an additive migration step (schema version 2 -> 3); nothing else changes.
No printing, no clock: plain SQL and rows."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from vetting.history.errors import HistoryError, sqlite_reason
from vetting.history.model import StoredCandidate
from vetting.result import RATING_COLUMNS

#: The `ratings` table: one half-yearly rating of one candidate of one run.
RATINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row_id  INTEGER NOT NULL,
    period  TEXT NOT NULL,              -- half-year: 2026H1, 2026H2
    rating  TEXT NOT NULL,              -- 优秀 / 称职 / 基本称职 / 不称职
    source  TEXT NOT NULL,              -- the roster field it was read from: assessment_last, assessment_prev
    PRIMARY KEY (run_id, row_id, period)
);
"""



def create_ratings(conn: sqlite3.Connection) -> None:
    """Create the `ratings` table (inside the caller's transaction); harmless when it exists."""
    for statement in RATINGS_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def rating_rows(run_id: int, ratings: pd.DataFrame | None) -> Iterator[tuple]:
    """`ratings` rows for executemany: (run_id, row_id, period, rating, source)."""
    if ratings is None or ratings.empty:
        return
    for values in zip(*(ratings[c].astype(object).tolist() for c in RATING_COLUMNS)):
        yield (run_id, int(values[0]), *map(str, values[1:]))


@dataclass(frozen=True)
class PoolRow:
    """One candidate of an earlier recorded run of a pool (run id, as-of date, key fingerprint),
    with one of their ratings (period and rating None when the run recorded none for them)."""

    run_id: int
    as_of: str | None
    id_key_id: str | None
    candidate: StoredCandidate
    period: str | None
    rating: str | None


def pool_rows(conn: sqlite3.Connection, path: Path, ruleset_id: str, as_of: str,
              roles: tuple[str, ...]) -> list[PoolRow]:
    """Every candidate in one of `roles` of the recorded runs of ruleset `ruleset_id` whose as-of
    date is not after `as_of`, each with each of their recorded ratings (one row per rating, one
    row with no rating when none was recorded), oldest run first."""
    from vetting.history.schema import CANDIDATE_COLUMNS  # here: the schema module creates this table

    marks = ", ".join("?" * len(roles))
    sql = (f"SELECT r.id, r.as_of, r.id_key_id, {', '.join('c.' + c for c in CANDIDATE_COLUMNS)}, t.period, t.rating "
           f"FROM runs r JOIN candidates c ON c.run_id = r.id "
           f"LEFT JOIN ratings t ON t.run_id = c.run_id AND t.row_id = c.row_id "
           f"WHERE r.ruleset_id = ? AND r.as_of <= ? AND c.role IN ({marks}) "
           f"ORDER BY r.id, c.row_id, t.period")
    try:
        found = conn.execute(sql, (ruleset_id, as_of, *roles)).fetchall()
    except sqlite3.Error as exc:
        raise HistoryError(f"无法读取审查记录数据库 {path}：{sqlite_reason(exc)}") from exc
    width = len(CANDIDATE_COLUMNS)
    return [PoolRow(*row[:3], StoredCandidate(*row[3:3 + width]), *row[3 + width:]) for row in found]
