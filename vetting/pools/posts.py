"""一村一职一备 (pure): each current officer's post in a village against the village's reserves.

A party secretary's post (党组织书记, 书记兼主任) is backed by a 书记后备人选, every other "两委"
post by a 两委后备人选; a reserve whose 后备岗位 names a post backs that post first. A reserve
who does not count (to be removed after two 不称职 in a row, or `disqualify`) backs nothing, and
the reason says so. One village finding per village with a post left without a reserve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from vetting.result import GROUP_COLUMNS
from vetting.ruleset.model import GroupRule
from vetting.vocab import ROLE_TAGS

SECRETARY_RESERVE, COMMITTEE_RESERVE = "书记后备人选", "两委后备人选"
#: Posts a 书记后备人选 backs: those of a party secretary.
SECRETARY_POSTS = frozenset(role for role, tags in ROLE_TAGS.items() if "党组织书记" in tags)
_SHOWN = 10


@dataclass
class Coverage:
    """Village findings of the rule, and what the report's audit block says about the check."""

    villages: pd.DataFrame
    posts: int = 0
    uncovered: int = 0
    villages_checked: int = 0
    not_listed: list[str] = field(default_factory=list)   # reserve villages absent from the officers' roster


def _key(frame: pd.DataFrame, by_township: bool) -> pd.Series:
    village = frame["village"].astype("string").fillna("")
    if not by_township:
        return village
    return frame["township"].astype("string").fillna("") + "\x1f" + village


def _reserve_class(role: str) -> str:
    return "secretary" if role == SECRETARY_RESERVE else "committee"


def _post_class(post: str) -> str:
    return "secretary" if post in SECRETARY_POSTS else "committee"


def _gaps(posts: list[str], reserves: pd.DataFrame) -> Counter:
    """Posts (canonical) of one village left without a reserve: named posts first, then by class."""
    gaps = Counter(posts)
    named = Counter(p for p in reserves["post"].dropna() if p in gaps)
    for post, count in named.items():
        gaps[post] -= min(count, gaps[post])
    unnamed = reserves[reserves["post"].isna() | ~reserves["post"].isin(list(gaps))]
    free = Counter(_reserve_class(r) for r in unnamed["role"])
    for post in dict.fromkeys(posts):
        kind = _post_class(post)
        used = min(free[kind], gaps[post])
        gaps[post] -= used
        free[kind] -= used
    return +gaps


def _who(rows: pd.DataFrame) -> str:
    names = rows["name"].fillna("（无姓名）").tolist()
    return "、".join(names[:_SHOWN]) + (f"等{len(names)}人" if len(names) > _SHOWN else "")


def post_coverage(rule: GroupRule, officers: pd.DataFrame, reserves: pd.DataFrame) -> Coverage:
    """Per village of `officers` (township, village, name, post, source_file, source_row): its posts
    without a reserve among `reserves` (township, village, name, role, post, counts, why, where).
    Villages are matched by township and village, or by village alone when either side gives no township."""
    by_township = bool(officers["township"].notna().any() and reserves["township"].notna().any())
    officer_key, reserve_key = _key(officers, by_township), _key(reserves, by_township)
    rows = []
    out = Coverage(pd.DataFrame(columns=GROUP_COLUMNS))
    for key, held in officers.groupby(officer_key, sort=False):
        mine = reserves[(reserve_key == key).to_numpy(dtype=bool)]
        counted = mine[mine["counts"].to_numpy(dtype=bool)]
        posts = held["post"].tolist()
        gaps = _gaps(posts, counted)
        out.posts += len(posts)
        out.villages_checked += 1
        if not gaps:
            continue
        out.uncovered += sum(gaps.values())
        missing = []
        for post, count in gaps.items():
            holders = held[held["post"] == post]
            size = f"{len(holders)}个职位缺{count}个后备" if len(holders) > 1 else "1个职位"
            missing.append(f"{post}（{size}；现任：{_who(holders)}）")
        township, village = held["township"].iloc[0], held["village"].iloc[0]
        place = f"{'' if pd.isna(township) else township}{village}"
        reason = (f"{place}：现任\"两委\"职位{len(posts)}个，计入的后备力量{len(counted)}人；"
                  f"没有后备力量的职位：{'、'.join(missing)}")
        left_out = mine[~mine["counts"].to_numpy(dtype=bool)]
        if len(left_out):
            reason += "；不计入：" + "、".join(f"{n}（{w}）" for n, w in zip(left_out["name"].fillna("（无姓名）"),
                                                                         left_out["why"]))
        rows_text = "、".join(str(r) for r in held["source_row"].tolist()[:_SHOWN])
        evidence = f"现任干部名册 {held['source_file'].iloc[0]} 第{rows_text}行"
        if len(mine):
            evidence += "；后备力量：" + "、".join(f"{n}（{w}）" for n, w in zip(mine["name"].fillna("（无姓名）"),
                                                                          mine["where"]))
        rows.append({"township": township, "village": village, "rule": rule.code, "rule_name": rule.name,
                     "severity": rule.severity, "reason": reason, "evidence": evidence, "basis": rule.basis_text()})
    listed = set(officer_key)
    out.not_listed = list(dict.fromkeys(
        (f"{'' if pd.isna(t) else t}{v}" for k, t, v in zip(reserve_key, reserves["township"], reserves["village"])
         if k not in listed)))
    if rows:
        out.villages = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    return out
