"""Opinion patterns run in RE2 (vetting.ruleset.pattern): what RE2 cannot do is refused when the
pack loads, `find_all` gives exactly what `re.finditer` gives, and no text stalls a run."""

from __future__ import annotations

import dataclasses
import re
import time

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.errors import RulesetError
from vetting.joint import classify
from vetting.joint.classify import FINDING, UNCLASSIFIED, classify_distinct, classify_text, classify_texts
from vetting.ruleset.loader import load_ruleset
from vetting.ruleset.pattern import MAX_GROUPS, MAX_PATTERN_LENGTH, PatternError, compile_pattern

NATIONAL = load_ruleset("national")
PIECES = ["2025年", "10月", "8日", "2025.10.08", "判处", "缓刑", "有期徒刑", "政务", "行政", "处分", "处罚", "记过",
          "党内", "严重警告", "留党察看", "二年", "行政拘留", "无", "未被", "但", "有", "，", "。", "；", "x", " "]


def _pack(tmp_path, match: str, extra: str = "") -> str:
    path = tmp_path / "本县.yaml"
    path.write_text("id: t\ntitle: 测试\nversion: 1\nextends: national\nopinions:\n  patterns:\n"
                    f"    - id: custom\n      name: 自定义\n      match: '{match}'\n"
                    f"      sets: {{gang_involved: 是}}\n{extra}", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("match,fragment", [
    ("村霸(?!已整改)", "不支持否定向前断言"),
    ("(?<=被)村霸", "不支持向后断言"),
    ("(?<!未)村霸", "不支持否定向后断言"),
    ("(?=村)村霸", "不支持向前断言"),
    (r"(村)霸\1", "反向引用"),
    ("(村霸", "缺少右括号"),
    ("村霸?*", "重复符号写法有误"),
    ("村{2000}", "重复次数过大"),
    ("(?P<a>村)(?P<a>霸)", "分组名重复"),
    ("村?", "能匹配空文本"),
    ("".join(f"(?P<g{i}>村)" for i in range(MAX_GROUPS + 1)), "命名分组过多"),
])
def test_what_re2_cannot_run_is_refused_at_load_with_line_and_field(tmp_path, match, fragment):
    with pytest.raises(RulesetError) as info:
        load_ruleset(_pack(tmp_path, match))
    assert info.value.field == "opinions.patterns.custom.match" and info.value.line == 9
    assert fragment in info.value.detail and "正则表达式有误" in info.value.detail


def test_a_pattern_longer_than_the_limit_is_refused():
    with pytest.raises(PatternError, match="过长"):
        compile_pattern("村" * (MAX_PATTERN_LENGTH + 1))


def test_whole_text_phrases_may_match_an_empty_text():
    assert compile_pattern("无?", allow_empty=True).fullmatch(pa.array(["无", "", "有"])).tolist() == [True, True, False]


def _python(pattern) -> re.Pattern:  # noqa: ANN001
    return re.compile(pattern.regex.text)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=14).map("".join), min_size=1, max_size=8))
def test_find_all_is_finditer(texts):
    """The RE2 column matcher gives the matches, offsets and groups Python's re gives (the shipped
    patterns are valid in both)."""
    for pattern in NATIONAL.opinions.patterns:
        found = pattern.regex.find_all(texts)
        for i, text in enumerate(texts):
            expected = [(m.start(), m.end(), {n: m.group(n) or "" for n in pattern.regex.names})
                        for m in _python(pattern).finditer(text)]
            assert [(m.start, m.end, m.groups) for m in found.get(i, [])] == expected, (pattern.id, text)


def test_find_all_keeps_offsets_past_private_use_characters():
    regex = compile_pattern("(?P<kind>警告)")
    found = regex.find_all(["\ue000警告\ue001x警告", "无"])
    assert [(m.start, m.end, m.group("kind")) for m in found[0]] == [(1, 3, "警告"), (5, 7, "警告")]
    assert 1 not in found


def test_a_catastrophic_pattern_finishes_in_linear_time(tmp_path):
    rules = load_ruleset(_pack(tmp_path, "(a+)+$", "  max_length: 20000\n"))
    started = time.perf_counter()
    status = classify_text("a" * 15000 + "b", rules.opinions).status
    assert status == UNCLASSIFIED and time.perf_counter() - started < 2


def test_the_builtin_patterns_on_a_long_repetitive_text_finish_quickly():
    """2,000 characters of "2025.10.08判处，" took the built-in patterns seconds with Python's re."""
    texts = [("2025.10.08判处，" * 200)[:2000], ("该同志于2025年10月受到党内严重警告处分" * 100)[:2000],
             ("行政记过处分，" * 300)[:2000]]
    started = time.perf_counter()
    results = classify_texts(texts, NATIONAL.opinions)
    assert time.perf_counter() - started < 2
    assert [r.status for r in results] == [UNCLASSIFIED, FINDING, FINDING]
    assert results[2].records[0]["gov_sanction"] == "记过"


def test_each_opinion_text_is_read_once_per_process_and_set_of_rules(monkeypatch):
    texts = ["无", "未反馈", "2025年3月受到党内警告处分", "经核查，无违法违纪记录"]
    expected = classify_texts(texts, NATIONAL.opinions)
    read, original = [], classify.classify_texts

    def counted(batch, rules):
        read.append(list(batch))
        return original(batch, rules)

    monkeypatch.setattr(classify, "classify_texts", counted)
    rules = dataclasses.replace(NATIONAL.opinions)              # a set of rules nothing was read with yet
    assert classify_distinct(texts, rules) == expected
    assert classify_distinct(texts[::-1], rules) == expected[::-1]
    assert read == [texts]                                      # the second call read nothing again
    other = dataclasses.replace(NATIONAL.opinions)
    assert classify_distinct(texts[:1], other) == expected[:1] and read[-1] == texts[:1]   # its own readings
    monkeypatch.setattr(classify, "READINGS_KEPT", 2)
    small = dataclasses.replace(NATIONAL.opinions)
    classify_distinct(texts, small)
    assert classify_distinct(texts, small) == expected and read[-1] == texts[2:]   # only the first two kept


def test_a_text_longer_than_max_length_is_left_to_a_person():
    text = "2025年10月受到党内严重警告处分" + "。" * NATIONAL.opinions.max_length
    assert classify_text(text, NATIONAL.opinions).status == UNCLASSIFIED


@pytest.mark.parametrize("text,kind", [
    ("受到行政记过处分", "记过"),
    ("行政处分：撤职", "撤职"),
    ("2024年受政务警告处分", "警告"),
    ("政纪处分（记大过）", "记大过"),
])
def test_the_rewritten_gov_sanction_pattern_reads_what_the_look_ahead_read(text, kind):
    reading = classify_text(text, NATIONAL.opinions)
    assert reading.status == FINDING and [r["gov_sanction"] for r in reading.records] == [kind]


@pytest.mark.parametrize("text", ["公安机关给予行政警告", "行政处罚（警告）", "无法核实"])
def test_what_the_look_ahead_kept_out_stays_out(text):
    reading = classify_text(text, NATIONAL.opinions)
    assert not any("gov_sanction" in r for r in reading.records) and reading.status != "clear"
