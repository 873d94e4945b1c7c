"""Texts joined per key (a candidate's rules, the agencies they wait for, their findings' lines):
``groupby(keys).agg(sep.join)`` without a Python call per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.textbytes import as_text

#: Up to this many values join_by groups in Python: Arrow's group-by loads its query engine
#: (pyarrow.acero, ~0.1 s) for what is a handful of rows in `vet check`.
SMALL_JOIN = 256


def join_by(keys: pd.Series, values: pd.Series, sep: str = "\n") -> pd.Series:
    """Text `values` joined with `sep` per key, in order of appearance, indexed by key (NA
    where one of a key's values is): ``groupby(keys).agg(sep.join)`` done in one Arrow kernel
    instead of a Python call per group (the same, in Python, for at most SMALL_JOIN values;
    categorical values by their codes, `_join_codes`)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and len(values) > SMALL_JOIN and len(values):
        return _join_codes(keys, values, sep)
    text = pa.array(as_text(values), from_pandas=True)
    key_array = pa.array(keys.to_numpy())
    if len(text) <= SMALL_JOIN:
        groups: dict = {}
        for key, value in zip(key_array.to_pylist(), text.to_pylist()):
            groups.setdefault(key, []).append(value)
        joined = pa.chunked_array([pa.array([None if None in parts else sep.join(parts) for parts in groups.values()],
                                            type=text.type)])
        unique = pa.chunked_array([pa.array(list(groups), type=key_array.type)])
    else:
        grouped = pa.table({"key": key_array, "value": text}).group_by("key", use_threads=False).aggregate(
            [("value", "list")])
        joined, unique = pc.binary_join(grouped["value_list"], pa.scalar(sep, text.type)), grouped["key"]
    out = joined.to_pandas()
    out.index = pd.Index(unique.to_numpy())
    return out


def _join_codes(keys: pd.Series, values: pd.Series, sep: str) -> pd.Series:
    """`join_by` of categorical values (the agencies a candidate waits for): each key's sequence of
    codes made one number (its codes side by side in the bits of an integer, or numbered position
    by position when too long for one), and each distinct sequence joined once (a few, where the
    group-by joins a text per key)."""
    key_at, unique = pd.factorize(keys.to_numpy())            # keys in order of appearance
    order = np.argsort(key_at, kind="stable")
    group, digits = key_at[order], values.cat.codes.to_numpy().astype(np.int64)[order] + 2   # missing: 1
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, len(group)])
    position = np.arange(len(group)) - np.repeat(starts, lengths)
    labels = np.asarray(values.cat.categories, dtype=object)
    bits = (len(labels) + 1).bit_length()
    if int(lengths.max(initial=0)) * bits <= 62:
        sequence = np.add.reduceat(digits << (bits * position), starts)
    else:
        owner, sequence = np.repeat(np.arange(len(starts)), lengths), np.zeros(len(starts), dtype=np.int64)
        for p in range(int(lengths.max())):
            at = position == p
            sequence[owner[at]] = pd.factorize(sequence[owner[at]] * (len(labels) + 2) + digits[at])[0] + 1
        sequence = sequence * (int(lengths.max()) + 1) + lengths
    which = pd.factorize(sequence)[0]
    texts = []
    for g in np.unique(which, return_index=True)[1]:
        own = digits[starts[g]:starts[g] + lengths[g]] - 2
        texts.append(None if (own < 0).any() else sep.join(labels[own]))
    out = pa.array(texts, type=pa.large_string()).take(pa.array(which)).to_pandas()
    out.index = pd.Index(unique)
    return out
