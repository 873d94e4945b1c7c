"""Tests for vetting.normalize.idcard (GB 11643-1999 ID numbers)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.normalize.idcard import EXCEL_PROBLEM, HMT_NOTE, UPGRADED_NOTE, check_char, parse_id_numbers, upgrade_15

COLUMNS = ["id_number", "id_status", "id_problem", "id_note", "id_birth_date", "id_sex"]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def parse_one(value) -> pd.Series:
    return parse_id_numbers(pd.Series([value], dtype=object)).iloc[0]


@pytest.mark.parametrize("raw, number, birth, sex", [
    ("11010519491231002X", "11010519491231002X", "1949-12-31", "女"),
    ("11010519491231002x", "11010519491231002X", "1949-12-31", "女"),
    ("360426199101010071", "360426199101010071", "1991-01-01", "男"),
    ("  360426 1991 0101 0071 ", "360426199101010071", "1991-01-01", "男"),
    ("360426-19910101-0071", "360426199101010071", "1991-01-01", "男"),
    ("３６０４２６１９９１０１０１００７１", "360426199101010071", "1991-01-01", "男"),
    ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X", "1949-12-31", "女"),
])
def test_valid_numbers(raw, number, birth, sex):
    row = parse_one(raw)
    assert row.id_status == "valid"
    assert row.id_number == number
    assert row.id_birth_date == pd.Timestamp(birth)
    assert row.id_sex == sex
    assert pd.isna(row.id_problem) and pd.isna(row.id_note)


def test_legacy_15_digit_is_upgraded():
    row = parse_one("110105491231002")
    assert (row.id_status, row.id_number, row.id_note) == ("valid", "11010519491231002X", UPGRADED_NOTE)
    assert row.id_birth_date == pd.Timestamp("1949-12-31") and row.id_sex == "女"


@pytest.mark.parametrize("raw, problem", [
    ("440524188001010014", "出生日期码早于1900年"),
    ("36042619910101007", "位数不对：应为18位，实为17位"),
    ("3604261991010100711", "位数不对：应为18位，实为19位"),
    ("360426199101010073", "校验码错误：应为1，实为3"),
    ("11010519491231002３", "校验码错误：应为X，实为3"),
    ("510525199013320017", "出生日期码不是有效日期"),
    ("510525199002300017", "出生日期码不是有效日期"),
    ("110105491331002", "出生日期码不是有效日期"),
    ("11010519491231002Y", "含有非数字字符"),
    ("1101051949123X002X", "含有非数字字符"),
    ("11010549123100X", "含有非数字字符"),
    ("张三", "含有非数字字符"),
    ("5.10525E+17", EXCEL_PROBLEM),
    ("5.10525e17", EXCEL_PROBLEM),
    ("360426199101010071.0", EXCEL_PROBLEM),
    (3.60426199101010e17, EXCEL_PROBLEM),
    (110105491231002.0, EXCEL_PROBLEM),
])
def test_invalid_numbers(raw, problem):
    row = parse_one(raw)
    assert row.id_status == "invalid"
    assert row.id_problem == problem
    assert pd.isna(row.id_birth_date) and pd.isna(row.id_sex) and pd.isna(row.id_note)


@pytest.mark.parametrize("raw", [None, float("nan"), pd.NA, "", "   ", "\u3000", " - "])
def test_blank(raw):
    row = parse_one(raw)
    assert row.id_status == "blank"
    assert row[["id_number", "id_problem", "id_note", "id_birth_date", "id_sex"]].isna().all()


def test_shaped_but_invalid_keeps_the_normalised_number():
    assert parse_one("360426199101010073").id_number == "360426199101010073"
    assert pd.isna(parse_one("36042619910101007").id_number)
    assert pd.isna(parse_one("5.10525E+17").id_number)


def test_residence_permit_note():
    first17 = "81000019900101001"
    row = parse_one(first17 + check_char(first17))
    assert (row.id_status, row.id_note) == ("valid", HMT_NOTE)


def test_frame_shape_dtypes_and_index():
    s = pd.Series(["11010519491231002X", None, "bad"], index=["c", "a", "b"])
    out = parse_id_numbers(s)
    assert list(out.columns) == COLUMNS
    assert out.index.equals(s.index)
    assert out.id_birth_date.dtype == "datetime64[ns]"
    for col in ("id_number", "id_status", "id_problem", "id_note", "id_sex"):
        assert str(out[col].dtype) == "string"
    assert out.id_status.tolist() == ["valid", "blank", "invalid"]
    assert len(parse_id_numbers(pd.Series([], dtype=object))) == 0


def test_string_dtype_input():
    s = pd.Series(["11010519491231002X", None], dtype="string")
    assert parse_id_numbers(s).id_status.tolist() == ["valid", "blank"]


@pytest.mark.parametrize("first17, expected", [
    ("11010519491231002", "X"), ("36042619910101007", "1"), ("44052418800101001", "4"),
])
def test_check_char(first17, expected):
    assert check_char(first17) == expected


def test_upgrade_15_example():
    assert upgrade_15("110105491231002") == "11010519491231002X"


@pytest.mark.parametrize("bad", ["1101054912310", "11010549123100a", "１１０１０５４９１２３１００２"])
def test_upgrade_15_rejects_non_15_digit_text(bad):
    with pytest.raises(ValueError):
        upgrade_15(bad)


# --- properties -------------------------------------------------------------------------

BIRTHS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))


@st.composite
def first17s(draw):
    address = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    birth = draw(BIRTHS)
    return address + birth.strftime("%Y%m%d") + sequence, birth


@settings(deadline=None)
@given(first17s(), st.booleans(), st.booleans())
def test_property_valid_numbers_round_trip(drawn, lower_x, full_width):
    first17, birth = drawn
    number = first17 + check_char(first17)
    raw = number.lower() if lower_x else number
    raw = raw.translate(FULL_WIDTH) if full_width else raw
    row = parse_one(raw)
    assert row.id_status == "valid" and row.id_number == number
    assert row.id_birth_date == pd.Timestamp(birth)
    assert row.id_sex == ("男" if int(first17[16]) % 2 else "女")


@settings(deadline=None)
@given(first17s(), st.sampled_from("0123456789X"))
def test_property_wrong_check_char_is_invalid(drawn, other):
    first17, _ = drawn
    right = check_char(first17)
    if other == right:
        return
    row = parse_one(first17 + other)
    assert row.id_status == "invalid"
    assert row.id_problem == f"校验码错误：应为{right}，实为{other}"
    assert pd.isna(row.id_birth_date) and pd.isna(row.id_sex)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_property_check_char_matches_stdnum_formula(first17):
    stdnum = (1 - 2 * int(first17, 13)) % 11
    assert check_char(first17) == ("X" if stdnum == 10 else str(stdnum))
    full = first17 + check_char(first17)
    values = [10 if c == "X" else int(c) for c in full]
    assert sum(v * (2 ** (17 - i) % 11) for i, v in enumerate(values)) % 11 == 1


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
       st.text(alphabet="0123456789", min_size=3, max_size=3))
def test_property_upgrade_15_passes_validation(address, birth, sequence):
    id15 = address + birth.strftime("%y%m%d") + sequence
    upgraded = upgrade_15(id15)
    out = parse_id_numbers(pd.Series([upgraded, id15]))
    assert out.id_status.tolist() == ["valid", "valid"]
    assert out.id_number.tolist() == [upgraded, upgraded]
    assert (out.id_birth_date == pd.Timestamp(birth)).all()
    assert out.id_note.iloc[1].startswith(UPGRADED_NOTE)


ANY_CELL = st.one_of(
    st.none(), st.floats(), st.integers(), st.text(),
    st.text(alphabet="0123456789Xx０１２３４５６７８９Ｘｘ -－.Ee+\u3000\u200b", max_size=22),
    st.text(alphabet=st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF)),
)


@settings(deadline=None)
@given(st.lists(ANY_CELL, max_size=30))
def test_property_never_raises(cells):
    s = pd.Series(cells, dtype=object, index=np.arange(len(cells))[::-1])
    out = parse_id_numbers(s)
    assert list(out.columns) == COLUMNS and out.index.equals(s.index)
    assert out.id_status.isin(["valid", "blank", "invalid"]).all()
    invalid = out.id_status == "invalid"
    assert out.id_problem.notna().eq(invalid).all()
    valid = out.id_status == "valid"
    assert out.id_birth_date.notna().eq(valid).all() and out.id_sex.notna().eq(valid).all()
    assert out.id_number[valid].str.fullmatch(r"\d{17}[\dX]").all()
