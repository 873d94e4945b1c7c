"""What a run could check. A rule reads facts; a fact is carried by this run when the roster has
its column, when an agency that answers for it has an opinion column or a reply file here, or
when a required agency answers for it (then its silence is that agency's `pending`). A rule
with a fact that nothing in the run carries is *not covered*: in the `partial` mode it is said
once per run, with what would cover it, and does not make anyone `pending`; in the `strict`
mode (or for a rule the pack marks `coverage: required`) it stays `pending` for everyone.
`pending` keeps meaning that someone owes an answer. Roster files of one run may carry
different facts: a rule is not covered for the people of a file that lacks a fact the run carries
for others (`Coverage.by_file`). Relatives on one slate are read from a
户号 or 亲属关系 column; a run (or file) with neither does not cover them for the slate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from vetting.engine.slate import slate, slate_rows, village_key, where_text
from vetting.errors import VettingError, did_you_mean
from vetting.fields import Field
from vetting.joint.merge import agency_of_header
from vetting.normalize.roster import Candidates, FileColumns
from vetting.result import FINDING_COLUMNS
from vetting.ruleset import condition as C
from vetting.ruleset.model import GroupRule, Rule, Ruleset
from vetting.vocab import COVERAGE_MODES

#: Facts every roster has or the tool works out; their absence is a finding of its own.
_ALWAYS_CARRIED = frozenset({"role"})


@dataclass(frozen=True)
class Coverage:
    """The run's coverage: `gaps` maps a rule's code to the facts nothing in the run carries;
    `by_file` per roster file, the rules whose facts the run carries but not for that file's
    people (the file has no column for them and no agency was asked of it); `said_once` holds
    the codes whose gaps are stated per run instead of per candidate."""

    mode: str = "strict"
    gaps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    said_once: frozenset = frozenset()
    by_file: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def skipped(self, code: str) -> frozenset:
        """The facts of a rule whose absence is not any candidate's `pending` (said once instead)."""
        return frozenset(self.gaps.get(code, ())) if code in self.said_once else frozenset()

    def skipped_in_files(self, code: str) -> dict[str, frozenset]:
        """Per roster file, the further facts of a rule whose absence is not the `pending` of
        that file's people (said once instead)."""
        if code not in self.said_once:
            return {}
        return {name: frozenset(gaps[code]) for name, gaps in self.by_file.items() if code in gaps}

    def files_missing(self, code: str) -> list[str]:
        """The roster files that lack a fact of a rule the run carries for other files' people."""
        return [name for name, gaps in self.by_file.items() if code in gaps]


def resolve_mode(given: str | None, ruleset: Ruleset) -> str:
    """The coverage mode of a run: given on the command line, else the pack's setting."""
    mode = given or ruleset.coverage
    if mode not in COVERAGE_MODES:
        raise VettingError(f"未知的覆盖模式「{mode}」{did_you_mean(mode, COVERAGE_MODES)}；"
                           f"可用：{'、'.join(COVERAGE_MODES)}")
    return mode


def carried_facts(ruleset: Ruleset, candidates: Candidates) -> frozenset:
    """The fact fields some source of this run answers for (roster column, consulted or required agency)."""
    consulted = set(candidates.joint.get("consulted_agencies", ()))
    answering = {name for agency in ruleset.agencies.values()
                 if agency.required or agency.name in consulted for name in agency.supplies}
    derived = {name for name, spec in ruleset.fields.items() if spec.derived}
    return frozenset(candidates.present) | answering | derived | _ALWAYS_CARRIED


def file_facts(ruleset: Ruleset, candidates: Candidates) -> dict[str, frozenset]:
    """Per roster file, the fact fields some source answers for its people: its own columns, the
    agencies it has an opinion column for, agencies with a reply file (one that answers for part
    of the run leaves the others owing it an answer: their `pending`) and required agencies."""
    replied = {str(r["agency"]) for r in candidates.joint.get("replies", ())}
    common = {name for agency in ruleset.agencies.values()
              if agency.required or agency.name in replied for name in agency.supplies}
    common |= {name for name, spec in ruleset.fields.items() if spec.derived} | _ALWAYS_CARRIED
    return {name: frozenset(columns.fields | common | {f for agency in _asked(ruleset, columns)
                                                       for f in ruleset.agencies[agency].supplies})
            for name, columns in candidates.file_columns.items()}


