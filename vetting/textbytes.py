"""The bytes behind a pyarrow text column, searched at once: a check that must find a rare
character (a line break inside a cell, a control character, the digits of an ID number) can rule
a whole column out with a memchr over its bytes instead of a search cell by cell. UTF-8 never
uses a byte below 0x80 inside a multi-byte character, so an ASCII byte found is that character.
Also here: text columns as pandas' Arrow strings (`as_text`), categorical ones expanded by Arrow
(`category_text`, `spread`)."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DIGITS = b"0123456789"
_FULLWIDTH_DIGIT_LEAD = b"\xef\xbc"       # U+FF10-FF19 (and other full-width forms: a superset)


def column_bytes(arr: pa.Array | pa.ChunkedArray) -> Iterator[bytes] | None:
    """The bytes behind each chunk of a text column (a superset of its cells' bytes when the
    chunk is a slice), or None when the column is not text."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return (c.buffers()[2].to_pybytes() for c in chunks if c.buffers()[2] is not None)


def stored_arrow(column: Any) -> pa.ChunkedArray | None:
    """The Arrow text a pandas column holds when its dtype is pandas' string dtype stored in Arrow
    ("str" in pandas 3), shared, not copied; None for a column held any other way."""
    if getattr(column.dtype, "storage", None) != "pyarrow":
        return None
    return column.array.__arrow_array__()


def as_text(s: pd.Series) -> pd.Series:
    """`s` as pandas' default string dtype ("str", NA kept as missing)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is not pd.NA:
        return s
    text = category_text(s)
    return s.astype("str") if text is None else pd.Series(pd.array(text, dtype="str"), index=s.index)


def category_text(column: Any) -> pa.Array | None:
    """A categorical text column (a finding's rule, name, severity, basis) as Arrow text, NA as
    null (`spread`: pandas' astype goes through a Python string per row, several times slower);
    None for a column that is not categorical text."""
    if not isinstance(column.dtype, pd.CategoricalDtype) or not pd.api.types.is_string_dtype(column.cat.categories):
        return None
    labels = pa.array(np.asarray(column.cat.categories, dtype=object), type=pa.large_string())
    return spread(labels, column.cat.codes.to_numpy())


def spread(texts: pa.Array, at: np.ndarray) -> pa.Array:
    """`texts[at]` (null where `at` < 0) as large text, by Arrow's dictionary cast: a take of large
    text copies long texts several times slower (22 against 5 ms for 220,000 cells of 50 reasons)."""
    indices = pa.array(at.astype(np.int32, copy=False), mask=at < 0 if (at < 0).any() else None)
    return pa.DictionaryArray.from_arrays(indices, texts.cast(pa.large_string())).cast(pa.large_string())


def in_one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each Arrow text column held in one chunk. pyarrow's take of a chunked text
    column first concatenates its chunks (apache/arrow#39565): 45 MB of reasons copied for every
    few rows taken from a slice's findings. Combined once, later takes copy only what they take."""
    chunked = {name: text.combine_chunks() for name in frame.columns
               if (text := stored_arrow(frame[name])) is not None and text.num_chunks > 1}
    if not chunked:
        return frame
    return frame.assign(**{name: pd.array(text, dtype=frame[name].dtype) for name, text in chunked.items()})


def may_hold(arr: pa.Array | pa.ChunkedArray, *needles: bytes, delete: bytes = b"") -> bool:
    """Whether some cell of a text column may hold one of `needles` or one of the single bytes
    in `delete`: False is certain (a column that is not text may hold anything)."""
    chunks = column_bytes(arr)
    if chunks is None:
        return True
    for data in chunks:
        if any(data.find(needle) >= 0 for needle in needles):
            return True
        if delete and len(data.translate(None, delete)) != len(data):
            return True
    return False


def may_hold_digits(arr: pa.Array | pa.ChunkedArray, count: int) -> bool:
    """Whether some cell of a text column may hold `count` digits (ASCII or full-width): False
    when the whole column holds fewer ASCII digits and no full-width character."""
    chunks = column_bytes(arr)
    if chunks is None:
        return True
    for data in chunks:
        if len(data) - len(data.translate(None, _DIGITS)) >= count or _FULLWIDTH_DIGIT_LEAD in data:
            return True
    return False


def starts_with_byte(arr: pa.Array | pa.ChunkedArray, first: bytes) -> bool:
    """Whether some non-null cell of a text column starts with one of the ASCII bytes in `first`
    (True when the column is not text): each cell's first byte read at its offset, no text copied."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    wanted = np.frombuffer(first, dtype=np.uint8)
    for chunk in chunks:
        if pa.types.is_large_string(chunk.type):
            width = np.int64
        elif pa.types.is_string(chunk.type):
            width = np.int32
        else:
            return True
        if not len(chunk) or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
        filled = offsets[1:] > offsets[:-1]
        if chunk.null_count:
            filled &= chunk.is_valid().to_numpy(zero_copy_only=False)
        if np.isin(data[offsets[:-1][filled]], wanted).any():
            return True
    return False


def relabel_rows(s: pd.Series, codes: np.ndarray, labels: Sequence, changed: Sequence) -> tuple[pd.Series, int]:
    """A column given by its distinct texts (`labels`, a code per row, -1 where missing) with each
    label turned into its `changed` text (the same order): the rows whose text changes rewritten
    in a copy, and how many (the column itself and 0 when none), so that a search and rewrite runs
    once per distinct text (`repeated_texts`)."""
    moved = np.append(np.array([new != old for new, old in zip(changed, labels)], dtype=bool), False)[codes]
    if not moved.any():
        return s, 0
    out = s.copy()
    out.iloc[np.flatnonzero(moved)] = np.asarray(changed, dtype=object)[codes[moved]]
    return out, int(moved.sum())


#: Rows sampled to tell whether a text column repeats a few texts.
_SAMPLE = 1024


def repeated_texts(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list] | None:
    """A long text column made of a few texts repeated (the reasons of 200,000 findings that say
    one of a dozen things) as (a code per row, -1 where null; the distinct texts), so that a search
    runs once per distinct text; None when its first rows are mostly distinct (hashing every row
    would then cost more than it saves)."""
    if len(arr) < 2 * _SAMPLE:
        return None
    if len(pc.unique(arr.slice(0, _SAMPLE))) * 4 > _SAMPLE:
        return None
    encoded = pc.dictionary_encode(arr)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return None
    labels = chunks[0].dictionary
    if any(not c.dictionary.equals(labels) for c in chunks[1:]):
        encoded = encoded.unify_dictionaries() if isinstance(encoded, pa.ChunkedArray) else encoded
        chunks = encoded.chunks
        labels = chunks[0].dictionary
    if 2 * len(labels) > len(arr):
        return None
    codes = np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) for c in chunks])
    return codes, labels.to_pylist()
