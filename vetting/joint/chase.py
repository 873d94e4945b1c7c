"""The chase list (待反馈清单): who each agency still owes an answer, agency by agency, as the
report's meta gives it ("awaiting": count, the first people in roster order, whether that is all).

It is made from the agencies' silence (vetting.normalize.silence: one mask per agency and place),
so a slice of a streamed run names only as many people as the run's list still has room for: a
whole list per slice, merged and cut in the main process, cost a 1M-row run before the replies
7 % of its time at 5,000 people per agency; with the room, the same as 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from vetting.normalize.roster import Candidates

#: People named per agency: a county's candidates all; a larger run says how many are left out.
AWAITING_LIST_LIMIT = 5000

_PERSON_COLUMNS = ("source_file", "source_row", "name", "village")


def awaiting_list(candidates: Candidates, room: int | Mapping[str, int] | None = None) -> list[dict]:
    """Each agency still owed an answer by some of `candidates` (in the order their J01s are
    listed): how many, and the first of them (roster order), at most `room` people (per agency
    when a mapping; AWAITING_LIST_LIMIT when not given); `truncated` when fewer are named than
    owed."""
    raw, out = candidates.raw, []
    for agency, rows in candidates.silence.by_agency().items():
        count = int(np.count_nonzero(rows))
        if not count:
            continue
        listed = np.flatnonzero(rows)[:_room_for(room, agency)]
        # One take per column, not four frame lookups per person (10 agencies x 5,000 people).
        column = {c: raw[c].iloc[listed].tolist() if c in raw else [""] * len(listed) for c in _PERSON_COLUMNS}
        people = [{"file": str(f), "row": int(r), "name": str(nm), "village": str(v)}
                  for f, r, nm, v in zip(*(column[c] for c in _PERSON_COLUMNS))]
        out.append({"agency": agency, "count": count, "candidates": people, "truncated": count > len(listed)})
    return out


def _room_for(room: int | Mapping[str, int] | None, agency: str) -> int:
    if isinstance(room, Mapping):
        room = room.get(agency)
    return AWAITING_LIST_LIMIT if room is None else max(0, room)


@dataclass
class ChaseList:
    """A run's chase list gathered slice by slice, in roster order, as one whole read lists it:
    `room` says how many more people each agency's list takes (what a slice still to be decided
    need name), `add` takes a slice's lists, `entries` gives the run's."""

    agencies: Sequence[str]
    limit: int = field(default_factory=lambda: AWAITING_LIST_LIMIT)
    _merged: dict[str, dict] = field(default_factory=dict)

    def room(self) -> dict[str, int]:
        """People each agency's list still takes."""
        return {a: self.limit - len(self._merged[a]["candidates"]) if a in self._merged else self.limit
                for a in self.agencies}

    def add(self, part: list[dict]) -> None:
        """One slice's lists (`awaiting_list`), slices taken in roster order."""
        for entry in part:
            into = self._merged.setdefault(entry["agency"], {"agency": entry["agency"], "count": 0, "candidates": []})
            into["count"] += entry["count"]
            into["candidates"].extend(entry["candidates"][:self.limit - len(into["candidates"])])

    def entries(self) -> list[dict]:
        """The run's lists, agency by agency in the ruleset's order."""
        out = []
        for name in self.agencies:
            if name in self._merged:
                entry = dict(self._merged[name])
                entry["truncated"] = entry["count"] > len(entry["candidates"])
                out.append(entry)
        return out
