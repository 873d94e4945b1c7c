"""One evaluation of a ruleset over a candidate set, whichever engine decides: derived values,
the shared evaluator, every rule's findings from the engine's decisions, the rules across
candidates, and verdicts. The engine is a function that says, per rule, where it fires and
where it is undecided (vetting.engine.vector.vector_decide or vetting.engine.durable.decide)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np
import pandas as pd

from vetting.engine.coverage import Coverage
from vetting.engine.derive import derive
from vetting.engine.evaluator import Columns, Evaluator
from vetting.engine.findings import data_findings, not_checked, rule_findings
from vetting.engine.groups import evaluate_groups
from vetting.engine.plausible import implausible_dates
from vetting.engine.records import Layout
from vetting.engine.verdicts import candidate_table
from vetting.errors import RulesetError
from vetting.normalize.roster import Candidates
from vetting.result import FINDING_COLUMNS, GROUP_COLUMNS, VettingResult
from vetting.ruleset.model import Rule, Ruleset

#: An engine's decision on one rule: (rows where it fires, rows it leaves undecided), boolean masks.
Decision = Callable[[Rule], tuple[np.ndarray, np.ndarray]]
#: An engine: given the ruleset, the shared evaluator and the candidates, its decision per rule.
Engine = Callable[[Ruleset, Evaluator, Candidates], Decision]


def params_in_force(ruleset: Ruleset, as_of: dt.date) -> dict[str, Any]:
    """Parameter values on the as-of date; a rule reading one not yet in force is an error, not a guess."""
    params = ruleset.params_at(as_of)
    for rule in ruleset.rules:
        for name in rule.params:
            if params.get(name) is None:
                raise RulesetError(f"参数「${name}」在审查基准日{as_of.isoformat()}尚未生效（规则 {rule.code} 需要它）",
                                   rule.source, rule.line)
    return params


def _unchecked(layout: Layout, parts: list[pd.DataFrame], findings: pd.DataFrame) -> pd.DataFrame:
    """(row_id, rule) per candidate a rule could not be checked for, once, and only where the
    rule gave that candidate no finding (another of their records can still have)."""
    if not parts:
        return pd.DataFrame({"row_id": np.array([], dtype=np.int64), "rule": np.array([], dtype=object)})
    pairs = pd.concat(layout.findings(parts), ignore_index=True).drop_duplicates()
    if layout.several:
        found = pd.MultiIndex.from_frame(findings[["row_id", "rule"]])
        pairs = pairs[~pd.MultiIndex.from_frame(pairs).isin(found)]
    return pairs.reset_index(drop=True)


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, decide: Engine,
             coverage: Coverage | None = None) -> VettingResult:
    """Every rule over every candidate: the candidate table with verdicts, the findings table,
    village findings and the per-rule village summaries (the meta block is built by the caller).

    Every record an agency gave is weighed: the rules run over the candidates' own rows and one
    row per further record at once, and each candidate gets the findings of all their rows (the
    same finding once), so the worst record decides. Rules across candidates see each once.
    A rule left undecided only by a fact the run does not carry (`coverage`) gives no finding:
    the candidate is listed in `result.unchecked` instead (without `coverage`: `pending`)."""
    params = params_in_force(ruleset, as_of)
    layout = Layout(candidates, ruleset.fields)
    rows = layout.rows
    derived, derived_issues = derive(rows, as_of)
    evaluator = Evaluator(Columns(rows, ruleset, derived), params, as_of)
    weak = ~derived["id_valid"][1]
    _, birth_lo, birth_hi = derived["birth_used"]
    dated = implausible_dates(rows, ruleset.fields, as_of, birth_lo, birth_hi)
    issues = layout.data_issues(pd.concat([rows.issues, derived_issues, dated], ignore_index=True))
    parts = [data_findings(issues, rows)]
    decision = decide(ruleset, evaluator, rows)
    unchecked = []
    for rule in ruleset.rules:
        fires, unsettled = decision(rule)
        keep = layout.rule_rows(rule)
        if keep is not None:
            fires, unsettled = fires & keep, unsettled & keep
        skip = coverage.skipped(rule.code) if coverage else frozenset()
        if skip and unsettled.any():
            dropped = not_checked(rule, evaluator, rows, unsettled, skip)
            unsettled = unsettled & ~dropped
            unchecked.append(pd.DataFrame({"row_id": np.flatnonzero(dropped), "rule": rule.code}))
        parts.extend(rule_findings(rule, evaluator, rows, weak, fires, unsettled))
    own = evaluator.subset(np.arange(len(candidates))) if layout.several else evaluator
    groups = evaluate_groups(ruleset.group_rules, candidates, own)
    parts = [p for p in layout.findings([p for p in parts if not p.empty]) + groups.findings if not p.empty]
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINDING_COLUMNS)
    findings = layout.once(findings[FINDING_COLUMNS])
    villages = pd.concat(groups.villages, ignore_index=True) if groups.villages else \
        pd.DataFrame(columns=GROUP_COLUMNS)
    unchecked = _unchecked(layout, unchecked, findings)
    return VettingResult(candidates=candidate_table(candidates, findings), findings=findings,
                         villages=villages, group_summary=groups.summary, unchecked=unchecked)
