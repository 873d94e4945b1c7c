"""Slate rules that read what a village declares on its rows: the seats of its 村委会 (职数), which
the slate must outnumber (an election has more candidates than seats), and the less numerous ethnic
groups of a multi-ethnic village, of which the 村委会 slate should include a member. A village that
declares nothing is said so, never flagged on a guess; a run whose roster has no such column says
so once, in the rule's summary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vetting.engine.slate import (
    count_text,
    declared,
    ethnic_groups,
    joined,
    listing,
    members,
    number,
    place,
    tally,
    village_key,
)
from vetting.normalize.roster import Candidates
from vetting.result import GROUP_COLUMNS
from vetting.ruleset.model import GroupRule


def summary(rule: GroupRule, villages: pd.DataFrame, broken: np.ndarray, unsure: np.ndarray,
            note: str = "", checked: np.ndarray | None = None) -> dict:
    """How many villages (of those `checked`) meet the rule, how many do not, how many are undetermined."""
    checked = np.ones(len(villages), dtype=bool) if checked is None else checked
    meeting = checked & ~broken & ~unsure
    out = {"rule": rule.code, "name": rule.name, "villages": int(checked.sum()),
           "meeting": int(meeting.sum()), "below_or_above": int((checked & broken).sum()),
           "undetermined": int((checked & unsure).sum()),
           "share_meeting": round(float(meeting.sum() / checked.sum()), 4) if checked.any() else None,
           "listed": place(villages)[checked & broken].head(200).tolist()}
    if note:
        out["note"] = note
    return out


def village_frame(rule: GroupRule, flagged: pd.DataFrame, severity: np.ndarray, reason: pd.Series) -> pd.DataFrame:
    """Village findings: place, rule, severity, reason and the slate members named as evidence."""
    out = pd.DataFrame({"township": flagged["township"].to_numpy(), "village": flagged["village"].to_numpy(),
                        "rule": rule.code, "rule_name": rule.name, "severity": severity,
                        "reason": np.asarray(reason, dtype=object),
                        "evidence": ("涉及：" + flagged["members"].fillna("无")).to_numpy(),
                        "basis": rule.basis_text()})
    return out[GROUP_COLUMNS]


def _bound(value: float | str | None, params: dict) -> float | None:
    if value is None:
        return None
    return float(params[value[1:]]) if isinstance(value, str) else float(value)


def _declared_numbers(frame: pd.DataFrame, name: str, keys: pd.Index) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Per village key: how many distinct numbers its rows give in a village-level column, the number
    when there is one, and '5、7' where they disagree."""
    if name not in frame:
        return np.zeros(len(keys), dtype=int), np.full(len(keys), np.nan), pd.Series("", index=keys, dtype=object)
    given = pd.DataFrame({"key": village_key(frame), "value": frame[name].astype("Float64")}).dropna()
    given = given.drop_duplicates()
    grouped = given.groupby("key", sort=False)["value"]
    size = grouped.size().reindex(keys, fill_value=0).to_numpy(dtype=int)
    value = grouped.min().astype(float).reindex(keys).to_numpy(dtype=float)
    several = given[given["key"].isin(keys[size > 1])].sort_values("value", kind="stable")
    numbers = several["value"].astype(float).map(number)
    return size, np.where(size == 1, value, np.nan), joined(several["key"], numbers).reindex(keys).fillna("")


