"""Rules across candidates (vectorised): one person listed twice, relatives on one village's slate,
and counts per village (women, youth, slate size, reserve quota) against the pack's minimum/maximum."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from vetting.engine.evaluator import Evaluator
from vetting.engine.values import Vec
from vetting.normalize.roles import roles_match
from vetting.normalize.roster import Candidates
from vetting.result import FINDING_COLUMNS, GROUP_COLUMNS
from vetting.ruleset.model import GroupRule

MEMBERS_SHOWN = 20
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


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype("string") if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")


def _where(frame: pd.DataFrame) -> pd.Series:
    return frame["source_file"].astype(str) + " 第" + frame["source_row"].astype(str) + "行"


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
    if "id_number" not in frame or "id_status" not in frame:
        return None
    ids = frame["id_number"].where(frame["id_status"] == "valid")
    counts = ids.map(ids.value_counts())
    rows = np.flatnonzero((counts > 1).fillna(False).to_numpy(dtype=bool))
    if not len(rows):
        return None
    label = _where(frame).iloc[rows] + "（" + _text(frame, "name").iloc[rows].fillna("（无姓名）") + "）"
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


def _slate(rule: GroupRule, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows surely on the rule's slate, and rows that may be (role blank or unreadable)."""
    placed = _text(frame, "village").notna().to_numpy(dtype=bool)
    if not rule.roles:
        return placed, np.zeros(len(frame), dtype=bool)
    role = _text(frame, "role")
    return placed & roles_match(role, rule.roles).to_numpy(dtype=bool), placed & role.isna().to_numpy(dtype=bool)


def _village_key(frame: pd.DataFrame) -> pd.Series:
    return _text(frame, "township").fillna("") + "\x1f" + _text(frame, "village").fillna("")


def relatives(rule: GroupRule, candidates: Candidates) -> pd.DataFrame | None:
    """Pairs of slate members of one village who share a household or declare a relation in scope."""
    frame = candidates.frame
    sure, maybe = _slate(rule, frame)
    members = frame.loc[sure | maybe]
    if members.empty:
        return None
    key = _village_key(members)
    pairs = []
    if rule.same_household and "household_id" in members:
        household = _text(members, "household_id")
        grouped = pd.DataFrame({"row": members.index, "key": key + "\x1f" + household}).dropna()
        for _, group in grouped.groupby("key")["row"]:
            rows = list(group)
            pairs += [(a, b, "同户") for a in rows for b in rows if a != b]
    if "relatives" in members:
        names = pd.DataFrame({"row": members.index, "key": key, "name": _text(members, "name")})
        lookup = names.dropna().groupby(["key", "name"])["row"].agg(list)
        for row, text, village in zip(members.index, _text(members, "relatives"), key):
            if pd.isna(text):
                continue
            for other_name, word in _declared(str(text)):
                category = _RELATION_OF.get(word)
                for other in lookup.get((village, other_name), []):
                    if other != row and category in rule.scope:
                        pairs += [(row, other, f"申报为其{word}"), (other, row, f"对方申报其为{word}")]
    if not pairs:
        return None
    found = pd.DataFrame(pairs, columns=["row", "other", "relation"]).drop_duplicates(["row", "other"])
    where = _where(frame)
    other_label = (_text(frame, "name").reindex(found["other"]).fillna("").to_numpy(dtype=object) + "（"
                   + where.reindex(found["other"]).to_numpy(dtype=object) + "，"
                   + found["relation"].to_numpy(dtype=object) + "）")
    reasons = "与本村候选人" + other_label + "存在近亲属关系，按规定应当回避"
    evidence = where.reindex(found["row"]).to_numpy(dtype=object) + "：「亲属关系/户号」"
    return _person_frame(rule, found["row"].to_numpy(), reasons, evidence)


def _repeated_people(frame: pd.DataFrame) -> np.ndarray:
    """Second and later occurrences of a valid ID number: one person counts once on a slate."""
    if "id_number" not in frame or "id_status" not in frame:
        return np.zeros(len(frame), dtype=bool)
    ids = frame["id_number"].where(frame["id_status"] == "valid")
    return (ids.notna() & ids.duplicated()).to_numpy(dtype=bool)


def _bound(value: float | str | None, params: dict) -> float | None:
    if value is None:
        return None
    return float(params[value[1:]]) if isinstance(value, str) else float(value)


