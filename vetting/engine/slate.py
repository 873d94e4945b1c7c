"""A village's slate as the rules across candidates read it: who is surely (or possibly) on a
rule's slate, one key per village, each person once, the members named in a village finding, and
the values a village declares on its rows (村委会职数, 人数较少的民族)."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from vetting.normalize.roles import roles_match
from vetting.objarrays import repeated
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


def given(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Rows where a column holds a value (none when the run has no such column)."""
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].notna().to_numpy(dtype=bool)


def slate_rows(roles: Iterable[str], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows surely on the slate of `roles` (every placed row when no role is named), and rows that
    may be (placed, role blank or unreadable)."""
    roles = tuple(roles)
    placed = given(frame, "village")
    if not roles:
        return placed, np.zeros(len(frame), dtype=bool)
    if "role" not in frame:
        return np.zeros(len(frame), dtype=bool), placed
    role = frame["role"]        # a category of the index is matched as such, not spelt out per row
    return placed & roles_match(role, roles).to_numpy(dtype=bool), placed & role.isna().to_numpy(dtype=bool)


def slate(rule: GroupRule, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows surely on the rule's slate, and rows that may be (role blank or unreadable)."""
    return slate_rows(rule.roles, frame)


#: A streamed run's index keeps each village as an integer code, each valid ID number as an integer,
#: and whether a row repeats an earlier row's ID number (see StreamedRun).
VILLAGE_CODE, ID_KEY, REPEATED = "village_code", "id_key", "repeated"
#: Rows numbered at a time while villages are numbered (bounds the temporary arrays).
_BLOCK = 1 << 22


def _codes(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A text column as int32 codes (first-seen order for text, category order for a category),
    blank and missing as one value."""
    column = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
    if isinstance(column.dtype, pd.CategoricalDtype):
        blank = np.int32(column.cat.categories.get_indexer([""])[0])
        codes = column.cat.codes.to_numpy().astype(np.int32)
        return np.where(codes < 0, blank, codes)
    return pd.factorize(column.astype("string").fillna(""))[0].astype(np.int32)


def village_codes(frame: pd.DataFrame) -> np.ndarray:
    """One integer per village, township and village together (two 新村 in two townships differ),
    numbered in order of first appearance (int32)."""
    township, village = _codes(frame, "township"), _codes(frame, "village")
    width = int(village.max(initial=-1)) + 2
    return first_seen((township.astype(np.int64) + 1) * width + village + 1)[0]


def first_seen(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative integer keys renumbered 0, 1, … in order of first appearance (int32), and the
    first row of each number; a table as large as the largest key when that is not much larger
    than `keys`, else a hash."""
    n = len(keys)
    space = int(keys.max(initial=-1)) + 1
    if space > 4 * max(n, _BLOCK):
        codes = pd.factorize(keys)[0]
        first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0) if n else codes
        return codes.astype(np.int32), first
    first = np.full(space, n, dtype=np.int64)       # each key's first row, a block of rows at a time
    for lo in range(0, n, _BLOCK):
        np.minimum.at(first, keys[lo:lo + _BLOCK], np.arange(lo, min(n, lo + _BLOCK)))
    used = np.flatnonzero(first < n)
    order = used[np.argsort(first[used], kind="stable")]
    number = np.full(space, -1, dtype=np.int32)
    number[order] = np.arange(len(order), dtype=np.int32)
    return number[keys], first[order]


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
    if REPEATED in frame:
        return frame[REPEATED].to_numpy(dtype=bool)
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
    separators = repeated(separator, len(order))
    separators[starts] = ""
    values = np.add.reduceat(separators + texts.to_numpy(dtype=object)[order], starts)
    return pd.Series(values, index=pd.Index(uniques)[grouped[starts]], dtype=object)


def members(table: pd.DataFrame, keys: pd.Index, frame: pd.DataFrame) -> pd.Series:
    """'张三（文件 第N行）、…' for the slate of each flagged village (first MEMBERS_SHOWN, then 等);
    only the members named are labelled (a province's roster is not)."""
    on_slate = table[table["total"] & table["key"].isin(keys)]
    position = on_slate.groupby("key", sort=False).cumcount().to_numpy()
    shown = on_slate[position < MEMBERS_SHOWN]
    named = frame.iloc[shown["row"].to_numpy()]
    shown = shown.assign(label=(text_column(named, "name").fillna("（无姓名）") + "（" + where_text(named) + "）"
                                ).to_numpy())
    more = pd.Series(position >= MEMBERS_SHOWN, index=on_slate.index).groupby(on_slate["key"]).any()
    return joined(shown["key"], shown["label"]).reindex(keys) + np.where(more.reindex(keys, fill_value=False), "等", "")


def tally(rule: GroupRule, frame: pd.DataFrame, true: np.ndarray, known: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per slate row (its position `row`, `key`, `total`: surely on the slate) and per village (in
    order of first appearance): how many slate members surely (`definite`) and possibly
    (`possible`) meet a condition whose value is `true` where `known`, and the slate size."""
    sure, maybe = slate(rule, frame)
    placed = given(frame, "village") & ~repeated_people(frame)
    keys = village_key(frame).to_numpy()[placed]
    codes, first = first_seen(keys)
    rows = np.flatnonzero(placed).astype(np.int32)
    n = len(first)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask[placed]], minlength=n).astype(np.int64)

    named = frame.iloc[rows[first]]
    villages = pd.DataFrame({"township": text_column(named, "township").array,
                             "village": text_column(named, "village").array,
                             "definite": count(sure & true & known), "possible": count((sure | maybe) & (true | ~known)),
                             "total": count(sure)}, index=pd.Index(keys[first], name="key"))
    return pd.DataFrame({"row": rows, "key": keys, "total": sure[placed]}), villages


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
    cells = distinct_cells(frame, name, keys)
    out: dict[str, dict[str, None]] = {}
    for key, value in zip(cells["key"], cells["value"]):   # one per village and distinct text
        items = out.setdefault(key, {})
        items.update((i, None) for i in _LIST_BREAK.split(str(value).strip()) if i and i not in _NONE)
    return pd.Series({k: tuple(v) for k, v in out.items()}, dtype=object)


def distinct_cells(frame: pd.DataFrame, name: str, keys: pd.Series) -> pd.DataFrame:
    """(key, value) once per village key and distinct text of a column, in first-seen order (a
    categorical column is de-duplicated on its codes, before any text is made)."""
    if name not in frame:
        return pd.DataFrame({"key": keys.iloc[:0], "value": pd.Series([], dtype="string")})
    column = frame[name]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return pd.DataFrame({"key": keys, "value": text_column(frame, name)}).dropna().drop_duplicates()
    codes = column.cat.codes.to_numpy()
    pairs = pd.DataFrame({"key": keys.to_numpy(), "code": codes})[codes >= 0].drop_duplicates()
    labels = pd.array(column.cat.categories.astype(str), dtype="string")
    return pd.DataFrame({"key": pairs["key"], "value": labels.take(pairs["code"].to_numpy())}, index=pairs.index)


LISTED_SHOWN = 10


def listing(values: tuple) -> str:
    """'回族、东乡族' naming at most LISTED_SHOWN values, then how many there are in all."""
    shown = "、".join(values[:LISTED_SHOWN])
    return shown + (f"等{len(values)}个" if len(values) > LISTED_SHOWN else "")


def ethnic_groups(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each value's ethnic group as a code into the returned names (-1: none), a name compared
    without spaces and a final 族 ("回族" and "回" are one group); worked out once per distinct text
    (a categorical column: per category)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values.astype("string"))
    cleaned = [re.sub(r"\s+", "", str(u)) for u in uniques]
    cleaned = [c[:-1] if c.endswith("族") and len(c) > 1 else c for c in cleaned]
    names, position = pd.factorize(pd.Index(cleaned, dtype=object))
    table = np.append(names, -1)
    return table[np.where(codes < 0, len(cleaned), codes)], list(position)
