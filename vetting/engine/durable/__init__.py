"""The durable_rules engine (`--engine durable`): the validated rule model compiled to durable_rules
rulesets (compiler.py, over normal forms in normal_form.py), one fact per candidate (facts.py), run
in child processes (worker.py in the parent, host.py in the child, protocol.py between them).

Only the yes/no/undecided per rule and candidate comes from durable_rules; the meaning of every
operator is the operator table in vetting.engine.semantics, realised here as pattern
conjunctions, and findings, reasons and verdicts are the shared assembly (vetting.engine.assemble).

durable_rules 2.0.28's sharp edges (jruizgit/rules issues) and what is done about each
    F1 segfaults (#381): single-fact patterns only (no joins); the C core runs in worker processes
       fed in batches; a crash becomes EngineError naming the ruleset, the durable ruleset and the
       candidate rows, and nothing is written.
    F2/F3 false duplicates (#376), 1,024 live states: one state (sid) per candidate, deleted after.
    F4 a fact that matches nothing is dropped (#286) and, worse, deleting its state frees
       uninitialised pointers (createStateNode never sets `context.messages/stateFact`,
       deleteStateNode frees them; random SIGSEGV/SIGABRT): every ruleset has a catch-all rule,
       a state is only deleted after an action ran in it, and each candidate must show one
       catch-all firing per ruleset.
    F5 post() fires one rule (#190): facts are asserted.
    F6 reserved names and the state object matching patterns (#302, #288): every property is
       prefixed and every pattern requires the candidate marker `v_row`.
    F7 at most 255 properties per fact: checked at compile time. Properties are found by their
       32-bit FNV hash alone, so no two property names may share one (checked, renamed).
    F8 limits (#377, #361, #312): more than 64 patterns of one ruleset matching one fact fail with
       error 303, and a ruleset of more than 512 rules never finishes compiling; the durable rules
       are split into rulesets of at most MAX_RULES_PER_RULESET (plus the catch-all).
    F9 names are registered once: every compiled ruleset gets a name unique in the process.
    F10 exceptions swallowed into the state (#305): no Python action code at all; the worker
       drives the core's action loop itself and only records which durable rule fired.
    `$m` references to a missing property match unpredictably: both sides get `$ex`.
    Numbers: the core rejects JSON numbers written like `1e+16` (error 204, exponent without a
       fraction) and JSON has no infinity, so facts and rules are serialised here: `1.0e+16`,
       and ±infinity ("forever") as ±1.7976931348623157e+308.
    Both engines assume an interval value has lo <= hi and no NaN where known; a value that breaks
    this (e.g. 'forever' minus 'forever') stops a durable run with EngineError instead of being
    compared differently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np

from vetting.engine import assemble
from vetting.engine.durable.compiler import (
    MAX_PROPERTIES,
    MAX_RULES_PER_RULESET,
    SEEN,
    DurableProgram,
    T,
    compile_ruleset,
    fnv1_32,
)
from vetting.engine.durable.facts import build_facts
from vetting.engine.durable.normal_form import MARKER, number_text
from vetting.engine.durable.worker import run_program
from vetting.errors import EngineError
from vetting.normalize.roster import Candidates
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset

__all__ = ["DurableProgram", "MARKER", "MAX_PROPERTIES", "MAX_RULES_PER_RULESET", "build_facts",
           "compile_ruleset", "decide", "evaluate", "fnv1_32", "number_text", "run_program"]


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


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date) -> VettingResult:
    """Run every rule over every candidate with durable_rules; same result shape as the vectorised engine."""
    return assemble.evaluate(ruleset, candidates, as_of, decide)