def _asked(ruleset: Ruleset, columns: FileColumns) -> list[str]:
    """The agencies a roster file has an opinion column for, in its columns' order."""
    return [a for a in dict.fromkeys(agency_of_header(h, ruleset.agencies) for h in columns.others) if a]


def group_needs(rule: GroupRule) -> tuple[str, ...]:
    """The facts a rule across candidates reads, any one of which lets it check: a shared 户号 or
    a declared relation for relatives; () for the rules every roster lets the run check (the
    same ID number) and for the counts and village columns, which say per village what they
    could not check (meta.group_summary)."""
    if rule.kind != "relatives":
        return ()
    return ("household_id", "relatives") if rule.same_household else ("relatives",)


def rule_gaps(rule: Rule | GroupRule, carried: frozenset) -> tuple[str, ...]:
    """The decisive facts of a rule that nothing in the run carries (of a rule across
    candidates: the facts it reads, when none of them is carried)."""
    if isinstance(rule, GroupRule):
        needs = group_needs(rule)
        return needs if needs and not carried.intersection(needs) else ()
    return tuple(f for f in C.decisive_fields(rule.condition) if f not in carried)


def assess(ruleset: Ruleset, candidates: Candidates, mode: str = "partial") -> Coverage:
    """Which rules this run covers (for everyone, or only for some roster files' people), and
    which gaps are said once rather than per candidate."""
    per_file = file_facts(ruleset, candidates)
    carried = carried_facts(ruleset, candidates).union(*per_file.values())
    across = ruleset.group_rules if len(candidates) > 1 else ()     # one candidate has no one to compare with
    rules = [*ruleset.rules, *(g for g in across if group_needs(g))]
    gaps = {rule.code: missing for rule in rules if (missing := rule_gaps(rule, carried))}
    by_file = {}
    if len(per_file) > 1:
        for name, have in per_file.items():
            lacking = {rule.code: missing for rule in rules if (missing := _file_gaps(rule, have, carried, gaps))}
            if lacking:
                by_file[name] = lacking
    codes = set(gaps).union(*by_file.values())      # a rule across candidates has no `must_cover`
    said_once = frozenset() if mode == "strict" else \
        frozenset(r.code for r in rules if r.code in codes and (isinstance(r, GroupRule) or not r.must_cover))
    return Coverage(mode, gaps, said_once, by_file)


