"""Fields whose reading depends on the cell text alone (enum, flag, int, education, role) are parsed
once per distinct text, and a column's few distinct texts once per process (`_parse_distinct`,
vetting.normalize.roster): whichever way a column is read, every row gets what parsing that row
alone gives, under its own field's names. Unmapped columns read as Arrow text become the same
categories as by way of Python objects."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from vetting.fields import Field
from vetting.normalize import roster
from vetting.normalize.roster import _parse_column, _parse_values
from vetting.ruleset.loader import load_ruleset

FIELDS = {name: spec for name, spec in load_ruleset("national").fields.items()
          if spec.type in ("enum", "flag", "int", "education", "role")}
CELLS = st.one_of(st.none(), st.sampled_from(["", " ", "是", "否", "有", "无", "Y", "n", "优秀", "称职", "不称职",
                                              "大专", "本科（函授）", "书记", "主任", "12", "3.5", "-1", "12月",
                                              "男", "女", "中共党员", "群众", "？"]))


def _row_by_row(spec: Field, cells: pd.Series) -> tuple[dict, list]:
    """What each row alone reads as (no column to share texts with, nothing remembered)."""
    columns, problems = {}, []
    for cell in cells:
        typed, problem = _parse_values(spec, pd.Series([cell], dtype=object).astype("string"))
        for name, value in typed.items():
            columns.setdefault(name, []).append(value.iloc[0])
        problems.append(problem.iloc[0])
    return columns, problems


def _same(left, right) -> bool:
    return (pd.isna(left) and pd.isna(right)) if pd.isna(left) or pd.isna(right) else left == right


@given(name=st.sampled_from(sorted(FIELDS)), cells=st.lists(CELLS, max_size=30), again=st.booleans())
def test_a_column_reads_as_its_rows_read_alone(name, cells, again):
    spec, column = FIELDS[name], pd.Series(cells, dtype=object, index=range(7, 7 + len(cells)))
    if again:                                   # read once before: its texts are remembered
        _parse_column(spec, column)
    typed, problems = _parse_column(spec, column)
    alone, alone_problems = _row_by_row(spec, column)
    assert set(typed) == set(alone) or not cells
    if not cells:
        return
    for key, values in typed.items():
        assert list(values.index) == list(column.index)
        assert all(_same(a, b) for a, b in zip(values, alone[key])), (key, list(values), alone[key])
    assert all(_same(a, b) for a, b in zip(problems, alone_problems))


def test_fields_of_the_same_texts_each_keep_their_own_names_and_values():
    column = pd.Series(["是", "否", ""] * 4, dtype=object)
    first, second = FIELDS["gang_involved"], FIELDS["cult_involved"]
    assert set(_parse_column(first, column)[0]) == {"gang_involved"}
    assert set(_parse_column(second, column)[0]) == {"cult_involved"}
    ratings = pd.Series(["称职", "优秀"], dtype=object)
    narrow = Field("assessment_last", "考核", "enum", values={"称职": ()})
    wide = Field("assessment_last", "考核", "enum", values={"称职": (), "优秀": ()})
    assert _parse_column(narrow, ratings)[1].notna().tolist() == [False, True]       # 优秀 not a value here
    assert _parse_column(wide, ratings)[1].notna().tolist() == [False, False]


def test_what_is_remembered_stays_bounded(monkeypatch):
    monkeypatch.setattr(roster, "_remembered", {})
    monkeypatch.setattr(roster, "_REMEMBERED_SETS", 3)
    spec = FIELDS["gang_involved"]
    for n in range(10):
        _parse_column(spec, pd.Series(["是", str(n)], dtype=object))
        assert len(roster._remembered) <= 3
    many = pd.Series([str(n) for n in range(roster._REMEMBERED_TEXTS + 1)], dtype=object)
    before = dict(roster._remembered)
    _parse_column(spec, many)
    assert roster._remembered == before             # a column of many texts is parsed, not kept



TEXTS = st.one_of(st.none(), st.sampled_from(["", "无", "未反馈", "经核查，无违法违纪记录", "a", "B", "b", "１", "1"]))


@given(columns=st.lists(st.lists(TEXTS, max_size=12), min_size=1, max_size=3).filter(
    lambda cols: len({len(c) for c in cols}) == 1))
def test_columns_read_as_arrow_text_become_the_categories_the_object_path_makes(columns):
    """Unmapped columns (agency opinions among them) read as Arrow text are dictionary-encoded
    once; the result is what the object path gives: the same sorted categories, codes and dtypes,
    or the same text column when the texts are mostly distinct."""
    table = pd.DataFrame({f"列{i}": pd.Series(c, dtype="str") for i, c in enumerate(columns)})
    pd.testing.assert_frame_equal(roster._as_categories(table), roster._as_categories(table.astype(object)))
