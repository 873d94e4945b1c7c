"""What a committee asks of a run, as tables every report format can show: the verdicts per
township and village with their open items, and who the passing candidates and reserves are
(age, education, sex, political status) against the targets the pack declares. Pure: a
VettingResult in, pandas frames and plain values out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vetting.reports.common import as_text
from vetting.result import VettingResult
from vetting.vocab import EDUCATION_LEVEL_BY_LABEL, EDUCATION_LEVELS, ROLE_TAGS, VERDICT_LABELS, VERDICTS

#: One colour per verdict (charts, legends, fills), worst first; `FILLS` are the pale row fills.
VERDICT_COLOURS = {"disqualified": "C0392B", "unsuitable": "E67E22", "review": "D4AC0D",
                   "pending": "7F8C8D", "pass": "27AE60"}
VERDICT_FILLS = {"disqualified": "FFC7CE", "unsuitable": "FFE4C4", "review": "FFEB9C",
                 "pending": "E7E6E6", "pass": "FFFFFF"}
#: Shown where a roster left a township, village or profile value blank.
UNKNOWN = "（未填）"
UNKNOWN_VALUE = "不详"

#: The per-village table: (column, Chinese heading), in output order.
VILLAGE_COLUMNS = (("township", "乡镇(街道)"), ("village", "村(社区)"), ("candidates", "人选数"),
                   *((v, VERDICT_LABELS[v]) for v in VERDICTS),
                   ("village_findings", "村级问题"), ("awaited", "待反馈意见"), ("open_items", "未结事项"))

#: Posts that make a candidate a reserve (后备力量) rather than a member of the slate.
RESERVE_POSTS = frozenset(post for post, tags in ROLE_TAGS.items() if "后备力量" in tags)
#: The groups whose profile a report charts: (key, Chinese title). Both count passing candidates only.
PROFILE_GROUPS = (("slate", "通过审查的人选（不含后备力量）"), ("reserve", "通过审查的后备力量"))
#: The groups' short names, for column headings.
PROFILE_SHORT = {"slate": "人选", "reserve": "后备力量"}
#: Age bands (upper bound inclusive, label); the last band is open.
AGE_BANDS = ((25, "25岁及以下"), (30, "26–30岁"), (35, "31–35岁"), (40, "36–40岁"), (45, "41–45岁"),
             (50, "46–50岁"), (55, "51–55岁"), (60, "56–60岁"), (np.inf, "60岁以上"))
#: The dimensions charted per group: (profile column, Chinese title, the order of its values).
DIMENSIONS = (("age", "年龄", tuple(label for _, label in AGE_BANDS)),
              ("education", "文化程度", tuple(reversed(EDUCATION_LEVELS.values()))),
              ("sex", "性别", ("男", "女")),
              ("political_status", "政治面貌", ("中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众")))


def village_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """`township` and `village` as text with blanks shown as UNKNOWN (the village a row is counted in)."""
    return pd.DataFrame({c: as_text(frame[c]).fillna(UNKNOWN).replace("", UNKNOWN) for c in ("township", "village")},
                        index=frame.index)


def village_overview(result: VettingResult) -> pd.DataFrame:
    """One row per township and village, in order of first appearance (VILLAGE_COLUMNS): the
    candidates, their verdicts, the village's own findings (slate rules), the agency answers
    still owed for its candidates (one per agency and person), and its open items: candidates
    to review or awaiting an answer plus village findings that are not notices."""
    c = result.candidates
    keys = village_keys(c)
    order = keys.drop_duplicates().reset_index(drop=True)
    counts = pd.crosstab([keys["township"], keys["village"]], as_text(c["verdict"])) if len(c) else None
    table = order.copy()
    at = pd.MultiIndex.from_frame(order)
    table["candidates"] = _count(keys.groupby(["township", "village"]).size(), at)
    for verdict in VERDICTS:
        has = counts is not None and verdict in counts
        table[verdict] = _count(counts[verdict], at) if has else 0
    v = result.villages if result.villages is not None else pd.DataFrame(columns=["township", "village", "severity"])
    vkeys = village_keys(v) if len(v) else pd.DataFrame(columns=["township", "village"])
    table["village_findings"] = _count(vkeys.groupby(["township", "village"]).size(), at)
    owed = result.findings.loc[result.findings["rule"].eq("J01"), "row_id"].to_numpy()
    table["awaited"] = _count(keys.set_axis(c["row_id"].to_numpy()).loc[owed].groupby(["township", "village"]).size(), at)
    serious = vkeys[v["severity"].ne("notice").to_numpy()] if len(v) else vkeys
    table["open_items"] = table["review"] + table["pending"] + _count(serious.groupby(["township", "village"]).size(), at)
    return table[[column for column, _ in VILLAGE_COLUMNS]]


def _count(counts: pd.Series, at: pd.MultiIndex) -> np.ndarray:
    if counts.empty:
        return np.zeros(len(at), dtype=np.int64)
    return counts.reindex(at).fillna(0).astype("int64").to_numpy()


def profile_group(result: VettingResult, group: str) -> pd.DataFrame:
    """The profile rows of a PROFILE_GROUPS group: passing candidates on a reserve post
    (`reserve`) or on any other post (`slate`)."""
    c, p = result.candidates, result.profile
    if p is None or p.empty or c.empty:
        return pd.DataFrame(columns=p.columns if p is not None else [])
    reserve = as_text(c["role"]).isin(RESERVE_POSTS).to_numpy()
    passing = as_text(c["verdict"]).eq("pass").to_numpy()
    chosen = c.loc[passing & (reserve if group == "reserve" else ~reserve), "row_id"]
    return p[p["row_id"].isin(chosen)]


def band_labels(ages: pd.Series) -> pd.Series:
    """Each age's AGE_BANDS label (UNKNOWN_VALUE when the age is not known)."""
    bounds = np.array([bound for bound, _ in AGE_BANDS])
    labels = np.array([label for _, label in AGE_BANDS], dtype=object)
    values = ages.to_numpy(dtype=float)
    at = np.searchsorted(bounds, np.nan_to_num(values, nan=0.0), side="left")
    return pd.Series(np.where(np.isnan(values), UNKNOWN_VALUE, labels[np.minimum(at, len(labels) - 1)]),
                     index=ages.index, dtype=object)


