"""The roster-region checks (vetting.inputs.region) skip work - columns whose bytes cannot hold a
heading, columns after every row has text, footer lines looked for in the bottom rows only - and
must mark exactly the rows that checking every trimmed cell marks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.inputs.region import (
    Cells,
    _trimmed,
    footer_rows,
    repeated_header_rows,
    serial_columns,
    template_rows,
)

COLUMNS = ["序号", "姓名", "性别", "拟任职务"]
GROUPS = {"姓名": "基本情况", "性别": "基本情况"}
CELLS = st.sampled_from(["", " ", None, "姓名", " 姓名 ", "性别", "拟任职务\u3000", "基本情况", "张三", "男", "书记",
                         "1", "12", "填表人：李四", "注：1.本表", "序号"])


def _every_cell_headings(frame: pd.DataFrame, groups: dict) -> np.ndarray:
    same = np.zeros(len(frame), dtype=np.int64)
    filled = np.zeros(len(frame), dtype=np.int64)
    for position, (column, serial) in enumerate(zip(frame.columns, serial_columns(frame.columns))):
        if serial:
            continue
        arr = _trimmed(frame.iloc[:, position])
        filled += arr.is_valid().to_numpy(zero_copy_only=False)
        hit = pc.equal(arr, pa.scalar(column, pa.large_string()))
        if column in groups:
            hit = pc.or_(hit, pc.equal(arr, pa.scalar(groups[column], pa.large_string())))
        same += pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return (same >= 2) & (2 * same > filled)


def _every_cell_template(frame: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(frame), dtype=bool)
    for position, serial in enumerate(serial_columns(frame.columns)):
        if not serial:
            blank &= _trimmed(frame.iloc[:, position]).is_null().to_numpy(zero_copy_only=False)
    return blank


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=4, max_size=4), min_size=1, max_size=40), st.sampled_from(["str", object]),
       st.booleans())
def test_region_checks_mark_what_every_trimmed_cell_marks(rows, dtype, grouped):
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(dtype)
    groups = GROUPS if grouped else {}
    template = template_rows(frame, Cells(frame))
    assert template.tolist() == _every_cell_template(frame).tolist()
    cells = Cells(frame)
    headings = repeated_header_rows(frame, groups, cells)
    assert headings.tolist() == _every_cell_headings(frame, groups).tolist()
    shared = footer_rows(frame, template | headings, cells)
    assert shared.tolist() == footer_rows(frame, _every_cell_template(frame) | headings).tolist()


def test_footer_lines_after_many_people_are_found_trimming_only_the_bottom():
    people = [["1", "张三", "男", "书记"]] * 2000
    frame = pd.DataFrame(people + [[None, " 填表人：李四", None, None]], columns=COLUMNS).astype("str")
    cells = Cells(frame)
    template = template_rows(frame, cells)
    headings = repeated_header_rows(frame, GROUPS, cells)
    footer = footer_rows(frame, template | headings, cells)
    assert np.flatnonzero(footer).tolist() == [2000] and not headings.any() and not template.any()
    whole = [k for k in cells._made if isinstance(k, int)]
    assert whole == [1], "only the first text column was trimmed whole (every row has a name)"