def counts(rule: GroupRule, candidates: Candidates, where_result: Vec | None,
           params: dict) -> tuple[pd.DataFrame | None, dict]:
    """Per village: how many slate members meet `where`, against the rule's minimum and maximum."""
    frame = candidates.frame
    sure, maybe = _slate(rule, frame)
    if where_result is None:
        true, known = np.ones(len(frame), dtype=bool), np.ones(len(frame), dtype=bool)
    else:
        true, known = where_result.lo & where_result.known, where_result.known
    placed = _text(frame, "village").notna().to_numpy(dtype=bool) & ~_repeated_people(frame)
    table = pd.DataFrame({
        "key": _village_key(frame), "township": _text(frame, "township"), "village": _text(frame, "village"),
        "definite": sure & true, "possible": (sure | maybe) & (true | ~known), "total": sure,
        "label": _text(frame, "name").fillna("（无姓名）") + "（" + _where(frame) + "）",
    })[placed]
    grouped = table.groupby("key", sort=False)
    villages = grouped.agg(township=("township", "first"), village=("village", "first"),
                           definite=("definite", "sum"), possible=("possible", "sum"), total=("total", "sum"))
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
    summary = {"rule": rule.code, "name": rule.name, "villages": int(len(villages)),
               "meeting": int((~broken & ~unsure).sum()), "below_or_above": int(broken.sum()),
               "undetermined": int(unsure.sum()),
               "share_meeting": round(float((~broken & ~unsure).mean()), 4) if len(villages) else None,
               "listed": (villages["township"].fillna("") + villages["village"].fillna(""))[broken]
                         .head(200).tolist()}
    flagged = villages[broken | unsure].copy()
    if flagged.empty:
        return None, summary
    flagged["members"] = _members(table, flagged.index)
    wanted = _wanted(low, high)
    count = flagged["definite"].astype(int).astype(str)
    count = count.where(flagged["definite"] == flagged["possible"],
                        count + "~" + flagged["possible"].astype(int).astype(str))
    reason = (flagged["township"].fillna("") + flagged["village"].fillna("") + "：" + rule.name + "（"
              + count + "人，" + wanted + "）")
    if rule.reason:
        reason = _fill_group_reason(rule.reason, flagged, count, low, high)
    unsure_severity = "notice" if rule.severity == "notice" else "review"
    severity = np.where(broken[broken | unsure], rule.severity, unsure_severity)
    reason = reason.where(severity == rule.severity, reason + "；部分人选的职务或信息不全，需核实")
    out = pd.DataFrame({"township": flagged["township"].to_numpy(), "village": flagged["village"].to_numpy(),
                        "rule": rule.code, "rule_name": rule.name, "severity": severity,
                        "reason": reason.to_numpy(), "evidence": ("涉及：" + flagged["members"].fillna("无")).to_numpy(),
                        "basis": rule.basis_text()})
    return out[GROUP_COLUMNS], summary


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _members(table: pd.DataFrame, keys: pd.Index) -> pd.Series:
    """'张三（文件 第N行）、…' for the slate of each flagged village (first MEMBERS_SHOWN, then 等)."""
    on_slate = table[table["total"] & table["key"].isin(keys)]
    position = on_slate.groupby("key", sort=False).cumcount()
    shown = on_slate[position < MEMBERS_SHOWN]
    joined = shown.groupby("key", sort=False)["label"].agg("、".join)
    more = (position >= MEMBERS_SHOWN).groupby(on_slate["key"]).any()
    return joined.reindex(keys) + np.where(more.reindex(keys, fill_value=False), "等", "")


def _wanted(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"应为{_number(low)}至{_number(high)}人"
    return f"至少应有{_number(low)}人" if low is not None else f"至多{_number(high)}人"


def _fill_group_reason(template: str, flagged: pd.DataFrame, count: pd.Series, low: float | None,
                      high: float | None) -> pd.Series:
    """The pack's reason template with {village} {township} {count} {total} {min} {max} filled per village."""
    values = {"township": flagged["township"].fillna(""), "village": flagged["village"].fillna(""),
              "count": count, "total": flagged["total"].astype(int).astype(str),
              "min": "" if low is None else _number(low), "max": "" if high is None else _number(high)}
    out = pd.Series("", index=flagged.index, dtype=object)
    for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
        out = out + (values[part] if i % 2 else part)
    return out


def evaluate_groups(rules: Sequence[GroupRule], candidates: Candidates, evaluator: Evaluator) -> GroupOutcome:
    """Every group rule of a ruleset over the whole candidate set."""
    outcome = GroupOutcome()
    for rule in rules:
        if rule.kind == "duplicate":
            found = duplicates(rule, candidates)
        elif rule.kind == "relatives":
            found = relatives(rule, candidates)
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