def distribution(values: pd.Series, order: tuple[str, ...]) -> pd.DataFrame:
    """Counts and shares of each value (label, count, share), in `order`, then any other value
    seen, then UNKNOWN_VALUE for blanks; a label of `order` nobody has is kept with 0."""
    text = as_text(values).fillna(UNKNOWN_VALUE).replace("", UNKNOWN_VALUE)
    counts = text.value_counts()
    seen = [label for label in counts.index if label not in order and label != UNKNOWN_VALUE]
    labels = [*order, *sorted(seen)] + ([UNKNOWN_VALUE] if UNKNOWN_VALUE in counts else [])
    count = counts.reindex(labels).fillna(0).astype("int64")
    total = int(count.sum())
    share = count / total if total else count.astype(float)
    return pd.DataFrame({"label": labels, "count": count.to_numpy(), "share": share.to_numpy()})


def dimension_values(profile: pd.DataFrame, dimension: str) -> pd.Series:
    """The values a DIMENSIONS chart counts: age bands for `age`, the profile's labels otherwise."""
    return band_labels(profile["age"]) if dimension == "age" else profile[dimension]


def target_summary(profile: pd.DataFrame, target: dict[str, Any]) -> dict[str, Any]:
    """How a group meets a declared target: the label (e.g. 35周岁及以下, 大专及以上), how many
    of those whose value is known meet it, the share, and which chart labels count towards it."""
    value = target["value"]
    if target["dimension"] == "age":
        known = profile["age"].dropna()
        meets = known.le(value) if target["op"] == "le" else known.ge(value)
        label = f"{value:g}周岁及以下" if target["op"] == "le" else f"{value:g}周岁及以上"
        counted = [lab for bound, lab in AGE_BANDS if (bound <= value if target["op"] == "le" else bound > value)]
    else:
        levels = as_text(profile["education"]).map(EDUCATION_LEVEL_BY_LABEL).dropna()
        known, meets = levels, (levels.ge(value) if target["op"] == "ge" else levels.le(value))
        name = EDUCATION_LEVELS.get(int(value), str(value))
        label = f"{name}及以上" if target["op"] == "ge" else f"{name}及以下"
        counted = [lab for lvl, lab in EDUCATION_LEVELS.items() if (lvl >= value if target["op"] == "ge" else lvl <= value)]
    meeting = int(meets.sum())
    return {"label": label, "meeting": meeting, "known": int(len(known)),
            "share": meeting / len(known) if len(known) else None, "counted": counted,
            "parameter": target["parameter"], "description": target["description"]}


def average_age(profile: pd.DataFrame) -> float | None:
    """The mean age of those whose age is known, one decimal; None when nobody's is."""
    ages = profile["age"].dropna()
    return round(float(ages.mean()), 1) if len(ages) else None


def profile_table(result: VettingResult, dimension: str) -> pd.DataFrame:
    """One DIMENSIONS dimension for every PROFILE_GROUPS group side by side: the value (headed
    by the dimension's title), then per group its count and share ("人选人数", "人选占比", …)."""
    order = next(values for name, _, values in DIMENSIONS if name == dimension)
    parts = []
    for key, _ in PROFILE_GROUPS:
        dist = distribution(dimension_values(profile_group(result, key), dimension), order)
        short = PROFILE_SHORT[key]
        parts.append(dist.set_index("label").rename(columns={"count": f"{short}人数", "share": f"{short}占比"}))
    table = pd.concat(parts, axis=1).fillna(0)
    counts = [f"{PROFILE_SHORT[key]}人数" for key, _ in PROFILE_GROUPS]
    table[counts] = table[counts].astype("int64")
    return table.rename_axis(next(title for name, title, _ in DIMENSIONS if name == dimension)).reset_index()


def target_texts(result: VettingResult) -> list[str]:
    """One sentence per declared target and group: how many meet it, of how many known, the
    share, and the pack's parameter it comes from."""
    lines = []
    for key, title in PROFILE_GROUPS:
        profile = profile_group(result, key)
        for target in (t for t in result.targets if t["group"] == key):
            met = target_summary(profile, target)
            lines.append(f"{title}：{met['label']} {met['meeting']} 人，占已知 {met['known']} 人的 "
                         f"{percent(met['share'])}（规则集参数 {met['parameter']}：{met['description']}）")
    return lines


def percent(share: float | None) -> str:
    """A share as a Chinese report writes it: one decimal and a percent sign ("—" when unknown)."""
    if share is None or pd.isna(share):
        return "—"
    return f"{share * 100:.1f}%"
