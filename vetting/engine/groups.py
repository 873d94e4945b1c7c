"""Rules across candidates (vectorised): one person listed twice, relatives on one village's slate
(or between two slates, such as the 村务监督委员会 and the 村委会), and counts per village (women,
youth, reserve quota) against the pack's minimum/maximum; the slate against a village's seats and
the less numerous ethnic groups it declares are in vetting.engine.village."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from vetting.engine import village as village_rules
from vetting.engine.coverage import Coverage, slate_gaps
from vetting.engine.evaluator import Evaluator
from vetting.engine.slate import (
    VILLAGE_CODE,
    count_text,
    members,
    number,
    place,
    repeated_people,
    slate,
    slate_rows,
    tally,
    text_column,
    valid_ids,
    village_key,
    where_text,
)
from vetting.engine.values import Vec
from vetting.normalize.roster import Candidates
from vetting.objarrays import repeated
from vetting.result import FINDING_COLUMNS
from vetting.ruleset.model import POOL_KINDS, GroupRule

RELATION_CATEGORIES = {
    "配偶": ("配偶", "夫妻", "丈夫", "妻子", "夫", "妻", "老公", "老婆"),
    "父母子女": ("父子", "父女", "母子", "母女", "父亲", "母亲", "儿子", "女儿", "子女", "父母", "父", "母", "子", "女"),
    "兄弟姐妹": ("兄弟", "姐妹", "兄妹", "姐弟", "哥哥", "弟弟", "姐姐", "妹妹", "兄", "弟", "姐", "妹"),
    "其他近亲属": ("祖孙", "祖父", "祖母", "外祖父", "外祖母", "孙子", "孙女", "外孙", "外孙女"),
}
_RELATION_OF = {word: cat for cat, words in RELATION_CATEGORIES.items() for word in words}
_DECLARED = re.compile(r"([\u4e00-\u9fff·]{2,8})\s*[（(：:]\s*([\u4e00-\u9fff]{1,4})\s*[)）]?")
_DECLARED_RELATION_FIRST = re.compile(r"([\u4e00-\u9fff]{1,4})\s*[：:]\s*([\u4e00-\u9fff·]{2,8})")


@dataclass
class GroupOutcome:
    """Person findings (duplicates, relatives), village findings, and per-rule coverage summaries."""

    findings: list[pd.DataFrame] = field(default_factory=list)
    villages: list[pd.DataFrame] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    unchecked: list[pd.DataFrame] = field(default_factory=list)    # (row_id, rule): slate members not covered

    def of_candidates(self, lo: int, hi: int) -> GroupOutcome:
        """The person findings and unchecked pairs of candidates lo..hi-1, their row ids made
        local to them (a slice of a streamed run; villages are the run's, reported once)."""
        def own(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
            mine = []
            for found in frames:
                rows = found["row_id"].to_numpy(dtype=np.int64)
                inside = (rows >= lo) & (rows < hi)
                if inside.any():
                    mine.append(found[inside].assign(row_id=rows[inside] - lo).reset_index(drop=True))
            return mine
        return GroupOutcome(findings=own(self.findings), summary=self.summary, unchecked=own(self.unchecked))


OTHERS_SHOWN = 10


def _others(labels: list[str], own: str, size: int) -> str:
    """'同一公民身份号码还出现在：…' naming at most OTHERS_SHOWN other occurrences."""
    others = [x for x in labels if x != own][:OTHERS_SHOWN]
    more = f"等共{size - 1}处" if size - 1 > len(others) else ""
    return "同一公民身份号码还出现在：" + "、".join(others) + more


def _person_frame(rule: GroupRule, rows: ArrayLike, reasons: ArrayLike, evidence: ArrayLike) -> pd.DataFrame:
    return pd.DataFrame({"row_id": rows, "rule": rule.code, "rule_name": rule.name,
                         "severity": rule.severity, "reason": reasons, "evidence": evidence,
                         "basis": rule.basis_text()})[FINDING_COLUMNS]


def duplicates(rule: GroupRule, candidates: Candidates) -> pd.DataFrame | None:
    """Every occurrence of a valid ID number that appears more than once in the run, naming the others."""
    frame = candidates.frame
    ids = valid_ids(frame)
    if ids is None or len(frame) < 2:
        return None             # one row repeats no ID number (`vet check`: one candidate)
    repeated = repeated_people(frame)          # later occurrences; with the first ones below
    rows = np.flatnonzero(repeated | (ids.notna() & ids.isin(ids[repeated].unique())).to_numpy(dtype=bool))
    if not len(rows):
        return None
    found = frame.iloc[rows]
    label = where_text(found) + "（" + text_column(found, "name").fillna("（无姓名）") + "）"
    table = pd.DataFrame({"row": rows, "id": ids.iloc[rows].to_numpy(), "label": label.to_numpy()})
    everyone = table.groupby("id")["label"].agg(lambda labels: list(labels.iloc[:OTHERS_SHOWN + 1]))
    sizes = table["id"].map(table["id"].value_counts())
    reasons = [_others(everyone[i], own, int(size)) for i, own, size in zip(table["id"], table["label"], sizes)]
    return _person_frame(rule, rows, reasons, label.to_numpy())


def _declared(text: str) -> list[tuple[str, str]]:
    """(name, relation word) pairs from a 亲属关系 cell: "马建国(丈夫)", "配偶：张一", "张一：配偶"."""
    pairs = [(n, w) for n, w in _DECLARED.findall(text) if w in _RELATION_OF]
    pairs += [(n, w) for w, n in _DECLARED_RELATION_FIRST.findall(text) if w in _RELATION_OF]
    return pairs


def _relative_pairs(rule: GroupRule, frame: pd.DataFrame, own: np.ndarray, other: np.ndarray) -> list[tuple]:
    """(row, other row, relation) for rows of `own` related to rows of `other` in the same village:
    one household (when the rule counts it) or a relation in scope declared by either of them."""
    counted = rule.same_household and "household_id" in frame
    if not (counted or "relatives" in frame):
        return []
    both = frame.loc[own | other, [c for c in frame.columns if c in _PAIR_COLUMNS]]
    if both.empty:
        return []
    key = village_key(both)
    pairs = []
    if counted:
        homes = pd.DataFrame({"row": both.index.to_numpy(), "key": key.to_numpy(),
                              "home": text_column(both, "household_id").to_numpy()}).dropna()
        rows = homes["row"].to_numpy(dtype=np.int64)
        joined = homes[own[rows]].merge(homes[other[rows]], on=["key", "home"], suffixes=("", "_other"))
        joined = joined[joined["row"] != joined["row_other"]]
        pairs += [(a, b, "同户") for a, b in zip(joined["row"], joined["row_other"])]
    if "relatives" in both:
        pairs += _declared_pairs(rule, both, key, own, other)
    return pairs


_PAIR_COLUMNS = frozenset({"township", "village", VILLAGE_CODE, "household_id", "relatives", "name"})


def _declared_pairs(rule: GroupRule, both: pd.DataFrame, key: pd.Series, own: np.ndarray,
                    other: np.ndarray) -> list[tuple]:
    """(row, other row, relation) for relations in scope that one person of a village declares of
    another by name; only the rows that declare something are read one by one."""
    declaring = text_column(both, "relatives").dropna()
    claims = pd.DataFrame([(row, name, word) for row, text in declaring.items() for name, word in _declared(str(text))
                           if _RELATION_OF.get(word) in rule.scope], columns=["row", "name", "word"])
    if claims.empty:
        return []
    claims["key"] = key.loc[claims["row"].to_numpy()].to_numpy()
    claims["claim"] = np.arange(len(claims))
    people = pd.DataFrame({"person": both.index.to_numpy(), "key": key.to_numpy(),
                           "name": text_column(both, "name").to_numpy()}).dropna()
    matched = claims.merge(people, on=["key", "name"]).sort_values(["claim", "person"], kind="stable")
    pairs = []
    for row, person, word in zip(matched["row"], matched["person"], matched["word"]):
        if person == row:
            continue
        if own[row] and other[person]:
            pairs.append((row, person, f"申报为其{word}"))
        if own[person] and other[row]:
            pairs.append((person, row, f"对方申报其为{word}"))
    return pairs


#: The relation of a person to their own row on the other slate (one ID number on both).
_SELF = "同一公民身份号码"


def _same_people(frame: pd.DataFrame, own: np.ndarray, other: np.ndarray) -> list[tuple]:
    """(row, other row, relation) where one valid ID number is on both slates of one village."""
    ids = valid_ids(frame)
    if ids is None:
        return []
    known = ids.notna().to_numpy(dtype=bool)
    mine = own & known
    theirs = other & known & ids.isin(ids[mine].unique()).to_numpy(dtype=bool)   # the few IDs on the own slate
    keys = village_key(frame).to_numpy()

    def table(rows: np.ndarray) -> pd.DataFrame:
        at = np.flatnonzero(rows)
        return pd.DataFrame({"row": frame.index[at], "key": keys[at], "id": ids.iloc[at].to_numpy()})

    joined = table(mine).merge(table(theirs), on=["key", "id"], suffixes=("", "_other"))
    joined = joined[joined["row"] != joined["row_other"]]
    return [(a, b, _SELF) for a, b in zip(joined["row"], joined["row_other"])]


def relatives(rule: GroupRule, candidates: Candidates) -> pd.DataFrame | None:
    """Pairs of slate members of one village who share a household or declare a relation in scope;
    with `against`, members of the rule's slate related to (or the same person as) a member of the
    other slate, each finding on the rule's own slate (村务监督委员会 against 村委会)."""
    frame = candidates.frame
    if len(frame) < 2:
        return None             # every pair is of two rows (`vet check`: one candidate)
    sure, maybe = slate(rule, frame)
    if rule.against:
        other, _ = slate_rows(rule.against, frame)
        pairs = _relative_pairs(rule, frame, sure, other) + _same_people(frame, sure, other)
    else:
        pairs = _relative_pairs(rule, frame, sure | maybe, sure | maybe)
    if not pairs:
        return None
    found = pd.DataFrame(pairs, columns=["row", "other", "relation"]).drop_duplicates(["row", "other"])
    named = np.unique(np.r_[found["row"].to_numpy(), found["other"].to_numpy()])
    where = where_text(frame.loc[named])      # only the rows a finding names (a province's roster is not)
    other_label = (text_column(frame.loc[named], "name").reindex(found["other"]).fillna("").to_numpy(dtype=object) + "（"
                   + where.reindex(found["other"]).to_numpy(dtype=object) + "，"
                   + found["relation"].to_numpy(dtype=object) + "）")
    if "{other}" in rule.reason:
        before, _, after = rule.reason.partition("{other}")
        reasons = before + other_label + after
    elif rule.reason:
        reasons = repeated(rule.reason, len(found))
    else:
        reasons = "与本村候选人" + other_label + "存在近亲属关系，按规定应当回避"
    self_rows = (found["relation"] == _SELF).to_numpy(dtype=bool)
    if self_rows.any():
        reasons = np.asarray(reasons, dtype=object).copy()
        reasons[self_rows] = ("本人（同一公民身份号码）同时是本村" + "、".join(rule.against) + "人选："
                              + other_label[self_rows] + "；" + rule.name)
    evidence = where.reindex(found["row"]).to_numpy(dtype=object) + np.where(
        self_rows, "：「公民身份号码」", "：「亲属关系/户号」")
    return _person_frame(rule, found["row"].to_numpy(), reasons, evidence)


def _bound(value: float | str | None, params: dict) -> float | None:
    if value is None:
        return None
    return float(params[value[1:]]) if isinstance(value, str) else float(value)


def counts(rule: GroupRule, candidates: Candidates, where_result: Vec | None,
           params: dict) -> tuple[pd.DataFrame | None, dict]:
    """Per village: how many slate members meet `where`, against the rule's minimum and maximum."""
    frame = candidates.frame
    if where_result is None:
        true, known = np.ones(len(frame), dtype=bool), np.ones(len(frame), dtype=bool)
    else:
        true, known = where_result.lo & where_result.known, where_result.known
    table, villages = tally(rule, frame, true, known)
    low, high = _bound(rule.minimum, params), _bound(rule.maximum, params)
    broken = np.zeros(len(villages), dtype=bool)
    unsure = np.zeros(len(villages), dtype=bool)
    if low is not None:
        broken |= villages["possible"].to_numpy() < low
        unsure |= (villages["definite"].to_numpy() < low) & (villages["possible"].to_numpy() >= low)
    if high is not None:
        broken |= villages["definite"].to_numpy() > high
        unsure |= (villages["possible"].to_numpy() > high) & (villages["definite"].to_numpy() <= high)
    unsure &= ~broken
    summary = village_rules.summary(rule, villages, broken, unsure)
    flagged = villages[broken | unsure].copy()
    if flagged.empty:
        return None, summary
    flagged["members"] = members(table, flagged.index, frame)
    wanted = _wanted(low, high)
    count = count_text(flagged)
    reason = place(flagged) + "：" + rule.name + "（" + count + "人，" + wanted + "）"
    if rule.reason:
        reason = _fill_group_reason(rule.reason, flagged, count, low, high)
    unsure_severity = "notice" if rule.severity == "notice" else "review"
    severity = np.where(broken[broken | unsure], rule.severity, unsure_severity)
    reason = reason.where(severity == rule.severity, reason + "；部分人选的职务或信息不全，需核实")
    return village_rules.village_frame(rule, flagged, severity, reason), summary


def _wanted(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"应为{number(low)}至{number(high)}人"
    return f"至少应有{number(low)}人" if low is not None else f"至多{number(high)}人"


def _fill_group_reason(template: str, flagged: pd.DataFrame, count: pd.Series, low: float | None,
                       high: float | None) -> pd.Series:
    """The pack's reason template with {village} {township} {count} {total} {min} {max} filled per village."""
    values = {"township": flagged["township"].fillna(""), "village": flagged["village"].fillna(""),
              "count": count, "total": flagged["total"].astype(int).astype(str),
              "min": "" if low is None else number(low), "max": "" if high is None else number(high)}
    out = pd.Series("", index=flagged.index, dtype=object)
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        out = out + (values[part] if i % 2 else part)
    return out


def evaluate_groups(rules: Sequence[GroupRule], candidates: Candidates, evaluator: Evaluator,
                    coverage: Coverage | None = None) -> GroupOutcome:
    """Every group rule of a ruleset over the whole candidate set; with `coverage`, the slate
    members a relatives rule could not check are said (vetting.engine.coverage.slate_gaps)."""
    outcome = GroupOutcome()
    for rule in rules:
        if rule.kind in POOL_KINDS:
            continue            # evaluated by vetting.pools: they read the run history and --officers
        if rule.kind == "duplicate":
            found = duplicates(rule, candidates)
        elif rule.kind == "relatives":
            found = relatives(rule, candidates)
            said, pending = slate_gaps(rule, coverage, candidates, found, evaluator.columns.ruleset.fields) \
                if coverage is not None else (None, None)
            outcome.unchecked += [said] if said is not None else []
            outcome.findings += [pending] if pending is not None else []
        else:
            if rule.kind in ("seats", "minority"):
                label = evaluator.columns.ruleset.fields[rule.village_field].label
                check = village_rules.seats if rule.kind == "seats" else village_rules.minority
                village_findings, summary = check(rule, candidates, evaluator.params, label)
            else:
                where = evaluator.eval(rule.where) if rule.where is not None else None
                village_findings, summary = counts(rule, candidates, where, evaluator.params)
            outcome.summary.append(summary)
            if village_findings is not None:
                outcome.villages.append(village_findings)
            continue
        if found is not None:
            outcome.findings.append(found)
    return outcome
