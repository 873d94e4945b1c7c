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

import importlib
from typing import Any

#: Public names and the module holding each. They are loaded on first use, so that a worker
#: process, which imports only `host`, starts without pandas or the rest of the engine.
_EXPORTS = {
    "decide": "engine", "evaluate": "engine",
    "DurableProgram": "compiler", "MAX_PROPERTIES": "compiler", "MAX_RULES_PER_RULESET": "compiler",
    "compile_ruleset": "compiler", "fnv1_32": "compiler",
    "build_facts": "facts", "MARKER": "normal_form", "number_text": "normal_form", "run_program": "worker",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
