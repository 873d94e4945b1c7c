"""Rules that wait only on an agency that has not answered yet.

Before the agencies reply, a candidate awaited by 公安 would get a `pending` finding for every
rule reading a fact 公安 answers for (刑事处罚, 行政拘留, 涉黑涉恶 …), each saying the fact is
blank, next to the J01 finding that says 公安 has not answered: a score of lines per candidate
that all say "公安 owes an answer". Such a rule is named in that agency's J01 finding instead
("…尚未反馈联审意见；待其意见判定：C01 受过刑事处罚、C05 …"): the candidate stays `pending`,
the finding still says who owes what and which rules wait for it, and the findings table keeps
one line per agency owed rather than one per rule. A rule that also lacks a fact nobody silent
answers for (a blank 拟任职务, a roster column left empty) keeps its own `pending` finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from vetting.datachecks import WAITING_LEAD
from vetting.engine.evaluator import Columns
from vetting.ruleset import condition as C
from vetting.ruleset.model import Agency, Rule


@dataclass
class Waiting:
    """Rules that wait on silent agencies, gathered per agency as (rule, candidate positions
    0..n-1) in rule order; `suffix_codes` renders what each agency's J01 finding adds."""

    n: int
    by_agency: dict[str, list[tuple[Rule, np.ndarray]]] = field(default_factory=dict)

    def add(self, agency: str, rule: Rule, candidates: np.ndarray) -> None:
        self.by_agency.setdefault(agency, []).append((rule, candidates))

    def pairs(self, lo: int = 0) -> pd.DataFrame:
        """(row_id, rule, agency) per rule waiting on an agency for a candidate (row ids from `lo`)."""
        frames = [pd.DataFrame({"row_id": candidates + lo, "rule": rule.code, "agency": agency})
                  for agency, waiting in self.by_agency.items() for rule, candidates in waiting]
        if not frames:
            return pd.DataFrame({"row_id": np.array([], dtype=np.int64), "rule": [], "agency": []})
        return pd.concat(frames, ignore_index=True).sort_values(["row_id", "rule"], kind="stable", ignore_index=True)

    def suffix_codes(self, agency: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What the J01 finding of `agency` adds for each of `candidates` ('' where no rule waits),
        as a code per candidate into the distinct texts, one per distinct set of waiting rules:
        (codes, texts)."""
        waiting = self.by_agency.get(agency, [])
        if not waiting:
            return np.zeros(len(candidates), dtype=np.int64), np.array([""], dtype=object)
        sets = np.zeros(len(candidates), dtype=object if len(waiting) > 62 else np.int64)
        mask = np.zeros(self.n, dtype=bool)
        for bit, (_, rows) in enumerate(waiting):
            mask[:] = False
            mask[rows] = True
            hit = mask[candidates]
            sets[hit] = sets[hit] + (1 << bit)
        distinct, which = np.unique(sets, return_inverse=True)
        texts = np.array(["" if not s else WAITING_LEAD + "、".join(
            f"{rule.code} {rule.name}" for bit, (rule, _) in enumerate(waiting) if int(s) >> bit & 1)
            for s in distinct], dtype=object)
        return which.reshape(-1), texts


def waiting_on(rule: Rule, rows: np.ndarray, columns: Columns, role_unknown: np.ndarray,
               silent: Mapping[str, np.ndarray],
               agencies: Mapping[str, Agency]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Of the undecided `rows`, those whose every blank decisive fact is one a silent agency owes
    them (a mask over `rows`), and per such agency the rows it owes a fact of this rule."""
    names = [f for f in C.decisive_fields(rule.condition) if not columns.ruleset.fields[f].derived]
    if rule.roles:
        names.append("role")
    folded = np.zeros(len(rows), dtype=bool)
    owed_everywhere = np.ones(len(rows), dtype=bool)
    per_agency: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(names):
        blank = columns.blank(name)[rows]
        if name == "role":
            blank = blank & role_unknown[rows]
        owed = np.zeros(len(rows), dtype=bool)
        for agency, mask in silent.items():
            spec = agencies.get(agency)
            if spec is None or name not in spec.supplies:
                continue
            by_this = blank & mask[rows]
            owed |= by_this
            per_agency[agency] = per_agency[agency] | by_this if agency in per_agency else by_this
        folded |= blank
        owed_everywhere &= ~blank | owed
    folded &= owed_everywhere
    return folded, {a: m & folded for a, m in per_agency.items() if (m & folded).any()}
