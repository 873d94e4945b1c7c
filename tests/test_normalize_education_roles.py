"""Tests for vetting.normalize.education and vetting.normalize.roles."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.errors import VettingError
from vetting.normalize.education import parse_education
from vetting.normalize.roles import parse_roles, roles_match
from vetting.vocab import EDUCATION_LEVEL_BY_LABEL as LEVEL_BY_LABEL
from vetting.vocab import EDUCATION_LEVELS as LEVELS
from vetting.vocab import ROLE_NAMES, ROLE_TAGS

ANY_CELL = st.one_of(st.none(), st.floats(), st.integers(), st.text(),
                     st.text(alphabet="本科大专高中初中小学研究生全日制在职函授（）()/、 书记主任委员两委后备监",
                             max_size=12),
                     st.text(alphabet=st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF)))


def test_levels():
    assert LEVELS == {0: "文盲", 1: "小学", 2: "初中", 3: "高中", 4: "大专", 5: "本科", 6: "研究生"}
    assert all(LEVELS[LEVEL_BY_LABEL[label]] == label for label in LEVEL_BY_LABEL)


@pytest.mark.parametrize("raw, level, full_time", [
    ("小学", 1, None), ("初中", 2, None), ("初中文化", 2, None), ("高中", 3, None),
    ("中专", 3, None), ("职高", 3, None), ("技校", 3, None), ("中技", 3, None), ("中专/高中", 3, None),
    ("大专", 4, None), ("专科", 4, None), ("高职", 4, None), ("大学专科", 4, None), ("大专学历", 4, None),
    ("全日制大专", 4, True), ("本科", 5, None), ("大学本科", 5, None), ("学士", 5, None),
    ("本科（函授）", 5, False), ("本科(自考)", 5, False), ("成人本科", 5, False), ("电大大专", 4, False),
    ("研究生", 6, None), ("硕士", 6, None), ("博士", 6, None), ("研究生学历", 6, None),
    ("在职研究生", 6, False), ("非全日制硕士", 6, False), ("全日制本科", 5, True),
    ("文盲", 0, None), ("半文盲", 0, None), (" 大 专 ", 4, None), ("本科（全日制）", 5, True),
])
def test_education_recognised(raw, level, full_time):
    row = parse_education(pd.Series([raw])).iloc[0]
    assert row.education_level == level
    assert row.education == LEVELS[level]
    assert (pd.isna(row.full_time) if full_time is None else row.full_time == full_time)
    assert pd.isna(row.problem)


@pytest.mark.parametrize("raw", ["高中及以下", "中学", "xyz", "3"])
def test_education_unknown(raw):
    row = parse_education(pd.Series([raw])).iloc[0]
    assert pd.isna(row.education_level) and pd.isna(row.education)
    assert row.problem == f"无法识别的文化程度：{raw}"


@pytest.mark.parametrize("raw", [None, float("nan"), "", "  ", "无", "/"])
def test_education_blank(raw):
    row = parse_education(pd.Series([raw], dtype=object)).iloc[0]
    assert row.isna().all()


def test_education_frame():
    s = pd.Series(["本科", None, "???"], index=[3, 1, 2])
    out = parse_education(s)
    assert list(out.columns) == ["education_level", "education", "full_time", "problem"]
    assert out.index.equals(s.index)
    assert [str(t) for t in out.dtypes] == ["Int64", "string", "boolean", "string"]


@pytest.mark.parametrize("raw, role", [
    ("村党组织书记", "党组织书记"), ("村(社区)党组织书记", "党组织书记"), ("村（社区）党组织书记", "党组织书记"),
    ("党支部书记", "党组织书记"), ("党总支书记", "党组织书记"), ("社区党委书记", "党组织书记"), ("书记", "党组织书记"),
    ("党组织书记、村委会主任", "书记兼主任"), ("书记、主任", "书记兼主任"), ("书记兼主任", "书记兼主任"),
    ("一肩挑", "书记兼主任"), ("党组织书记兼村(居)委会主任", "书记兼主任"),
    ("支部委员", "党组织委员"), ("支委", "党组织委员"), ("党委委员", "党组织委员"), ("党组织副书记", "党组织委员"),
    ("村委会主任", "村委会主任"), ("居委会主任", "村委会主任"), ("村(居)委会主任", "村委会主任"), ("主任", "村委会主任"),
    ("村委会委员", "村委会委员"), ("村委委员", "村委会委员"), ("居委会委员", "村委会委员"), ("村委会副主任", "村委会委员"),
    ("委员", "两委委员"), ("“两委”委员", "两委委员"), ('"两委"委员', "两委委员"), ("两委成员", "两委委员"),
    ("两委干部", "两委委员"),
    ("后备干部", "两委后备人选"), ("后备力量", "两委后备人选"), ("村级后备力量", "两委后备人选"),
    ("书记后备", "书记后备人选"), ("党组织书记后备人选", "书记后备人选"), ("书记后备力量", "书记后备人选"),
    ("监委会主任", "村务监督委员会成员"), ("村务监督委员会主任", "村务监督委员会成员"),
    ("监督委员会委员", "村务监督委员会成员"), (" 村 党 组 织 书 记 ", "党组织书记"),
])
def test_roles_recognised(raw, role):
    row = parse_roles(pd.Series([raw])).iloc[0]
    assert row.role == role and pd.isna(row.problem)


@pytest.mark.parametrize("raw", ["xyz", "外星职务"])
def test_roles_unknown(raw):
    row = parse_roles(pd.Series([raw])).iloc[0]
    assert pd.isna(row.role) and row.problem == f"无法识别的拟任职务：{raw}"


@pytest.mark.parametrize("raw", ["会计", "文书", "书记助理", "非两委"])
def test_posts_outside_the_two_committees_are_flagged(raw):
    row = parse_roles(pd.Series([raw])).iloc[0]
    assert pd.isna(row.role) and "不是村(社区)“两委”职务" in row.problem


@pytest.mark.parametrize("raw,role", [("党支部副书记兼村委会主任", "副书记兼主任"), ("妇女主任", "村委会委员"),
                                      ("治保主任", "村委会委员")])
def test_combined_and_portfolio_posts(raw, role):
    assert parse_roles(pd.Series([raw])).iloc[0].role == role


def test_roles_frame_and_blank():
    s = pd.Series(["书记", None, "", "无"], index=[4, 3, 2, 1])
    out = parse_roles(s)
    assert list(out.columns) == ["role", "problem"] and out.index.equals(s.index)
    assert [str(t) for t in out.dtypes] == ["string", "string"]
    assert out.role.isna().tolist() == [False, True, True, True] and out.problem.isna().all()


def test_role_tags_and_names():
    assert ROLE_TAGS["书记兼主任"] == {"党组织书记", "村委会主任", "党组织委员", "村委会委员", "两委委员"}
    assert ROLE_TAGS["书记后备人选"] == {"后备力量", "书记后备人选"}
    assert set(ROLE_TAGS) <= ROLE_NAMES and "后备力量" in ROLE_NAMES
    assert all(tags <= ROLE_NAMES for tags in ROLE_TAGS.values())


@pytest.mark.parametrize("wanted, matched", [
    (["两委委员"], {"书记兼主任", "副书记兼主任", "党组织书记", "党组织委员", "村委会主任", "村委会委员", "两委委员"}),
    (["党组织书记"], {"书记兼主任", "党组织书记"}),
    (["村委会主任"], {"书记兼主任", "副书记兼主任", "村委会主任"}),
    (["后备力量"], {"书记后备人选", "两委后备人选"}),
    (["书记兼主任"], {"书记兼主任"}),
    (["村务监督委员会成员", "书记后备人选"], {"村务监督委员会成员", "书记后备人选"}),
    ([], set()),
])
def test_roles_match(wanted, matched):
    roles = pd.Series(list(ROLE_TAGS) + [None], dtype="string", index=np.arange(len(ROLE_TAGS) + 1) * 2)
    out = roles_match(roles, wanted)
    assert out.dtype == bool and out.index.equals(roles.index)
    assert set(roles[out]) == matched
    assert not out.iloc[-1]


def test_roles_match_rejects_unknown_names():
    with pytest.raises(VettingError, match="党组织书纪"):
        roles_match(pd.Series(["党组织书记"]), ["党组织书纪"])


@settings(deadline=None)
@given(st.lists(ANY_CELL, max_size=30))
def test_property_never_raises(cells):
    s = pd.Series(cells, dtype=object, index=np.arange(len(cells))[::-1])
    edu = parse_education(s)
    assert edu.index.equals(s.index)
    assert edu.education_level.dropna().isin(list(LEVELS)).all()
    assert (edu.problem.notna() <= edu.education_level.isna()).all()
    roles = parse_roles(s)
    assert roles.index.equals(s.index)
    assert roles.role.dropna().isin(list(ROLE_TAGS)).all()
    assert (roles.problem.notna() <= roles.role.isna()).all()
    assert roles_match(roles.role, ["两委委员", "后备力量"]).index.equals(s.index)