def _file_gaps(rule: Rule | GroupRule, have: frozenset, carried: frozenset,
               gaps: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The facts of a rule one roster file's people lack though the run carries them for others."""
    if isinstance(rule, GroupRule):
        return () if rule.code in gaps else rule_gaps(rule, have)
    return tuple(f for f in rule_gaps(rule, have) if f in carried)


def slate_gaps(rule: GroupRule, coverage: Coverage, candidates: Candidates, found: pd.DataFrame | None,
               fields: Mapping[str, Field]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The members of a relatives rule's slate it could not check (no 户号 or 亲属关系 column, for
    anyone or in their roster file), leaving out those it found something for (G06 also compares
    ID numbers) and those with no one on a slate of their village to compare with: their
    (row_id, rule) pairs when the gap is said once, else (strict) a `pending` finding each."""
    frame = candidates.frame
    members = np.full(len(frame), rule.code in coverage.gaps)
    for name in coverage.files_missing(rule.code):
        members |= (frame["source_file"].astype(str) == name).to_numpy(dtype=bool)
    if not members.any():
        return None, None
    sure, maybe = slate(rule, frame)
    key = village_key(frame).to_numpy()
    if rule.against:
        other, _ = slate_rows(rule.against, frame)
        members &= sure & np.isin(key, key[other])
    else:
        on = sure | maybe
        members &= on & (pd.Series(key).map(pd.Series(key[on]).value_counts()).fillna(0).to_numpy() >= 2)
    if found is not None:
        members[found["row_id"].to_numpy(dtype=np.int64)] = False
    at = np.flatnonzero(members)
    if not len(at):
        return None, None
    if rule.code in coverage.said_once:
        return pd.DataFrame({"row_id": at, "rule": rule.code}), None
    labels = [fields[f].label for f in group_needs(rule)]
    return None, pd.DataFrame({
        "row_id": at, "rule": rule.code, "rule_name": rule.name, "severity": "pending",
        "reason": f"尚无「{'」或「'.join(labels)}」信息，无法判定是否属于「{rule.name}」",
        "evidence": where_text(frame.iloc[at]).to_numpy(dtype=object) + "：" + "；".join(f"无「{x}」列" for x in labels),
        "basis": rule.basis_text()})[FINDING_COLUMNS]


def consulted_in_files(ruleset: Ruleset, candidates: Candidates) -> list[str]:
    """The agencies some roster file has an opinion column for, in the order a whole read meets
    them (files in order, columns in order)."""
    return list(dict.fromkeys(a for columns in candidates.file_columns.values() for a in _asked(ruleset, columns)))


def remedy(ruleset: Ruleset, facts: tuple[str, ...], files: list[str] | None = None, either: bool = False) -> str:
    """What would cover a rule missing `facts` (in `files` only, when given; `either`: any one of
    them would): the column to add, or the agency that answers for it."""
    labels = ("」或「" if either else "」「").join(ruleset.fields[f].label for f in facts)
    suppliers = [a.name for a in ruleset.agencies.values() if set(facts) & set(a.supplies)]
    text = f"在{'、'.join(files) if files else '花名册'}中增加「{labels}」列"
    if suppliers:
        text += (f"，或请{'或'.join(suppliers)}出具联审意见（花名册中的「{suppliers[0]}意见」列，"
                 f"或 --findings {suppliers[0]}=回复文件）")
    return text


#: Said once after the rules a run did not cover.
SWITCH_OFF = "本县不审查的规则可在县级规则集中停用（enabled: false）"


def not_covered(ruleset: Ruleset, coverage: Coverage, unchecked: Mapping[str, int],
                pending: Mapping[str, int]) -> list[dict]:
    """The run-level statement of every rule the run did not cover for someone: code, name, the
    missing facts, who could supply them, how many candidates it could not be checked for
    (`unchecked`), or, when such a rule stays `pending` (strict mode, a rule that must be
    covered), how many it left pending. A gap that touched nobody is not stated."""
    out = []
    for rule in [*ruleset.rules, *ruleset.group_rules]:
        files = coverage.files_missing(rule.code)
        if rule.code not in coverage.gaps and not files:
            continue
        everywhere = coverage.gaps.get(rule.code, ())
        per_file: dict[tuple[str, ...], list[str]] = {}
        for name in files:
            per_file.setdefault(coverage.by_file[name][rule.code], []).append(name)
        facts = tuple(dict.fromkeys([*everywhere, *(f for lacking in per_file for f in lacking)]))
        said_once = rule.code in coverage.said_once
        count = int((unchecked if said_once else pending).get(rule.code, 0))
        if not count:
            continue
        labels = [ruleset.fields[f].label for f in facts]
        either = isinstance(rule, GroupRule)        # any one of a relatives rule's columns would do
        entry = {"rule": rule.code, "name": rule.name, "facts": ["或".join(labels)] if either else labels,
                 "agencies": [a.name for a in ruleset.agencies.values() if set(facts) & set(a.supplies)],
                 "candidates": count, "pending": not said_once}
        if not everywhere:
            entry["files"] = files
        remedies = ([remedy(ruleset, everywhere, None, either)] if everywhere else []) + \
            [remedy(ruleset, lacking, names, either) for lacking, names in per_file.items()]
        out.append({**entry, "remedy": "；".join(remedies)})
    return out


def coverage_sentence(entries: list[dict]) -> str:
    """One line saying plainly that a 通过 does not include the rules this run did not cover."""
    said = [e["rule"] for e in entries if not e["pending"]]
    if not said:
        return ""
    return (f"本次审查未覆盖 {len(said)} 条规则（{'、'.join(said)}）：结论「通过」只表示已覆盖的规则未发现问题，"
            "不代表已完成全部资格审查")
