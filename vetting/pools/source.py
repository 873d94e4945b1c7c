"""The history reader of a reserve pool: the earlier recorded runs' reserves and their ratings,
and the key their ID digests were made with (read only: a missing database is no history, and
reading never creates a database or a key)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from vetting.history import open_history
from vetting.history.keys import key_fingerprint
from vetting.history.ratings import PoolRow

#: The reserve categories a pool follows (canonical posts, as recorded with each run).
RESERVE_ROLES = ("书记后备人选", "两委后备人选")


@dataclass(frozen=True)
class PoolHistory:
    """What the history holds for one pool: earlier rows, the key (None: no key file), the
    database path, and a Chinese note when there is no history to read (None otherwise)."""

    rows: list[PoolRow] = field(default_factory=list)
    key: bytes | None = None
    db: str | None = None
    note: str | None = None

    def fingerprint(self) -> str | None:
        """The public name of the key, as each recorded run stores it."""
        return key_fingerprint(self.key) if self.key else None


def read_pool(db: str | os.PathLike | None, ruleset_id: str, as_of: dt.date) -> PoolHistory:
    """The earlier recorded runs of the pool of `ruleset_id` up to `as_of` in database `db`
    (None: the run is not recorded, --no-history)."""
    if db is None:
        return PoolHistory(note="本次未使用审查记录（--no-history），未对照此前的审查")
    path = Path(db)
    if not path.is_file():
        return PoolHistory(db=str(path), note=f"审查记录数据库 {path} 尚不存在：这是第一次记录，没有此前的审查可对照")
    with open_history(path) as store:
        return PoolHistory(store.pool(ruleset_id, as_of.isoformat(), RESERVE_ROLES), store.id_key(), str(path))
