"""ID-number masking: the one place that decides what a masked ID looks like and which digit
runs in free text count as ID numbers. Reports, evidence, the run history and stderr all call it.

An ID value keeps its first 6 and last 4 characters ("510525********123X"); a value of 10
characters or fewer is starred entirely, since keeping 6 + 4 of it would hide nothing. In free
text, every run of 15 or more digits (ASCII or full-width, the last one may be X), whatever
stands before or after it ("编号1234567890123456", "ID510525…"), is masked the same way. Mask
before cutting a text: a cut through a number would leave digits the mask no longer finds.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DIGIT = "0-9\uff10-\uff19"
#: A digit run long enough to be an ID number (15-digit old form, 18-character new form, or a
#: typo of either); written so that Python's re and Arrow's RE2 read it alike.
ID_RUN = f"[{_DIGIT}]{{14,}}[{_DIGIT}Xx\uff38\uff58]"
_ID_RUN = re.compile(ID_RUN)
KEEP_HEAD, KEEP_TAIL = 6, 4


def mask_id(value: Any) -> Any:
    """One ID value masked (keep 6 + 4, star the middle); None and NA pass through."""
    if not isinstance(value, str):
        return value
    if len(value) <= KEEP_HEAD + KEEP_TAIL:
        return "*" * len(value)
    return value[:KEEP_HEAD] + "*" * (len(value) - KEEP_HEAD - KEEP_TAIL) + value[-KEEP_TAIL:]


def mask_text(text: Any) -> Any:
    """Free text with every ID-like digit run masked; non-text passes through."""
    if not isinstance(text, str):
        return text
    return _ID_RUN.sub(lambda m: mask_id(m.group(0)), text)


def mask_id_series(s: pd.Series) -> pd.Series:
    """`mask_id` over a column of ID values (NA kept)."""
    text = s.astype("str")
    lengths = text.str.len()
    out = text.copy()
    for length in lengths.dropna().unique():
        length = int(length)
        same = (lengths == length).to_numpy()
        out[same] = ("*" * length if length <= KEEP_HEAD + KEEP_TAIL
                     else text[same].str.slice_replace(KEEP_HEAD, length - KEEP_TAIL,
                                                       "*" * (length - KEEP_HEAD - KEEP_TAIL)))
    return out


def mask_text_series(s: pd.Series) -> pd.Series:
    """`mask_text` over a text column: the rows holding a digit run are found in one Arrow pass,
    only those are rewritten (a report's millions of reasons mostly hold none)."""
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or s.empty:
        return s
    text = pa.array(s.astype("str"), from_pandas=True, type=pa.large_string())
    hits = pc.fill_null(pc.match_substring_regex(text, ID_RUN), False).to_numpy(zero_copy_only=False)
    if not hits.any():
        return s
    values = s.to_numpy(dtype=object, copy=True)
    values[hits] = [mask_text(v) for v in values[hits]]
    return pd.Series(values, index=s.index, dtype=s.dtype, name=s.name)


def mask_tree(value: Any, keep: frozenset[str] = frozenset({"sha256", "id_key_id"})) -> Any:
    """A JSON-like structure (dicts, lists, text, numbers) with ID-like runs masked in every
    string, every key and every integer long enough to be an ID number (which becomes masked
    text), except the values under keys in `keep` (digests are not ID numbers)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = str(value)
        return mask_text(text) if _ID_RUN.search(text) else value
    if isinstance(value, dict):
        return {mask_text(k): (v if k in keep else mask_tree(v, keep)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_tree(v, keep) for v in value]
    return value


_TRAILING_RUN = re.compile(f"[{_DIGIT}Xx\uff38\uff58]+$")
_LEADING_RUN = re.compile(f"^[{_DIGIT}Xx\uff38\uff58]")


def cut_text(text: str, limit: int, ellipsis: str = "") -> str:
    """`text` cut to `limit` characters without splitting a digit run: a cut through a number
    drops the whole number from the quote, so no fragment escapes `mask_text` later."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    if _LEADING_RUN.match(text[limit:]):
        head = _TRAILING_RUN.sub("", head)
    return head + ellipsis


def cut_text_series(s: pd.Series, limit: int) -> pd.Series:
    """`cut_text` over a text column (NA kept); only the rows longer than `limit` are touched."""
    text = s.astype("string")
    long = (text.str.len() > limit).fillna(False).to_numpy(dtype=bool)
    if not long.any():
        return text
    out = text.copy()
    out[long] = [cut_text(v, limit) for v in text[long]]
    return out
