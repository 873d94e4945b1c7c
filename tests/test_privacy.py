"""ID masking is one module (vetting.privacy): its properties, and that every way out of the tool -
JSON, CSV and its sidecars, XLSX, `vet check`, stderr - shows an ID-like number only masked,
whatever stands around it, unless --show-id asks for the ID column in clear."""

from __future__ import annotations

import json
import re
import zipfile

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vetting.cli import cli
from vetting.normalize.idcard import check_char
from vetting.privacy import cut_text, mask_id, mask_id_series, mask_text, mask_text_series, mask_tree

DIGITS = "0123456789"
FULL_WIDTH = "０１２３４５６７８９"
filler = st.text(alphabet=st.sampled_from(list("编号身份证ID:： abc张三，。-()（）")), max_size=8)


@st.composite
def id_runs(draw) -> str:
    """A digit run a person could write: 14 to 20 digits, maybe a trailing X, maybe full-width."""
    digits = draw(st.text(alphabet=DIGITS, min_size=14, max_size=20))
    if draw(st.booleans()) or len(digits) == 14:
        digits += draw(st.sampled_from("0Xx"))
    if draw(st.booleans()):
        digits = digits.translate(str.maketrans(DIGITS, FULL_WIDTH))
    return digits


def _hidden(run: str) -> str:
    return run[6:-4]


def test_an_id_value_keeps_six_and_four():
    assert mask_id("51052519900101123X") == "510525********123X"
    assert mask_id("510525880505432") == "510525*****5432"
    assert mask_id("12345") == "*****" and mask_id("1234567890") == "**********"
    assert mask_id(None) is None
    s = pd.Series(["51052519900101123X", "12345678901", None])
    assert mask_id_series(s).tolist()[:2] == ["510525********123X", "***********"]
    assert mask_id("5105251990010112") == "*" * 16         # a cut or mistyped number: all of it
    assert pd.isna(mask_id_series(s).iloc[2])


def test_a_run_right_after_a_word_is_masked():
    assert mask_text("编号1234567890123456") == "编号" + "*" * 16     # not an ID's length: all starred
    assert mask_text("ID51052519900101123X。") == "ID510525********123X。"
    assert mask_text("电话13800000000") == "电话13800000000"      # 11 digits: not an ID number


@settings(max_examples=300, deadline=None)
@given(filler, id_runs(), filler)
def test_every_id_like_run_is_masked_and_the_text_around_it_kept(before, run, after):
    text = before + run + after
    masked = mask_text(text)
    shown = run[:6] + "*" * (len(run) - 10) + run[-4:] if len(run) in (15, 18) else "*" * len(run)
    assert masked == before + shown + after
    assert mask_text_series(pd.Series([text, None, "无"])).tolist()[0] == masked


@settings(max_examples=300, deadline=None)
@given(filler, id_runs(), filler, st.integers(0, 40))
def test_a_cut_is_made_in_the_masked_text(before, run, after, limit):
    text = before + run + after
    cut = cut_text(text, limit)
    assert len(cut) <= limit and mask_text(text).startswith(cut)


def test_an_id_at_the_quote_limit_is_masked_before_the_cut():
    """Cut first, the 14 digits before the limit would no longer look like an ID number."""
    text = "经查" + "，" * 184 + "11010519491231002X与档案不符"
    cut = cut_text(text, 200, "…")
    assert "19491231" not in cut and "1949" not in cut
    assert cut.startswith("经查") and len(cut) <= 201
    footer = "注：身份证号11010519491231002X的人选另行上报"
    assert "1949" not in cut_text(footer, 24, "…")


SPACED = [("110105 19491231 002X", "110105 ******** 002X"),
          ("1101 0519 4912 3100 2X", "1101 05** **** **00 2X"),
          ("1101-0519-4912-3100-2x", "1101-05**-****-**00-2x"),
          ("110105\u300019491231\u3000002X", "110105\u3000********\u3000002X"),
          ("５１０５２５　１９９００１０１　１２３Ｘ", "５１０５２５　********　１２３Ｘ"),
          ("11010519491231", "*" * 14),                     # 14 digits: a fragment, all starred
          ("1101 0519 4912 31", "**** **** **** **")]


def test_spaced_and_hyphenated_ids_and_fragments_are_masked():
    for text, masked in SPACED:
        assert mask_text(f"号码{text}。") == f"号码{masked}。", text
        assert mask_text_series(pd.Series([f"号码{text}。", "无"], dtype="str")).tolist()[0] == f"号码{masked}。"


def test_dates_phone_numbers_and_mixed_separators_are_left_alone():
    for text in ("2025-10-08 2026-12-15", "电话0831-12345678", "13800000000", "1101051949123",
                 "第4–20、25行", "2019年 2020年 2021年 2022年", "12 34 56 7 89 01 23 45"):
        assert mask_text(text) == text


