"""The vectorised batch engine: every condition evaluated over the whole roster at once, with the
interval three-valued logic of vetting.engine.semantics realised over numpy columns."""

from __future__ import annotations

import datetime as dt

from vetting.engine import assemble
from vetting.engine.assemble import Decision, params_in_force
from vetting.engine.coverage import Coverage
from vetting.engine.evaluator import Evaluator
from vetting.engine.findings import applicability
from vetting.normalize.roster import Candidates
from vetting.result import VettingResult
from vetting.ruleset.model import Rule, Ruleset

__all__ = ["evaluate", "params_in_force", "vector_decide"]


def vector_decide(ruleset: Ruleset, evaluator: Evaluator, candidates: Candidates) -> Decision:
    """This engine's decisions: each condition evaluated over all rows."""

    def decision(rule: Rule):
        result = evaluator.eval(rule.condition)
        applies, role_unknown = applicability(rule, candidates)
        true = result.known & result.lo
        false = result.known & ~result.lo
        return applies & true, (applies & ~result.known) | (role_unknown & ~false)

    return decision


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date,
             coverage: Coverage | None = None) -> VettingResult:
    """Run every rule over every candidate with the vectorised engine."""
    return assemble.evaluate(ruleset, candidates, as_of, vector_decide, coverage)
