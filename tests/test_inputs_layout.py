"""Header detection (vetting/inputs/layout.py): examples and hypothesis properties.

The detector must never raise anything but the project's own errors, and must never take a
data row for a second header row (that would silently drop a person).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vetting.errors import InputError, VettingError
from vetting.fields import alias_index, builtin_fields, header_key, header_score
from vetting.inputs.layout import HEADER_SCAN_ROWS, find_header

INDEX = alias_index(builtin_fields())
LABELS = ["姓名", "性别", "出生年月", "公民身份号码", "政治面貌", "拟任职务", "村(社区)", "乡镇(街道)",
          "刑事处罚", "党纪处分", "失信被执行人", "文化程度", "民族", "入党时间"]
NOISE = ["", " ", "序号", "备注", "基本情况", "联审部门意见", "填报单位：XX县", "无", "否", "是", "1", "12",
         "1988.03", "张三", "510525197205140135", "第一组", "合计", "填表人：王五"]
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.one_of(st.sampled_from(LABELS + NOISE), st.text(max_size=8), st.none(), st.integers(),
                  st.floats(allow_nan=True), st.booleans())
grids = st.lists(st.lists(cells, max_size=12), max_size=HEADER_SCAN_ROWS + 5)


def test_single_header_under_title_and_unit_line():
    grid = [["XX县资格联审表"], ["填报单位：XX县委组织部  填报时间：2026年11月"],
            ["序号", "姓名", "公民身份号码", "拟任职务"], ["1", "张三", "510525197205140135", "村委会委员"]]
    header = find_header(grid, INDEX, "f.csv")
    assert (header.first, header.last, header.names) == (2, 2, ["序号", "姓名", "公民身份号码", "拟任职务"])


def test_two_row_header_with_groups_and_merged_down_labels():
    upper = ["序号", "基本情况", "", "", "党纪处分", "", "联审部门意见", "", "备注"]
    lower = ["", "姓名", "性别", "公民身份号码", "类别", "日期", "刑事处罚", "失信被执行人", ""]
    header = find_header([["标题"], upper, lower, ["1", "张三", "男", "x", "无", "", "无", "否", ""]], INDEX)
    assert (header.first, header.last) == (1, 2)
    assert header.names == ["序号", "姓名", "性别", "公民身份号码", "党纪处分", "党纪处分日期", "刑事处罚",
                            "失信被执行人", "备注"]


def test_lower_row_found_when_the_upper_row_scores_higher():
    upper = ["序号", "姓名", "公民身份号码", "拟任职务", "联审部门意见", "", ""]
    lower = ["", "", "", "", "公安机关", "法院", "纪委监委"]
    header = find_header([upper, lower, ["1", "张三", "x", "委员", "无", "无", "无"]], INDEX)
    assert (header.first, header.last) == (0, 1)
    assert header.names[4:] == ["公安机关", "法院", "纪委监委"]


@pytest.mark.parametrize("below", [
    ["1", "张三", "510525197205140135", "村委会委员"],      # a person
    ["", "", "", "", "无", "否", "否"],                       # answers only under the agency group
    ["", "", "", "", "公安", "公安", "法院"],                  # repeated texts are values, not labels
    ["2", "", "", "", "", "", ""],                             # a numbered template row
])
def test_data_rows_are_never_taken_for_a_second_header_row(below):
    header_row = ["序号", "姓名", "公民身份号码", "拟任职务", "联审部门意见", "", ""]
    header = find_header([header_row, below + [""] * (7 - len(below))], INDEX)
    assert (header.first, header.last) == (0, 0)


def test_title_above_a_header_is_not_a_header_row():
    header = find_header([["XX县资格联审表", "", ""], ["", "姓名", "公民身份号码"]], INDEX)
    assert (header.first, header.last) == (1, 1)
    assert header.names == ["第A列", "姓名", "公民身份号码"]


def test_no_header_names_what_is_expected():
    with pytest.raises(InputError, match="前30行中找不到花名册表头.*--header-row"):
        find_header([["商品", "单价"], ["铅笔", "1"]], INDEX, "x.csv")


@pytest.mark.parametrize("row,message", [(0, "超出了表格范围"), (9, "超出了表格范围"), (2, "是空行")])
def test_given_header_row_outside_or_blank(row, message):
    with pytest.raises(InputError, match=message):
        find_header([["姓名", "性别"], [], ["张三", "男"]], INDEX, "x.csv", header_row=row)


def test_given_header_row_is_used_even_with_a_low_score():
    header = find_header([["说明"], ["名字?", "证件"], ["张三", "x"]], INDEX, header_row=2)
    assert (header.first, header.last, header.names) == (1, 1, ["名字?", "证件"])


def test_known_header_twice_is_refused_with_column_letters():
    with pytest.raises(InputError, match="第B列、第D列的表头都是「姓名」"):
        find_header([["序号", "姓名", "性别", "姓名"]], INDEX, "x.csv")


def test_other_repeated_headers_are_numbered():
    header = find_header([["姓名", "备注", "性别", "备注", "备注(2)", "备注"]], INDEX)
    assert header.names == ["姓名", "备注", "性别", "备注(3)", "备注(2)", "备注(4)"]
    assert len(set(header.names)) == len(header.names)


@PROPS
@given(grid=grids, header_row=st.one_of(st.none(), st.integers(min_value=-2, max_value=HEADER_SCAN_ROWS + 8)))
def test_detector_raises_only_project_errors_and_returns_a_consistent_header(grid, header_row):
    try:
        header = find_header(grid, INDEX, "x.xlsx", header_row)
    except VettingError:
        return
    width = max((len(r) for r in grid), default=0)
    assert 0 <= header.first <= header.last <= header.first + 1 < len(grid) + 1
    assert header.last < len(grid)
    assert len(header.names) == width
    assert all(isinstance(n, str) and n for n in header.names)
    assert len(set(header.names)) == len(header.names)
    if header_row is None:
        assert header.score >= 2
    else:
        assert header.first <= header_row - 1 <= header.last


@PROPS
@given(labels=st.lists(st.sampled_from(LABELS), min_size=2, max_size=10, unique=True),
       below=st.lists(cells, min_size=1, max_size=10))
def test_a_row_under_a_full_single_row_header_is_always_data(labels, below):
    assume(any(c not in (None, "") and str(c).strip() for c in below))
    assume(header_score(below, INDEX) < len(labels))  # else the row below is the better header
    header = find_header([labels, below], INDEX)
    assert (header.first, header.last) == (0, 0)
    assert header.names[:len(labels)] == labels


column_specs = st.one_of(
    st.tuples(st.just("down"), st.sampled_from(LABELS + ["序号", "备注"])),
    st.tuples(st.just("group"), st.sampled_from(["基本情况", "联审部门意见", "其他情况"]),
              st.lists(st.sampled_from(LABELS), min_size=2, max_size=4, unique=True)))


@PROPS
@given(specs=st.lists(column_specs, min_size=1, max_size=6), title=st.booleans())
def test_two_row_headers_keep_every_lower_label(specs, title):
    upper, lower, expected = [], [], []
    for spec in specs:
        if spec[0] == "down":
            upper.append(spec[1])
            lower.append("")
            expected.append(spec[1])
        else:
            upper += [spec[1]] + [""] * (len(spec[2]) - 1)
            lower += spec[2]
            expected += spec[2]
    known = [header_key(n) for n in expected if header_key(n) in INDEX]
    assume(len(set(expected)) == len(expected))  # repeats are refused or numbered, tested above
    assume(len({INDEX[k] for k in known}) >= 2)
    assume(any(s[0] == "group" for s in specs))
    grid = ([["XX县资格联审表"]] if title else []) + [upper, lower, ["1"] + ["张三"] * (len(upper) - 1)]
    header = find_header(grid, INDEX)
    top = 1 if title else 0
    assert header.last == top + 1, "data start after the lower row"
    if sum(1 for c in upper if c) >= 2:
        assert header.first == top
    else:  # one group over the whole header looks like a title; the lower row alone names every column
        assert header.first in (top, top + 1)
    assert header.names == expected


def test_a_two_row_header_names_the_group_above_each_lower_label():
    upper = ["序号", "基本情况", "", "联审部门意见", "", "备注"]
    lower = ["", "姓名", "公民身份号码", "公安", "妇联", ""]
    header = find_header([upper, lower, ["1", "张三", "x", "无", "无", ""]], INDEX)
    assert header.groups == {"姓名": "基本情况", "公民身份号码": "基本情况", "公安": "联审部门意见",
                             "妇联": "联审部门意见"}
    assert find_header([lower[1:3], ["张三", "x"]], INDEX).groups == {}
