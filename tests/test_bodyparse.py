"""vetting.inputs.bodyparse: pyarrow parses a CSV body when it can, pandas from the first row it
refuses; either way the frames are exactly those of pandas' chunked reader, errors included."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.inputs import bodyparse
from vetting.inputs.bodyparse import body_frames, line_offset
from vetting.inputs.delimited import plan_body

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")   # pandas' own, on long rows

HEADER = "姓名,公民身份号码,村(社区)\n"
INDEX = {"姓名": "name", "公民身份号码": "id_number", "村(社区)": "village"}


def _plan(end: str = "\n", trailing: bool = False):
    """The body plan of HEADER (the body is not looked at: any row may follow)."""
    return replace(plan_body(HEADER.replace("\n", end), True, INDEX, "r.csv"), trailing=trailing)


def _pandas(raw: bytes, plan, encoding: str, rows: int | None):
    """pandas' chunked reader from the body's first line on."""
    body = io.BytesIO(raw[line_offset(raw, plan.first_line):])
    options = {**plan.read_options(encoding), "skiprows": 0}
    if rows is None:
        return [pd.read_csv(body, **options)]
    with pd.read_csv(body, chunksize=rows, **options) as chunks:
        return list(chunks)


def _outcome(make):
    try:
        return [frame.fillna("") for frame in make()], None
    except (pd.errors.ParserError, ValueError) as exc:
        return None, type(exc)


def _same(raw: bytes, rows: int | None, encoding: str = "utf-8-sig", plan=None) -> list[pd.DataFrame]:
    plan = plan or _plan()
    offset = line_offset(raw, plan.first_line)
    ours, ours_error = _outcome(lambda: list(body_frames(raw, plan, encoding, offset, rows)))
    theirs, their_error = _outcome(lambda: _pandas(raw, plan, encoding, rows))
    assert ours_error == their_error
    if theirs is not None:
        assert len(ours) == len(theirs)
        for mine, pandas_own in zip(ours, theirs):
            pd.testing.assert_frame_equal(mine, pandas_own, check_index_type=False)
    return ours or []


cell = st.text(st.sampled_from(list('a张 ,"\n\r')), max_size=6)
line_end = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.lists(cell, min_size=0, max_size=4), min_size=1, max_size=14), end=line_end,
       rows=st.sampled_from([None, 1, 2, 5]), trailing=st.booleans(),
       block=st.sampled_from([bodyparse.ARROW_BLOCK, 16, 40]))
def test_frames_are_pandas_own_on_any_text(lines, end, rows, trailing, block):
    """Quotes anywhere, short and long rows, blank lines, any line ending, an extra trailing
    field or not, pandas taking over after some slices or not: the same frames (or the same
    refusal) as pandas' chunked reader."""
    body = end.join(",".join(record) for record in lines)
    kept, bodyparse.ARROW_BLOCK = bodyparse.ARROW_BLOCK, block
    try:
        _same((HEADER.replace("\n", end) + body).encode("utf-8"), rows, plan=_plan(end, trailing))
    finally:
        bodyparse.ARROW_BLOCK = kept


def _spy(monkeypatch) -> list[int]:
    """Counts the frames pyarrow parses."""
    parsed = []
    made = bodyparse._frame

    def counted(table, start):
        parsed.append(table.num_rows)
        return made(table, start)

    monkeypatch.setattr(bodyparse, "_frame", counted)
    return parsed


def test_a_well_formed_body_is_parsed_by_pyarrow_alone(monkeypatch):
    parsed = _spy(monkeypatch)
    raw = (HEADER + "".join(f"张{i},11010519491231002X,和平村\n" for i in range(7))).encode()
    frames = _same(raw, 3)
    assert [len(f) for f in frames] == [3, 3, 1] and parsed == [3, 3, 1]
    assert frames[2].index[0] == 6 and frames[0].iloc[1, 0] == "张1"


def test_a_short_row_hands_the_rest_to_pandas_without_repeating_or_losing_a_slice(monkeypatch):
    parsed = _spy(monkeypatch)
    monkeypatch.setattr(bodyparse, "ARROW_BLOCK", 48)            # a few records a block
    good = "".join(f"张{i},1,和平村\n" for i in range(6))
    raw = (HEADER + good + "李四\n" + "王五,2,和平村\n   \n").encode()
    frames = _same(raw, 2)
    assert parsed and set(parsed) == {2}                         # pyarrow's part: well-formed slices
    assert [len(f) for f in frames] == [2, 2, 2, 2, 1]
    assert frames[3].iloc[0].tolist() == ["李四", "", ""] and frames[4].iloc[0, 0] == "   "


def test_a_record_longer_than_a_block_and_a_gb18030_body_go_to_pandas(monkeypatch):
    parsed = _spy(monkeypatch)
    monkeypatch.setattr(bodyparse, "ARROW_BLOCK", 64)
    _same((HEADER + "张三,1,\"" + "很长的村名" * 40 + "\"\n李四,2,和平村\n").encode(), None)
    raw = (HEADER + "张三,1,和平村\n").encode("gb18030")
    assert _same(raw, None, "gb18030")[0].iloc[0, 0] == "张三"
    assert parsed == []


@pytest.mark.parametrize(("head", "line", "offset"), [
    (b"a\nb\nc", 1, 0), (b"a\nb\nc", 3, 4), (b"a\r\nb\r\nc", 2, 3), (b"a\rb\rc", 3, 4), (b"a\r\n\rb", 3, 4),
    (b"a\nb", 4, None)])
def test_line_offset_counts_lines_as_an_editor_does(head, line, offset):
    assert line_offset(head, line) == offset


def test_a_lone_cr_file_whose_first_cell_is_blank_keeps_its_columns(tmp_path):
    """pandas' own skipping of the header swallowed the first body cell of a file whose lines end
    in CR alone: 张三 became the 序号. Both parsers now start at the body's first line."""
    from vetting.fields import builtin_fields
    from vetting.inputs import read_tables
    from vetting.inputs.stream import RosterStream

    path = tmp_path / "mac.csv"
    path.write_bytes("序号,姓名,公民身份号码,村(社区)\r,张三,110105194912310029,和平村\r2,李四,,和平村\r".encode())
    fields = builtin_fields()
    (whole,) = read_tables(str(path), fields)
    slices = list(RosterStream.open(path, fields, 1).tables())
    for frame, rows in ((whole.frame, whole.source_rows), (pd.concat([t.frame for t in slices]),
                                                            np.concatenate([t.source_rows for t in slices]))):
        assert frame["姓名"].tolist() == ["张三", "李四"] and frame["序号"].tolist() == ["", "2"]
        assert rows.tolist() == [2, 3]
