"""One evaluation of a ruleset over a candidate set, whichever engine decides: derived values,
the shared evaluator, every rule's findings from the engine's decisions, the rules across
candidates, and verdicts. The engine is a function that says, per rule, where it fires and
where it is undecided (vetting.engine.vector.vector_decide or vetting.engine.durable.decide)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from vetting.engine.coverage import Coverage
from vetting.engine.derive import derive
from vetting.engine.evaluator import Columns, Evaluator
from vetting.engine.findings import (
    applicability,
    concat_findings,
    data_findings,
    not_checked,
    rule_findings,
    silent_findings,
    stacked,
)
from vetting.engine.groups import evaluate_groups
from vetting.engine.owed import Waiting, waiting_on
from vetting.engine.plausible import implausible_dates
from vetting.engine.records import Layout
from vetting.engine.verdicts import candidate_table
from vetting.errors import RulesetError
from vetting.normalize.roster import Candidates
from vetting.normalize.silence import Silence
from vetting.result import GROUP_COLUMNS, VettingResult
from vetting.ruleset.model import Rule, Ruleset
from vetting.textbytes import in_one_chunk

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


@dataclass
class Plan:
    """A ruleset decided over a candidate set, nothing rendered yet: per rule the rows where it
    fires and those it leaves undecided (boolean masks, one byte per row and rule), the data
    problems, the rules across candidates (decided over the whole set, so a duplicate or a
    village split across chunks is seen whole) and who could not be checked (per rule a mask).
    The agencies still owing answers (`silence`, J01) are masks too: their issues come in the
    data problems' order after the first `silent_at` (those from reading and the joint review;
    `issues` keeps each row's position in that order as its index label). `findings(lo, hi)`
    renders the findings of candidates lo..hi-1 (reasons, evidence); a chunked run renders and
    writes one slice at a time, so the text of all findings never sits in memory at once. A rule
    undecided only because a silent agency owes its facts is named in that agency's J01 finding
    there, not rendered as a finding of its own (vetting.engine.owed)."""

    candidates: Candidates
    layout: Layout
    evaluator: Evaluator
    weak: np.ndarray
    issues: pd.DataFrame
    decisions: list[tuple[Rule, np.ndarray, np.ndarray, np.ndarray]]
    unchecked: list[tuple[str, np.ndarray]]
    groups: Any
    silence: Silence = field(default_factory=Silence)
    silent_at: int = 0
    _orders: dict = field(default_factory=dict)
    _silent: dict | None = None
    _folds: dict = field(default_factory=dict)

    def _owner(self) -> np.ndarray:
        return self.layout.expanded.owner if self.layout.several else np.arange(self.layout.n)

    def _in(self, lo: int, hi: int) -> np.ndarray | None:
        """Layout rows owned by candidates lo..hi-1 (None: every row)."""
        if lo <= 0 and hi >= self.layout.n:
            return None
        owner = self._owner()
        return (owner >= lo) & (owner < hi)

    def _slice(self, frame: pd.DataFrame, lo: int, hi: int, own_rows: bool = True) -> pd.DataFrame:
        """The rows of `frame` whose owner (candidate) is in lo..hi-1, in the frame's own order;
        the frame is sorted by owner once, so each chunk costs its own rows, not the frame's.
        `own_rows`: the frame's row_id are layout rows (else candidates already)."""
        key = id(frame)
        if key not in self._orders:
            owners = frame["row_id"].to_numpy(dtype=np.int64)
            owners = self._owner()[owners] if own_rows else owners
            order = np.argsort(owners, kind="stable")
            self._orders[key] = (frame, order, owners[order])
        _, order, ranked = self._orders[key]
        at = np.sort(order[np.searchsorted(ranked, lo):np.searchsorted(ranked, hi)])
        return frame.iloc[at]

    def findings(self, lo: int = 0, hi: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Findings (FINDING_COLUMNS) and unchecked (row_id, rule) pairs of candidates lo..hi-1,
        exactly the rows a whole-run evaluation gives them, in the same order per candidate."""
        findings, unchecked, _ = self.findings_waiting(lo, hi)
        return findings, unchecked

    def findings_waiting(self, lo: int = 0, hi: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Waiting]:
        """`findings`, and the rules that wait only on a silent agency and are named in that
        agency's J01 finding instead of a finding of its own (`Waiting.pairs(lo)`: as rows)."""
        hi = self.layout.n if hi is None else hi
        inside = self._in(lo, hi)
        rows = self.layout.rows
        issues = self.issues
        if inside is not None and len(issues):
            issues = self._slice(issues, lo, hi)
        silent = any(block.owed[lo:hi].any() for block in self.silence.blocks)
        waiting = Waiting(hi - lo)
        ruled = []
        for index, (rule, fires, unsettled, role_unknown) in enumerate(self.decisions):
            if inside is not None:
                fires, unsettled = fires & inside, unsettled & inside
            if silent and rule.severity != "notice":
                unsettled = self._fold_waiting(index, unsettled, inside, waiting, lo)
            ruled.extend(rule_findings(rule, self.evaluator, rows, self.weak, fires, unsettled, role_unknown))
        if silent:   # J01 after the issues from reading and the joint review, before the rest
            head = issues.index < self.silent_at
            issued = [data_findings(issues[head], rows), silent_findings(self.silence, waiting, lo, hi, rows),
                      data_findings(issues[~head], rows)]
            issued = concat_findings(issued)
        else:
            issued = data_findings(issues, rows)
        data = [p for p in self.layout.findings([issued]) if not p.empty]
        groups = self.groups.findings
        if inside is not None:
            groups = [self._slice(g, lo, hi, own_rows=False) for g in groups]
        owner = self.layout.expanded.owner if self.layout.several else None
        findings = concat_findings([*data, *([stacked(ruled, owner)] if ruled else []), *groups])
        findings = self.layout.once(in_one_chunk(findings))
        unchecked = [pd.DataFrame({"row_id": np.flatnonzero(mask if inside is None else mask & inside), "rule": code})
                     for code, mask in self.unchecked]
        unchecked += [g if inside is None else self._slice(g, lo, hi, own_rows=False) for g in self.groups.unchecked]
        return findings, _unchecked(self.layout, unchecked, findings), waiting

    def _fold_waiting(self, index: int, unsettled: np.ndarray, inside: np.ndarray | None, waiting: Waiting,
                      lo: int) -> np.ndarray:
        """`unsettled` (rows of candidates lo..hi-1: `inside`) without the rows where decision
        `index`'s rule waits only on silent agencies; those go to `waiting`, to be named in the
        agencies' J01 findings (vetting.engine.owed)."""
        folded, per_agency = self._folded(index)
        if not unsettled.any() or not len(folded):
            return unsettled
        owner = self._owner()
        rule = self.decisions[index][0]
        for agency, rows in per_agency.items():
            rows = rows if inside is None else rows[inside[rows]]
            if len(rows):
                waiting.add(agency, rule, _distinct_sorted(owner[rows]) - lo)
        kept = unsettled.copy()
        kept[folded] = False
        return kept

    def _folded(self, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Decision `index`'s undecided rows (of every candidate, as row numbers) that wait only on
        silent agencies, and per such agency the rows it owes a fact of the rule: worked out once
        for every chunk, since each row's answer depends on that row alone."""
        if index not in self._folds:
            rule, _, unsettled, role_unknown = self.decisions[index]
            folded, per_agency = np.array([], dtype=np.int64), {}
            if rule.severity != "notice" and len(self.silence) and unsettled.any():
                if self._silent is None:
                    self._silent = self.silence.by_agency(self._owner())
                at = np.flatnonzero(unsettled)
                among, owed = waiting_on(rule, at, self.evaluator.columns, role_unknown, self._silent,
                                         self.evaluator.columns.ruleset.agencies)
                at = at.astype(np.int32) if len(unsettled) < 2**31 else at    # kept: 4 bytes a row
                folded, per_agency = at[among], {agency: at[mask] for agency, mask in owed.items()}
            self._folds[index] = folded, per_agency
        return self._folds[index]

    def expected_findings(self) -> np.ndarray:
        """Per candidate, the findings the rendering gives them at most (before the same finding
        of several records is given once; the rules across candidates aside): data problems, one
        per agency that owes them an answer, and one per rule that fires or is left undecided
        other than waiting on such an agency. What the chunks of a run are sized by."""
        n, owner = self.layout.n, self._owner()
        per_row = np.zeros(len(owner), dtype=np.int64)
        for index, (_, fires, unsettled, _) in enumerate(self.decisions):
            per_row += fires
            per_row += unsettled
            per_row[self._folded(index)[0]] -= 1
        counts = np.bincount(owner, weights=per_row, minlength=n).astype(np.int64)
        if len(self.issues):
            counts += np.bincount(owner[self.issues["row_id"].to_numpy(dtype=np.int64)], minlength=n)
        for block in self.silence.blocks:
            counts += block.owed
        return counts

    def issue_count(self) -> int:
        """Data issues of the run (J01 included), i.e. the findings they give before de-duplication."""
        return len(self.issues) + len(self.silence)

    def villages(self) -> pd.DataFrame:
        """Village-level findings (slate structure, quotas) of the whole run."""
        return pd.concat(self.groups.villages, ignore_index=True) if self.groups.villages else \
            pd.DataFrame(columns=GROUP_COLUMNS)


def plan(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, decide: Engine,
         coverage: Coverage | None = None, groups: Any = None) -> Plan:
    """Every rule decided over every candidate (see `evaluate`), the findings not yet rendered.

    Every record an agency gave is weighed: the rules run over the candidates' own rows and one
    row per further record at once, and each candidate gets the findings of all their rows (the
    same finding once), so the worst record decides. Rules across candidates see each once.
    A rule left undecided only by a fact the run does not carry (`coverage`) gives no finding:
    the candidate is listed in `unchecked` instead (without `coverage`: `pending`). `groups`: the
    rules across candidates already decided over a larger set (vetting.streamed), else decided here."""
    params = params_in_force(ruleset, as_of)
    layout = Layout(candidates, ruleset.fields)
    rows = layout.rows
    derived, derived_issues = derive(rows, as_of)
    evaluator = Evaluator(Columns(rows, ruleset, derived), params, as_of)
    weak = ~derived["id_valid"][1]
    _, birth_lo, birth_hi = derived["birth_used"]
    dated = implausible_dates(rows, ruleset.fields, as_of, birth_lo, birth_hi)
    issues = layout.data_issues(pd.concat([rows.issues, derived_issues, dated], ignore_index=True))
    decision = decide(ruleset, evaluator, rows)
    files = rows.frame["source_file"].astype(str).to_numpy(dtype=object) \
        if coverage is not None and coverage.by_file else None
    decisions, unchecked = [], []
    for rule in ruleset.rules:
        fires, unsettled = decision(rule)
        keep = layout.rule_rows(rule)
        if keep is not None:
            fires, unsettled = fires & keep, unsettled & keep
        if coverage is not None and unsettled.any():
            dropped = _not_checked(rule, coverage, evaluator, rows, unsettled, files)
            if dropped is not None:
                unsettled = unsettled & ~dropped
                unchecked.append((rule.code, dropped))
        decisions.append((rule, fires, unsettled, applicability(rule, rows)[1]))
    if groups is None:
        own = evaluator.subset(np.arange(len(candidates))) if layout.several else evaluator
        groups = evaluate_groups(ruleset.group_rules, candidates, own, coverage)
    return Plan(candidates, layout, evaluator, weak, issues, decisions, unchecked, groups,
                silence=candidates.silence, silent_at=len(candidates.issues))


def _not_checked(rule: Rule, coverage: Coverage, evaluator: Evaluator, rows: Candidates, unsettled: np.ndarray,
                 files: np.ndarray | None) -> np.ndarray | None:
    """The undecided rows a rule could not be checked for: by what the run carries for nobody,
    and by what it does not carry for the people of their roster file (`files`: each row's);
    None when the run skips nothing of the rule."""
    skip = coverage.skipped(rule.code)
    in_files = coverage.skipped_in_files(rule.code)
    if not skip and not in_files:
        return None
    dropped = not_checked(rule, evaluator, rows, unsettled, skip) if skip else np.zeros(len(unsettled), dtype=bool)
    for name, facts in in_files.items():
        here = unsettled & (files == name)
        if here.any():
            dropped |= not_checked(rule, evaluator, rows, here, skip | facts)
    return dropped


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` for rows of evaluation mapped to their candidates: already it when no
    record row is among them (the usual case: rows in order, each its own candidate)."""
    return values if (values[1:] > values[:-1]).all() else np.unique(values)


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, decide: Engine,
             coverage: Coverage | None = None) -> VettingResult:
    """Every rule over every candidate: the candidate table with verdicts, the findings table,
    village findings and the per-rule village summaries (the meta block is built by the caller).
    See `plan` for how records and coverage are weighed."""
    decided = plan(ruleset, candidates, as_of, decide, coverage)
    findings, unchecked, waiting = decided.findings_waiting()
    return VettingResult(candidates=candidate_table(candidates, findings), findings=findings,
                         villages=decided.villages(), group_summary=decided.groups.summary, unchecked=unchecked,
                         waiting=waiting.pairs())