number_text = st.text(alphabet=st.sampled_from(list("0123456789０１X x-　-—，号")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(number_text, min_size=1, max_size=5))
def test_the_vectorised_mask_finds_what_the_scalar_one_does(texts):
    """The Arrow prefilter never skips a text `mask_text` would change."""
    assert mask_text_series(pd.Series(texts, dtype="str")).tolist() == [mask_text(t) for t in texts]
    for text in texts:
        hidden = [m for m in re.findall(r"[0-9０-９]{14,}", mask_text(text))]
        assert hidden == [], (text, mask_text(text))


def test_mask_tree_masks_values_keys_and_long_integers_but_keeps_digests():
    digest = "ab" + "1234567890123456789" + "cd"
    tree = {"sha256": digest, "notes": ["编号1234567890123456"], "510525199001011234": 1,
            "n": 510525199001011234, "ok": True, "files": [{"sha256": digest}]}
    masked = mask_tree(tree)
    assert masked["sha256"] == digest and masked["files"][0]["sha256"] == digest
    assert "7890123" not in json.dumps(masked, ensure_ascii=False).replace(digest, "")
    assert masked["ok"] is True


def _mask_tree_by_node(value, keep=frozenset({"sha256", "id_key_id"})):
    """`mask_tree` as it was first written, node by node: the reference its faster walk must match."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return mask_text(str(value)) if re.search(r"[0-9]{14}", str(value)) else value
    if isinstance(value, dict):
        return {mask_text(k): (v if k in keep else _mask_tree_by_node(v, keep)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_tree_by_node(v, keep) for v in value]
    return value


_leaves = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(-10 ** 20, 10 ** 20),
                    st.sampled_from([10 ** 13 - 1, 10 ** 13, -10 ** 13, 510525199001011234]),
                    st.builds(lambda a, b: a + b, filler, id_runs()), filler)
_keys = st.one_of(st.sampled_from(["sha256", "id_key_id", "name", 0, False, 1, 1.0, None]), filler,
                  st.builds(lambda a, b: a + b, filler, id_runs()))
_trees = st.recursive(_leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.lists(inner, max_size=3).map(tuple),
                                                      st.dictionaries(_keys, inner, max_size=4)), max_leaves=20)


@given(st.lists(_trees, max_size=4))
@settings(max_examples=300, deadline=None)
def test_mask_tree_masks_as_node_by_node(trees):
    """The walk that masks each recurring key once gives what masking node by node gives, keys of
    other types (0, False, 1.0, None) included."""
    assert repr(mask_tree(trees)) == repr(_mask_tree_by_node(trees))


# ---------------------------------------------------------------- every path out of the tool

ID = "51052519900101001" + check_char("51052519900101001")        # the candidate's own, valid
IN_TEXT = "4401061979111822"                                       # 16 digits written in a remark
REPLY_ID = "510525197001011999"


def _hostile_roster(folder):
    """A roster whose file name, name cell, opinion text and an unreadable cell carry ID-like runs."""
    path = folder / f"花名册{IN_TEXT}.csv"
    rows = [["姓名", "公民身份号码", "拟任职务", "村(社区)", "党纪处分", "公安机关意见"],
            [f"张三{IN_TEXT}", ID, "村委会委员", "平丰村", f"编号{IN_TEXT}", f"经查，编号{IN_TEXT}，无违法犯罪记录但有疑问"]]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    reply = folder / "police.csv"
    reply.write_text(f"公民身份号码,姓名,核查情况\n{REPLY_ID},外村人,编号{IN_TEXT}行政拘留\n", encoding="utf-8")
    return path, reply


def _leaks(text: str) -> list[str]:
    return [hidden for hidden in (_hidden(ID), _hidden(IN_TEXT), _hidden(REPLY_ID)) if hidden in text]


def test_reports_and_stderr_never_show_an_id_number_in_clear(runner, tmp_path):
    roster, reply = _hostile_roster(tmp_path)
    base = ["run", str(roster), "--as-of", "2026-12-15", "--no-history", "--findings", f"公安={reply}"]
    outputs = []
    for fmt in ("json", "csv", "xlsx"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(cli, [*base, "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(result.stderr)
        for path in tmp_path.glob("report*"):
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as book:
                    outputs += [book.read(n).decode("utf-8") for n in book.namelist()]
            else:
                outputs.append(path.read_text(encoding="utf-8-sig"))
    stdout = runner.invoke(cli, [*base, "--format", "json"])
    outputs += [stdout.stdout, stdout.stderr]
    check = runner.invoke(cli, ["check", str(roster), "--row", "2", "--as-of", "2026-12-15"])
    outputs += [check.stdout, check.stderr]
    assert all(not _leaks(text) for text in outputs), [_leaks(t) for t in outputs]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["candidates"][0]["name"] == "张三" + "*" * 16      # 16 digits: not an ID length
    assert report["meta"]["unmatched_replies"][0]["id_number"] == mask_id(REPLY_ID)


def test_show_id_shows_the_id_column_in_clear(runner, tmp_path):
    roster, _ = _hostile_roster(tmp_path)
    result = runner.invoke(cli, ["run", str(roster), "--as-of", "2026-12-15", "--no-history", "--format", "json",
                                 "--show-id"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["candidates"][0]["id_number"] == ID
