"""The durable_rules decision per rule and candidate, and the durable engine's evaluation (the shared
assembly with durable_rules deciding)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np

from vetting.engine import assemble
from vetting.engine.coverage import Coverage
from vetting.engine.durable.compiler import (
    SEEN,
    T,
    compile_ruleset,
)
from vetting.engine.durable.facts import build_facts
from vetting.engine.durable.worker import run_program
from vetting.errors import EngineError
from vetting.normalize.roster import Candidates
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset


def _rows_label(candidates: Candidates) -> Callable[[int, int], str]:
    raw = candidates.raw

    def label(start: int, stop: int) -> str:
        part = raw.iloc[start:stop]
        texts = []
        for name, group in part.groupby("source_file", sort=False):
            rows = group["source_row"]
            first, last = int(rows.min()), int(rows.max())
            texts.append(f"{name} 第{first}行" if first == last else f"{name} 第{first}至{last}行")
        return "；".join(texts) or f"第{start + 1}至{stop}个人选"

    return label


def decide(ruleset: Ruleset, evaluator: Any, candidates: Candidates) -> assemble.Decision:
    """The durable_rules decision per rule: rows where it fires and rows it leaves undecided."""
    program = compile_ruleset(ruleset, evaluator.params, evaluator.as_of.astype(dt.date))
    n = evaluator.n
    flags = np.zeros((len(ruleset.rules), n), dtype=np.uint8)
    if n and program.rulesets:
        hits = run_program(program, [(fact,) for fact in build_facts(program, evaluator)],
                           _rows_label(candidates))
        outcomes = np.array(program.outcomes, dtype=np.int64).reshape(-1, 2)
        rule, polarity = outcomes[hits[:, 1], 0], outcomes[hits[:, 1], 1]
        seen = np.bincount(hits[polarity == SEEN, 0], minlength=n)
        if (seen != len(program.rulesets)).any():
            row = int(np.flatnonzero(seen != len(program.rulesets))[0])
            raise EngineError(f"durable_rules 没有完整处理{_rows_label(candidates)(row, row + 1)}"
                              f"（兜底规则触发{int(seen[row])}次，应为{len(program.rulesets)}次）；请改用 --engine vector")
        judged = polarity != SEEN
        np.bitwise_or.at(flags, (rule[judged], hits[judged, 0]), (1 << polarity[judged]).astype(np.uint8))
    mixed = (flags & (flags - 1)) != 0
    if mixed.any():
        index, row = map(int, np.argwhere(mixed)[0])
        raise EngineError(f"durable_rules 对规则 {program.codes[index]} 给出了互相矛盾的结论"
                          f"（{_rows_label(candidates)(row, row + 1)}）；这是引擎缺陷，请改用 --engine vector 并报告此问题")
    index = {code: i for i, code in enumerate(program.codes)}

    def decision(rule: Any) -> tuple[np.ndarray, np.ndarray]:
        row = flags[index[rule.code]]
        return row == (1 << T), row == 0

    return decision


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date,
             coverage: Coverage | None = None) -> VettingResult:
    """Run every rule over every candidate with durable_rules; same result shape as the vectorised engine."""
    return assemble.evaluate(ruleset, candidates, as_of, decide, coverage)

