"""Vectorised clean-up of free text and person names (NFKC, spaces, empties)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.textbytes import stored_arrow

_SPACES = r"[\s\p{Z}]+"
_INVISIBLE = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}]"
_NAME_DOTS = r"[•・･‧∙⋅.]"


def arrow_text(s: pd.Series) -> pa.Array:
    """Cells as a pyarrow string array, NFKC-normalised and stripped, null for NA.

    Shared first step of every parser: non-string cells (numbers, timestamps) become their
    ``str()`` text so that later steps can recognise them, e.g. an ID stored as a float.
    """
    return per_distinct(_as_arrow(s), _normalised)


def per_distinct(arr: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` (text -> text, cell by cell) applied once per distinct text and spread back: roster
    columns repeat (villages, posts, 无, dates), and the regexes and Unicode steps cost per cell.
    A column of mostly distinct texts (names, ID numbers) is done cell by cell."""
    encoded = pc.dictionary_encode(arr)
    if 2 * len(encoded.dictionary) > len(arr):
        return fn(arr)
    return fn(encoded.dictionary).take(encoded.indices)


def _as_arrow(s: pd.Series) -> pa.Array:
    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        s = s.astype("string[pyarrow]")
    arr = pa.array(s.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _normalised(arr: pa.Array) -> pa.Array:
    arr = apply_where(arr, pc.invert(pc.string_is_ascii(arr)),
                      lambda a: pc.replace_substring_regex(a, _INVISIBLE, ""))
    return pc.utf8_trim_whitespace(pc.utf8_normalize(arr, "NFKC"))


def apply_where(arr: pa.Array, mask: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` applied only to the rows where ``mask`` holds, other rows unchanged.

    Costly steps (regexes) run on the few rows that need them, which keeps 10^6-row columns fast.
    """
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return arr
    return pc.replace_with_mask(arr, mask, fn(arr.filter(mask)))


def blank_mask(s: pd.Series) -> np.ndarray:
    """Where a text column is empty, whitespace only or NA (booleans): a roster's own cells are
    tested in Arrow directly (what pandas' ``.str.strip() == ""`` does, without its steps)."""
    text = stored_arrow(s)
    if text is not None:
        trimmed = pc.utf8_trim_whitespace(text)
        return np.array(pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
    return (s.astype("string").fillna("").str.strip() == "").to_numpy(dtype=bool)


def to_series(arr: pa.Array, index: pd.Index) -> pd.Series:
    """A pyarrow string array as a pandas "string" Series on ``index`` (empty text becomes NA)."""
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    return pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string())), index=index, copy=False)


def clean_text(s: pd.Series) -> pd.Series:
    """NFKC (full-width to half-width), strip, and collapse inner whitespace runs to one space.

    Roster cells are typed by hand: this makes equal texts compare equal. Empty becomes NA.
    """
    return to_series(per_distinct(_as_arrow(s), _cleaned), s.index)


def clean_name(s: pd.Series) -> pd.Series:
    """Like clean_text but with all whitespace removed ("张 三" -> "张三").

    Chinese names are often padded to align two-character names; the separator dot of
    minority names is kept and its look-alikes ("•", "・", ".") are unified to "·".
    """
    return to_series(per_distinct(_as_arrow(s), _cleaned_name), s.index)


def _cleaned(arr: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(_normalised(arr), _SPACES, " "))


def _cleaned_name(arr: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.replace_substring_regex(_normalised(arr), _SPACES, ""), _NAME_DOTS, "·")