def seats(rule: GroupRule, candidates: Candidates, params: dict, label: str) -> tuple[pd.DataFrame | None, dict]:
    """Per village: the 村委会 slate against the seats the village declares (more candidates than
    seats; seats within the legal range `min`..`max`); with no seats declared, only against `min`."""
    frame = candidates.frame
    everyone = np.ones(len(frame), dtype=bool)
    table, villages = tally(rule, frame, everyone, everyone)
    low, high = _bound(rule.minimum, params), _bound(rule.maximum, params)
    size, seat, disagree = _declared_numbers(frame, rule.village_field, villages.index)
    definite, possible = villages["definite"].to_numpy(), villages["possible"].to_numpy()
    known = size == 1
    conflict = size > 1
    outside = known & (((seat < low) if low is not None else False) | ((seat > high) if high is not None else False))
    with np.errstate(invalid="ignore"):
        few = known & (possible <= seat)
        few_unsure = known & (definite <= seat) & ~few
    short = ~known & (possible < low) if low is not None else np.zeros(len(villages), dtype=bool)
    short_unsure = ~known & (definite < low) & ~short if low is not None else np.zeros(len(villages), dtype=bool)
    carried = rule.village_field in candidates.present
    silent = (size == 0) & carried & ~short & ~short_unsure
    broken = few | short | outside | conflict
    unsure = (few_unsure | short_unsure | (size == 0)) & ~broken
    count = count_text(villages)
    texts = pd.Series("", index=villages.index, dtype=object)

    def add(mask: np.ndarray, text: pd.Series | str) -> None:
        nonlocal texts
        part = pd.Series(text, index=villages.index) if isinstance(text, str) else text
        texts = texts.where(~mask, texts + np.where(texts == "", "", "；") + part)

    seat_text = pd.Series([number(s) if s == s else "" for s in seat], index=villages.index, dtype=object)
    add(conflict, f"「{label}」各行填报不一致（" + disagree + "人）")
    if low is not None and high is not None:
        add(outside, f"申报的{label}" + seat_text + f"人，不在{number(low)}至{number(high)}人之间")
    add(few | few_unsure, "村委会人选" + count + f"人，不多于应选{label}" + seat_text + "人，无法差额选举")
    if low is not None:
        add(short | short_unsure, "村委会人选" + count + f"人，少于村民委员会最少职数{number(low)}人")
    add(few_unsure | short_unsure, "部分人选的职务或信息不全，需核实")
    add(silent, f"未填报{label}，无法核对村委会人选（" + count + "人）是否多于应选职数")
    note = "" if carried else (f"花名册中没有「{label}」列：村委会人选数只与最少职数比较，未核对是否多于应选职数")
    flagged_mask = broken | few_unsure | short_unsure | silent
    result = summary(rule, villages, broken, unsure, note)
    if not flagged_mask.any():
        return None, result
    flagged = villages[flagged_mask].copy()
    flagged["members"] = members(table, flagged.index, frame)
    review = "notice" if rule.severity == "notice" else "review"
    severity = np.where(broken, rule.severity, np.where(few_unsure | short_unsure, review, "notice"))[flagged_mask]
    reason = place(flagged) + "：" + texts[flagged_mask]
    return village_frame(rule, flagged, severity, reason), result


def _listed_members(keys: pd.Series, listed: pd.Series, ethnicity: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether its ethnic group is one its village lists, and whether the group is known
    (villages and groups compared as integer codes, not as strings per row)."""
    village, villages = pd.factorize(keys)
    pairs = listed.explode().dropna()
    rows, names = ethnic_groups(ethnicity)
    wanted_codes, wanted_names = ethnic_groups(pd.Series(pairs.to_numpy(dtype=object), dtype="string"))
    space = pd.Index(names, dtype=object).append(pd.Index(wanted_names, dtype=object)).unique()
    groups = np.append(space.get_indexer(names), -1)[rows]
    wanted_groups = np.append(space.get_indexer(wanted_names), -1)[wanted_codes]
    width = len(space) + 2
    mine = village.astype(np.int64) * width + groups
    wanted = pd.Index(villages).get_indexer(pairs.index).astype(np.int64) * width + wanted_groups
    known = groups >= 0
    return np.isin(mine, wanted[wanted_groups >= 0]) & known, known


def minority(rule: GroupRule, candidates: Candidates, params: dict, label: str) -> tuple[pd.DataFrame | None, dict]:
    """Per village that lists its less numerous ethnic groups: how many of its 村委会 slate belong to
    one of them, against `min`; a village listing none (blank, 无) is not checked."""
    frame = candidates.frame
    keys = village_key(frame)
    listed = declared(frame, rule.village_field, keys)
    ethnicity = frame["ethnicity"] if "ethnicity" in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    true, known = _listed_members(keys, listed, ethnicity)
    table, villages = tally(rule, frame, true, known)
    low = _bound(rule.minimum, params) or 1.0
    checked = listed.reindex(villages.index).apply(lambda v: isinstance(v, tuple) and bool(v)).to_numpy(dtype=bool)
    broken = checked & (villages["possible"].to_numpy() < low)
    unsure = checked & (villages["definite"].to_numpy() < low) & ~broken
    note = "" if rule.village_field in candidates.present else \
        f"花名册中没有「{label}」列：未核对多民族村的村委会人选中是否有人数较少的民族成员"
    result = summary(rule, villages, broken, unsure, note, checked)
    flagged = villages[broken | unsure].copy()
    if flagged.empty:
        return None, result
    flagged["members"] = members(table, flagged.index, frame)
    names = listed.reindex(flagged.index).apply(listing)
    reason = (place(flagged) + "：" + label + "为" + names + "，村委会人选中属于这些民族的有" + count_text(flagged)
              + f"人（至少应有{number(low)}人）")
    review = "notice" if rule.severity == "notice" else "review"
    severity = np.where(broken[broken | unsure], rule.severity, review)
    reason = reason.where(severity == rule.severity, reason + "；部分人选的民族或职务不全，需核实")
    return village_frame(rule, flagged, severity, reason), result
