"""A village's slate as the rules across candidates read it: who is surely (or possibly) on a
rule's slate, one key per village, each person once, the members named in a village finding, and
the values a village declares on its rows (村委会职数, 人数较少的民族)."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from vetting.normalize.roles import roles_match
from vetting.ruleset.model import GroupRule

MEMBERS_SHOWN = 20
#: What separates the values a village lists in one cell ("回族、苗族", "回族,苗族").
_LIST_BREAK = re.compile(r"[、,，;；/／\s]+")
#: A listed value meaning "none" (a single-ethnic village, or nothing to declare).
_NONE = frozenset({"无", "否", "没有", "-", "—", "／", "/", "不适用", "单一民族"})


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as nullable text, or all-NA when the run has no such column (a categorical column,
    as a streamed run's index keeps villages and roles, is expanded from its categories once)."""
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    column = frame[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = pd.array(column.cat.categories.astype(str), dtype="string")
        return pd.Series(labels.take(column.cat.codes.to_numpy(), allow_fill=True), index=frame.index)
    return column.astype("string")


def where_text(frame: pd.DataFrame) -> pd.Series:
    """'file 第N行' per row: how a finding names a person's row."""
    return frame["source_file"].astype(str) + " 第" + frame["source_row"].astype(str) + "行"


def slate_rows(roles: Iterable[str], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows surely on the slate of `roles` (every placed row when no role is named), and rows that
    may be (placed, role blank or unreadable)."""
    roles = tuple(roles)
    placed = text_column(frame, "village").notna().to_numpy(dtype=bool)
    if not roles:
        return placed, np.zeros(len(frame), dtype=bool)
    role = text_column(frame, "role")
    return placed & roles_match(role, roles).to_numpy(dtype=bool), placed & role.isna().to_numpy(dtype=bool)


def slate(rule: GroupRule, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows surely on the rule's slate, and rows that may be (role blank or unreadable)."""
    return slate_rows(rule.roles, frame)


#: A streamed run's index keeps each village as an integer code and each valid ID number as an integer.
VILLAGE_CODE, ID_KEY = "village_code", "id_key"


def _codes(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A text column as integer codes (first-seen order), blank and missing as one value."""
    column = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    if isinstance(column.dtype, pd.CategoricalDtype):
        blank = column.cat.categories.get_indexer([""])[0]
        codes = column.cat.codes.to_numpy().astype(np.int64)
        return np.where(codes < 0, blank, codes)
    return pd.factorize(column.astype("string").fillna(""))[0].astype(np.int64)


def village_codes(frame: pd.DataFrame) -> np.ndarray:
    """One integer per village, township and village together (two 新村 in two townships differ),
    numbered in order of first appearance."""
    township, village = _codes(frame, "township"), _codes(frame, "village")
    pair = (township + 1) * (int(village.max(initial=-1)) + 2) + village + 1
    return pd.factorize(pair)[0].astype(np.int32)


def village_key(frame: pd.DataFrame) -> pd.Series:
    """One key per village (an integer; see village_codes), indexed as `frame`."""
    if VILLAGE_CODE in frame:
        return frame[VILLAGE_CODE]
    return pd.Series(village_codes(frame), index=frame.index)


def valid_ids(frame: pd.DataFrame) -> pd.Series | None:
    """Each row's valid ID number (missing for a blank or invalid one), or None when the run has none."""
    if ID_KEY in frame:
        return frame[ID_KEY]
    if "id_number" not in frame or "id_status" not in frame:
        return None
    return frame["id_number"].where(frame["id_status"] == "valid")


def id_keys(frame: pd.DataFrame) -> pd.Series:
    """A valid ID number as an integer (its first 17 digits, which fix the check character), else missing."""
    ids = valid_ids(frame)
    if ids is None:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return ids.astype("string").str.slice(0, 17).astype("Int64")


def repeated_people(frame: pd.DataFrame) -> np.ndarray:
    """Second and later occurrences of a valid ID number: one person counts once on a slate."""
    ids = valid_ids(frame)
    if ids is None:
        return np.zeros(len(frame), dtype=bool)
    return (ids.notna() & ids.duplicated()).to_numpy(dtype=bool)


def number(x: float) -> str:
    """A count or bound as people write it: 3, not 3.0."""
    return str(int(x)) if float(x).is_integer() else str(x)


def joined(keys: pd.Series, texts: pd.Series, separator: str = "、") -> pd.Series:
    """Per key (first-seen order): its texts joined in row order, by one reduction over the rows
    sorted by key rather than a Python call per key."""
    codes, uniques = pd.factorize(keys)
    if not len(codes):
        return pd.Series([], index=pd.Index([]), dtype=object)
    order = np.argsort(codes, kind="stable")
    grouped = codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    separators = np.full(len(order), separator, dtype=object)
    separators[starts] = ""
    values = np.add.reduceat(separators + texts.to_numpy(dtype=object)[order], starts)
    return pd.Series(values, index=pd.Index(uniques)[grouped[starts]], dtype=object)


def members(table: pd.DataFrame, keys: pd.Index, frame: pd.DataFrame) -> pd.Series:
    """'张三（文件 第N行）、…' for the slate of each flagged village (first MEMBERS_SHOWN, then 等);
    only the members named are labelled (a province's roster is not)."""
    on_slate = table[table["total"] & table["key"].isin(keys)]
    position = on_slate.groupby("key", sort=False).cumcount().to_numpy()
    shown = on_slate[position < MEMBERS_SHOWN]
    named = frame.loc[shown.index]
    shown = shown.assign(label=(text_column(named, "name").fillna("（无姓名）") + "（" + where_text(named) + "）"
                                ).to_numpy())
    more = pd.Series(position >= MEMBERS_SHOWN, index=on_slate.index).groupby(on_slate["key"]).any()
    return joined(shown["key"], shown["label"]).reindex(keys) + np.where(more.reindex(keys, fill_value=False), "等", "")


def tally(rule: GroupRule, frame: pd.DataFrame, true: np.ndarray, known: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per row (slate membership, indexed as `frame`) and per village: how many slate members surely
    (`definite`) and possibly (`possible`) meet a condition whose value is `true` where `known`, and the slate size."""
    sure, maybe = slate(rule, frame)
    placed = text_column(frame, "village").notna().to_numpy(dtype=bool) & ~repeated_people(frame)
    table = pd.DataFrame({
        "key": village_key(frame).to_numpy(), "row": np.arange(len(frame)),
        "definite": sure & true & known, "possible": (sure | maybe) & (true | ~known), "total": sure,
    }, index=frame.index)[placed]
    villages = table.groupby("key", sort=False).agg(
        first=("row", "first"), definite=("definite", "sum"), possible=("possible", "sum"), total=("total", "sum"))
    named = frame.iloc[villages.pop("first").to_numpy()]
    villages.insert(0, "township", text_column(named, "township").array)
    villages.insert(1, "village", text_column(named, "village").array)
    return table.drop(columns="row"), villages


def place(villages: pd.DataFrame) -> pd.Series:
    """'乡镇村' per village, as reasons and summaries name it."""
    return villages["township"].fillna("") + villages["village"].fillna("")


def count_text(villages: pd.DataFrame) -> pd.Series:
    """'3' or, when some members' role or facts are unknown, '2~3'."""
    count = villages["definite"].astype(int).astype(str)
    return count.where(villages["definite"] == villages["possible"],
                       count + "~" + villages["possible"].astype(int).astype(str))


def declared(frame: pd.DataFrame, name: str, keys: pd.Series) -> pd.Series:
    """Per village key: the distinct values its rows declare in a village-level column (a tuple in
    first-seen order; a cell may list several, "回族、苗族"; "无" declares none)."""
    cells = pd.DataFrame({"key": keys, "value": text_column(frame, name)}).dropna().drop_duplicates()
    out: dict[str, dict[str, None]] = {}
    for key, value in zip(cells["key"], cells["value"]):   # one per village and distinct text
        items = out.setdefault(key, {})
        items.update((i, None) for i in _LIST_BREAK.split(str(value).strip()) if i and i not in _NONE)
    return pd.Series({k: tuple(v) for k, v in out.items()}, dtype=object)


LISTED_SHOWN = 10


def listing(values: tuple) -> str:
    """'回族、东乡族' naming at most LISTED_SHOWN values, then how many there are in all."""
    shown = "、".join(values[:LISTED_SHOWN])
    return shown + (f"等{len(values)}个" if len(values) > LISTED_SHOWN else "")


def ethnic_key(values: pd.Series) -> pd.Series:
    """An ethnic group's name compared without spaces and a final 族 ("回族" and "回" are one group);
    worked out once per distinct text."""
    codes, uniques = pd.factorize(values.astype("string"))
    cleaned = [re.sub(r"\s+", "", str(u)) for u in uniques]
    cleaned = [c[:-1] if c.endswith("族") and len(c) > 1 else c for c in cleaned]
    table = pd.array([*cleaned, pd.NA], dtype="string")
    return pd.Series(table.take(np.where(codes < 0, len(cleaned), codes)), index=values.index)
