"""The column-wide byte checks (vetting.textbytes) never rule out a column that holds what is
looked for, and the text passes built on them change the same texts as before."""

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.privacy import ID_RUN, MIN_DIGITS, mask_text, mask_text_series
from vetting.reports.common import neutralise_formula
from vetting.textbytes import in_one_chunk, may_hold, may_hold_digits, repeated_texts, starts_with_byte, stored_arrow
from vetting.textsafe import _TRIGGERS, CSV_FORBIDDEN, XLSX_FORBIDDEN, replace_series, replace_text

cells = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(
    list("张三李0123456789０１９ -·\u00a0\u3000\uff0d\n\r\t\x00\x07\x1b\x7f\x85\x9f\ufffe\uffffXx")), max_size=30)),
    min_size=1, max_size=20)


def _columns(values):
    """The values as a plain array, a chunked array, and a slice of a larger array."""
    whole = pa.array(["前缀\x00\n0123456789"] + values + ["后缀\x1b"], type=pa.string())
    return [pa.array(values, type=pa.string()), pa.chunked_array([pa.array(values[:1], type=pa.string()),
                                                                   pa.array(values[1:], type=pa.string())]),
            whole.slice(1, len(values))]


@settings(max_examples=300, deadline=None)
@given(cells)
def test_a_column_ruled_out_holds_none_of_it(values):
    present = [v for v in values if v is not None]
    for column in _columns(values):
        if not may_hold(column, b"\n", b"\r"):
            assert not any("\n" in v or "\r" in v for v in present)
        for pattern, (needles, delete) in _TRIGGERS.items():
            if not may_hold(column, *needles, delete=delete):
                assert not any(re.search(pattern, v) for v in present)
        if not may_hold_digits(column, MIN_DIGITS):
            assert not any(re.search(ID_RUN, v) for v in present)


@settings(max_examples=200, deadline=None)
@given(cells)
def test_masking_and_cleaning_a_column_change_each_text_as_alone(values):
    _each_text_as_alone(pd.Series(values, dtype="string"), values)


def _each_text_as_alone(column, values):
    """Masking and cleaning `column` change each of its `values` as `mask_text` / `replace_text` would."""
    masked = mask_text_series(column)
    assert [None if pd.isna(v) else v for v in masked] == [None if v is None else mask_text(v) for v in values]
    for pattern in (CSV_FORBIDDEN, XLSX_FORBIDDEN):
        cleaned, changed = replace_series(column, pattern)
        expected = [None if v is None else replace_text(v, pattern) for v in values]
        assert [None if pd.isna(v) else v for v in cleaned] == expected
        assert changed == sum(e != v for e, v in zip(expected, values) if v is not None)


def test_a_column_that_is_not_text_is_never_ruled_out():
    assert may_hold(pa.array([1, 2]), b"\n") and may_hold_digits(pa.array([1.5]), 14)


starting = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("=+-@\t\r张a 1'")), max_size=4)),
                    min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(starting, st.booleans())
def test_starts_with_byte_is_exact_per_cell(values, large):
    """Exact, not only a superset: `neutralise_formula` skips a column on its word."""
    for column in _columns(values):
        column = column.cast(pa.large_string()) if large else column
        expected = any(v is not None and v[:1] in ("=", "+", "-", "@", "\t", "\r") for v in values)
        assert starts_with_byte(column, b"=+-@\t\r") == expected


@settings(max_examples=100, deadline=None)
@given(starting)
def test_neutralising_an_arrow_column_prefixes_the_same_cells(values):
    arrow, plain = pd.Series(values, dtype="str"), pd.Series(values, dtype=object)
    assert [None if pd.isna(v) else v for v in neutralise_formula(arrow)] == \
        [None if v is None else neutralise_formula(v) for v in plain]


def test_a_null_cell_whose_slot_holds_bytes_is_not_read():
    data = pa.array(["=x", "ab"], type=pa.string())
    nulled = pa.Array.from_buffers(pa.string(), 2, [pa.py_buffer(bytes([0b10])), *data.buffers()[1:]])
    assert nulled.to_pylist() == [None, "ab"] and not starts_with_byte(nulled, b"=")


id_like = st.builds(lambda head, groups, seps, tail: head + "".join(g + s for g, s in zip(groups, seps)) + tail,
                    st.text(alphabet=st.sampled_from(list("第行张a -·")), max_size=4),
                    st.lists(st.text(alphabet=st.sampled_from(list("0123456789０９")), min_size=1, max_size=6),
                             min_size=1, max_size=8),
                    st.lists(st.sampled_from(["", "", " ", "-", "\u00a0", "\u3000", "\uff0d", "  ", "、"]), min_size=8,
                             max_size=8),
                    st.text(alphabet=st.sampled_from(list("列X x")), max_size=3))


@settings(max_examples=400, deadline=None)
@given(st.lists(id_like, min_size=1, max_size=5))
def test_digit_runs_with_separators_are_never_ruled_out(values):
    for column in _columns(values):
        if any(re.search(ID_RUN, v) for v in values):
            assert may_hold_digits(column, MIN_DIGITS)



@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["公安：110105194912310021", "甲 110105-19491231-002X", "第2行\x1b"]),
                          st.text(alphabet=st.sampled_from(list("张0123456789 -\x00\x1bX")), max_size=24)),
                min_size=1, max_size=6),
       st.integers(0, 2**32 - 1), st.sampled_from(["str", "string"]))
def test_a_long_column_of_a_few_texts_is_masked_and_cleaned_as_each_text(texts, seed, dtype):
    """Over 2,048 rows of a few distinct texts the passes work per distinct text (`repeated_texts`)."""
    values = [texts[p] for p in np.random.default_rng(seed).integers(0, len(texts), 2100)]
    _each_text_as_alone(pd.Series(values, dtype=dtype), values)


def test_repeated_texts_codes_rows_across_chunks_and_nulls():
    column = pa.chunked_array([pa.array(["甲", None, "乙"] * 800), pa.array(["丙", "甲"] * 600)])
    codes, labels = repeated_texts(column)
    assert [None if c < 0 else labels[c] for c in codes] == column.to_pylist()
    assert repeated_texts(pa.array([str(i) for i in range(5000)])) is None


def test_text_columns_come_in_one_chunk_with_their_values():
    parts = [pd.DataFrame({"row_id": [i, i + 1], "reason": pd.array(["甲", None], dtype="str"),
                           "rule": ["J01", "J01"]}) for i in range(0, 6, 2)]
    frame = pd.concat(parts, ignore_index=True)
    assert stored_arrow(frame["reason"]).num_chunks == 3              # as concat leaves it
    whole = in_one_chunk(frame)
    assert stored_arrow(whole["reason"]).num_chunks == 1
    pd.testing.assert_frame_equal(whole, frame)
    assert in_one_chunk(whole) is whole                                # nothing to combine: as it is
