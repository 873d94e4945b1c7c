"""What a run could not check is said once (meta, every report, stderr), not as a `pending` for
everyone; `pending` means someone owes an answer. Real files: the county 联审 rosters in
fixtures/county (title rows, two-level header, one opinion column per agency)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from conftest import FIXTURES, committed, generated
from vetting.cli import cli
from vetting.errors import VettingError
from vetting.pipeline import ReadOptions, vet_files, vet_records
from vetting.reports import write_report
from vetting.ruleset.loader import load_ruleset
from vetting.runsummary import summary_lines

COUNTY = FIXTURES / "county"
ANSWERED = COUNTY / "联审花名册.xlsx"
UNANSWERED = COUNTY / "联审花名册_未反馈.xlsx"
EXPECTED = yaml.safe_load((COUNTY / "expected.yaml").read_text(encoding="utf-8"))
AS_OF = __import__("datetime").date.fromisoformat(EXPECTED["as_of"])
#: The national rules whose facts the township and the organisation department assess in 考察, the
#: village's voter registration and 户籍 (村委会 candidates), 党龄 (secretaries) and 组织处理; then
#: the relatives on one slate (G02, G06), which need a 户号 or 亲属关系 column.
NOT_COVERED = ["E01", "S03", "S04", "S05", "S06", "S07", "A05", "A06", "A07", "O01", "G02", "G06"]
#: How many of the ten each rule applies to: A05/A06/G02 the 村委会 candidates (两委委员 too), A07 the
#: secretaries, G06 the 村务监督委员会 member.
APPLIES_TO = {**{code: 10 for code in NOT_COVERED}, "A05": 7, "A06": 7, "A07": 2, "G02": 7, "G06": 1}
#: What the first candidate (林国栋, 党组织书记) was not checked for.
FIRST_NOT_COVERED = [code for code in NOT_COVERED if code not in ("A05", "A06", "G02", "G06")]


def _outcomes(result) -> dict[str, tuple[str, list[str], list[str]]]:
    """Per candidate: verdict, rules with findings, rules waiting in a silent agency's J01 finding."""
    findings, waiting = result.findings, result.waiting
    return {name: (verdict, sorted(set(findings.loc[findings["row_id"] == row, "rule"])),
                   sorted(set(waiting.loc[waiting["row_id"] == row, "rule"])))
            for row, name, verdict in zip(result.candidates["row_id"], result.candidates["name"],
                                          result.candidates["verdict"])}


@pytest.mark.parametrize("engine", ["vector", "durable"])
@pytest.mark.parametrize("path,key", [(ANSWERED, "answered"), (UNANSWERED, "unanswered")])
def test_county_roster_verdicts_match_the_documented_ones(national, path, key, engine):
    outcomes = _outcomes(vet_files([str(path)], national, AS_OF, engine=engine))
    expected = {p["name"]: (p[key]["verdict"], sorted(p[key]["rules"]), sorted(p[key]["waiting"]))
                for p in EXPECTED["people"]}
    assert outcomes == expected


def test_the_all_clear_roster_passes_its_clean_candidates_and_says_once_what_it_did_not_cover(national):
    result = vet_files([str(ANSWERED)], national, AS_OF)
    assert result.meta["verdict_counts"]["pass"] == 8
    coverage = result.meta["coverage"]
    assert coverage["mode"] == "partial"
    assert [e["rule"] for e in coverage["not_covered"]] == NOT_COVERED
    assert {e["rule"]: e["candidates"] for e in coverage["not_covered"]} == APPLIES_TO
    assert not any(e["pending"] for e in coverage["not_covered"])
    assert "、".join(NOT_COVERED) in coverage["note"] and "不代表已完成全部资格审查" in coverage["note"]
    assert not result.findings["reason"].str.contains("尚无").any()
    s06 = next(e for e in coverage["not_covered"] if e["rule"] == "S06")
    assert s06["facts"] == ["最近一次考核", "前一次考核"] and s06["agencies"] == ["组织部"]
    assert "增加「最近一次考核」「前一次考核」列" in s06["remedy"] and "--findings 组织部=" in s06["remedy"]
    lines = summary_lines(result)
    for code in NOT_COVERED:
        assert sum(line.lstrip().startswith(code + " ") for line in lines) == 1, (code, lines)
    assert any("enabled: false" in line for line in lines)
    assert any("vet template -r national" in line for line in lines)


def test_pending_names_the_agencies_that_owe_an_answer(national, tmp_path):
    result = vet_files([str(UNANSWERED)], national, AS_OF)
    awaiting = {a["agency"]: a["count"] for a in result.meta["awaiting"]}
    assert awaiting == {"纪委监委": 1, "检察院": 2, "信访": 2}
    j01 = result.findings[result.findings["rule"] == "J01"]
    assert sorted(set(j01["rule_name"])) == ["信访尚未反馈", "检察院尚未反馈", "纪委监委尚未反馈"]
    write_report(result, tmp_path / "r.csv", "csv")
    rows = {r["姓名"]: r for r in csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8-sig"))}
    # S02 waits only on 信访: named in 信访's J01 finding, not as a line (or a summary entry) of its own
    assert rows["黄志明"]["摘要"] == "[待反馈] 检察院、信访尚未出具联审意见"
    huang = j01[j01["row_id"] == result.candidates.loc[result.candidates["name"] == "黄志明", "row_id"].iloc[0]]
    assert huang.loc[huang["rule_name"] == "信访尚未反馈", "reason"].str.endswith(
        "信访尚未反馈联审意见；待其意见判定：S02 近年有非正常上访或聚众闹事行为").all()
    assert not huang.loc[huang["rule_name"] == "检察院尚未反馈", "reason"].str.contains("待其意见").any()
    assert rows["林国栋"]["摘要"] == "[待反馈] 检察院尚未出具联审意见"
    assert rows["赵红梅"]["摘要"].startswith("[C01] ")


def test_strict_coverage_keeps_every_uncovered_rule_pending_for_everyone(national):
    result = vet_files([str(ANSWERED)], national, AS_OF, coverage="strict")
    assert result.meta["verdict_counts"]["pass"] == 0 and result.meta["verdict_counts"]["pending"] == 8
    entries = result.meta["coverage"]["not_covered"]
    assert [e["rule"] for e in entries] == NOT_COVERED and all(e["pending"] for e in entries)
    assert result.meta["coverage"]["note"] == ""
    assert any("按 --coverage strict" in line for line in summary_lines(result))
    assert result.unchecked.empty


def test_a_pack_can_make_strict_coverage_its_default(tmp_path):
    pack = tmp_path / "我县.yaml"
    pack.write_text("id: wo-xian\ntitle: 我县\nversion: '1'\nextends: national\ncoverage: strict\n", encoding="utf-8")
    result = vet_files([str(ANSWERED)], load_ruleset(str(pack)), AS_OF)
    assert result.meta["coverage"]["mode"] == "strict" and result.meta["verdict_counts"]["pass"] == 0
    assert vet_files([str(ANSWERED)], load_ruleset(str(pack)), AS_OF, coverage="partial") \
        .meta["verdict_counts"]["pass"] == 8


def test_a_rule_the_pack_marks_required_stays_pending_when_uncovered(tmp_path):
    pack = tmp_path / "我县.yaml"
    pack.write_text("id: wo-xian\ntitle: 我县\nversion: '1'\nextends: national\n"
                    "rules:\n  - code: S03\n    coverage: required\n", encoding="utf-8")
    result = vet_files([str(ANSWERED)], load_ruleset(str(pack)), AS_OF)
    entries = {e["rule"]: e for e in result.meta["coverage"]["not_covered"]}
    assert entries["S03"]["pending"] and not entries["E01"]["pending"]
    assert result.meta["verdict_counts"]["pass"] == 0
    assert set(result.findings.loc[result.findings["severity"] == "pending", "rule"]) == {"S03"}
    assert any("coverage: required" in line for line in summary_lines(result))


def _record(**facts) -> dict:
    return {"姓名": "林国栋", "公民身份号码": "510525197503120415", "拟任职务": "村委会委员", "村(社区)": "平丰村",
            "政治面貌": "中共党员", **facts}


def test_a_column_covers_its_rule_and_a_blank_cell_is_then_pending(national):
    result = vet_records([_record(长期外出不能正常履职="否"), _record(长期外出不能正常履职="")], national, AS_OF)
    assert "S03" not in [e["rule"] for e in result.meta["coverage"]["not_covered"]]
    s03 = result.findings[result.findings["rule"] == "S03"]
    assert s03["row_id"].tolist() == [1] and s03["severity"].tolist() == ["pending"]


def test_an_agency_opinion_column_covers_the_rules_it_answers_for(national):
    result = vet_records([_record(民政局意见="无")], national, AS_OF)
    assert "E01" not in [e["rule"] for e in result.meta["coverage"]["not_covered"]]
    assert "民政" in result.meta["consulted_agencies"]


def test_a_carried_fact_that_points_at_the_rule_is_never_hidden_as_not_covered(national):
    # S07 needs 评定为不合格党员 and its date: with 是 and no date column, that is someone's answer
    # to chase (pending), not a gap of the run; with 否 the rule is decided.
    result = vet_records([_record(评定为不合格党员="是"), _record(评定为不合格党员="否")], national, AS_OF)
    s07 = result.findings[result.findings["rule"] == "S07"]
    assert s07["row_id"].tolist() == [0] and s07["severity"].tolist() == ["pending"]
    assert "评定为不合格党员日期" in s07["reason"].iloc[0]
    assert "S07" not in set(result.unchecked["rule"])


def test_every_report_shows_the_gap_next_to_the_verdicts(national, tmp_path):
    result = vet_files([str(ANSWERED)], national, AS_OF)
    write_report(result, tmp_path / "r.xlsx", "xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert [r[1] for r in summary if r[0] == "未覆盖规则"] == NOT_COVERED
    head = [c.value for c in wb["候选人"][1]]
    column = head.index("未覆盖规则")
    assert head[column - 1] == "结论代码"
    assert wb["候选人"].cell(row=2, column=column + 1).value == "、".join(FIRST_NOT_COVERED)
    notes = dict((r[0], r[1]) for r in wb["说明"].iter_rows(values_only=True))
    assert "不代表已完成全部资格审查" in notes["审查范围"]
    write_report(result, tmp_path / "r.json", "json")
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["candidates"][0]["not_covered"] == FIRST_NOT_COVERED
    assert doc["meta"]["coverage"]["not_covered"][0]["rule"] == "E01"
    write_report(result, tmp_path / "r.csv", "csv")
    meta = (tmp_path / "r.meta.csv").read_text(encoding="utf-8-sig")
    assert meta.count("未覆盖规则") == len(NOT_COVERED)


def test_cli_coverage_option(runner, tmp_path):
    out = tmp_path / "r.json"
    args = ["run", str(ANSWERED), "--as-of", "2026-12-15", "--no-history", "-o", str(out)]
    result = runner.invoke(cli, [*args, "--coverage", "strict"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["verdict_counts"]["pass"] == 0
    assert "按 --coverage strict" in result.output
    bad = runner.invoke(cli, [*args, "--coverage", "loose"])
    assert bad.exit_code == 2 and "loose" in bad.output and "Traceback" not in bad.output
    assert Path(out).exists()


def test_rule_level_coverage_values_are_validated(tmp_path):
    from vetting.errors import RulesetError

    pack = tmp_path / "坏.yaml"
    pack.write_text("id: bad\ntitle: 坏\nversion: '1'\nextends: national\n"
                    "rules:\n  - code: S03\n    coverage: always\n", encoding="utf-8")
    with pytest.raises(RulesetError, match="coverage") as caught:
        load_ruleset(str(pack))
    assert "第7行" in str(caught.value) or ":7" in str(caught.value)


def test_fixture_script_reproduces_files(tmp_path):
    assert generated(COUNTY / "make_county.py", tmp_path, (".xlsx", ".yaml")) == committed(COUNTY, (".xlsx", ".yaml"))


PENDING_ROSTER = FIXTURES / "compact" / "pending_roster.csv"


def _two_files(tmp_path, dropped, renamed=None):
    """The pending roster as two files of 120 people, 甲.csv without the `dropped` columns (and
    with columns `renamed`): files of one county that ask different things."""
    frame = pd.read_csv(PENDING_ROSTER, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    frame.iloc[:120].drop(columns=dropped).rename(columns=renamed or {}).to_csv(first, index=False, encoding="utf-8-sig")
    frame.iloc[120:].to_csv(second, index=False, encoding="utf-8-sig")
    return [str(first), str(second)]


def _of_file(result, name):
    rows = result.candidates.loc[result.candidates["source_file"] == name, "row_id"]
    return result.findings[result.findings["row_id"].isin(rows)]


@pytest.mark.parametrize("engine", ["vector", "durable"])
def test_a_file_without_a_rules_columns_is_not_covered_for_its_people_only(national, tmp_path, engine):
    """甲.csv has no assessment columns, 乙.csv has: S06 is checked for 乙's people and said once
    as not covered for 甲's 120 (naming the file), not made 甲's people's `pending`."""
    files = _two_files(tmp_path, ["最近一次考核", "前一次考核"])
    result = vet_files(files, national, AS_OF, engine=engine)
    s06 = next(e for e in result.meta["coverage"]["not_covered"] if e["rule"] == "S06")
    assert s06["files"] == ["甲.csv"] and s06["candidates"] == 120 and not s06["pending"]
    assert s06["remedy"].startswith("在甲.csv中增加「最近一次考核」「前一次考核」列")
    assert "S06" in result.meta["coverage"]["note"]
    assert not (_of_file(result, "甲.csv")["rule"] == "S06").any()
    assert "files" not in next(e for e in result.meta["coverage"]["not_covered"] if e["rule"] == "S07")
    both = vet_files([str(PENDING_ROSTER)], national, AS_OF)
    assert (_of_file(result, "乙.csv")["rule"] == "S06").sum() == (both.findings["rule"] == "S06").sum() > 0
    strict = vet_files(files, national, AS_OF, coverage="strict")
    s06 = next(e for e in strict.meta["coverage"]["not_covered"] if e["rule"] == "S06")
    assert s06["pending"] and s06["files"] == ["甲.csv"]
    assert (_of_file(strict, "甲.csv")["rule"] == "S06").sum() == 120


def test_people_of_a_file_without_an_agency_column_do_not_owe_it_that_answer(national, tmp_path):
    """甲.csv has no 政法委意见 column (政法委 is not required): its people were not asked, so none
    owes 政法委 an answer (the stacked read made their missing cell a blank opinion); 乙's blank
    ones do. Without 纪委监委意见 (a required agency) 甲's people owe it one as the pack requires."""
    result = vet_files(_two_files(tmp_path, ["政法委意见", "纪委监委意见"]), national, AS_OF)
    first, second = _of_file(result, "甲.csv"), _of_file(result, "乙.csv")
    assert not (first["rule_name"] == "政法委尚未反馈").any()
    owed = second[second["rule_name"] == "政法委尚未反馈"]
    assert len(owed) and owed["evidence"].str.endswith("「政法委意见」列").all()
    assert {a["agency"]: a["count"] for a in result.meta["awaiting"]}["政法委"] == len(owed)
    assert "政法委" in result.meta["consulted_agencies"]
    required = first[first["rule_name"] == "纪委监委尚未反馈"]
    assert len(required) == 120 and required["reason"].str.contains("本规则集要求纪委监委").all()


def test_an_agencys_column_named_differently_in_two_files_is_read_for_each_files_people(national, tmp_path):
    """公安机关意见 in 乙.csv, 派出所意见 in 甲.csv: each file's silent people owe 公安 an answer
    once, quoting their own file's column."""
    result = vet_files(_two_files(tmp_path, [], {"公安机关意见": "派出所意见"}), national, AS_OF)
    police = result.findings[result.findings["rule_name"] == "公安尚未反馈"]
    assert not police.duplicated("row_id").any()
    ours = result.candidates.set_index("row_id")["source_file"]
    files = police["row_id"].map(ours)
    assert police.loc[files == "甲.csv", "evidence"].str.endswith("「派出所意见」列").all()
    assert police.loc[files == "乙.csv", "evidence"].str.endswith("「公安机关意见」列").all()
    assert (files == "甲.csv").any() and (files == "乙.csv").any()


SLATES = FIXTURES / "groups" / "slate_roster.csv"


def _slates_in_two_files(tmp_path):
    """The slate roster as 甲.csv (东村, without 户号 and 亲属关系) and 乙.csv (西村, with both)."""
    frame = pd.read_csv(SLATES, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first, second = tmp_path / "甲.csv", tmp_path / "乙.csv"
    east = frame["村(社区)"] == "东村"
    frame[east].drop(columns=["户号", "亲属关系"]).to_csv(first, index=False, encoding="utf-8-sig")
    frame[~east].to_csv(second, index=False, encoding="utf-8-sig")
    return [str(first), str(second)]


def test_relatives_on_a_slate_are_not_covered_where_no_column_tells_them(national, tmp_path):
    """Relatives on one slate need a 户号 or 亲属关系 column: a roster with neither says G02 once
    (never a silent 通过 of the relatives check); a file without them, for its slate members only."""
    whole = vet_files([str(ANSWERED)], national, AS_OF)
    g02 = next(e for e in whole.meta["coverage"]["not_covered"] if e["rule"] == "G02")
    assert g02["facts"] == ["户号或亲属关系"] and g02["candidates"] == 7 and "files" not in g02
    assert g02["remedy"] == "在花名册中增加「户号」或「亲属关系」列"
    both = vet_files([str(SLATES)], national, AS_OF)
    assert not any(e["rule"].startswith("G") for e in both.meta["coverage"]["not_covered"])
    split = vet_files(_slates_in_two_files(tmp_path), national, AS_OF)
    g02 = next(e for e in split.meta["coverage"]["not_covered"] if e["rule"] == "G02")
    assert g02["files"] == ["甲.csv"] and g02["candidates"] == 3      # 东村's 书记兼主任 and two 委员
    west = split.candidates.loc[split.candidates["source_file"] == "乙.csv", "row_id"]
    found = split.findings[split.findings["rule"] == "G02"]
    assert len(found) == 2 and found["row_id"].isin(west).all()
    unchecked = split.unchecked[split.unchecked["rule"] == "G02"]["row_id"]
    assert sorted(split.candidates.loc[unchecked, "name"]) == sorted(
        split.candidates.loc[(split.candidates["source_file"] == "甲.csv")
                             & split.candidates["role"].isin(["书记兼主任", "村委会委员"]), "name"])


def test_strict_coverage_keeps_relatives_not_covered_pending_for_the_slate(national):
    strict = vet_files([str(ANSWERED)], national, AS_OF, coverage="strict")
    g02 = strict.findings[strict.findings["rule"] == "G02"]
    assert len(g02) == 7 and (g02["severity"] == "pending").all()
    assert g02["reason"].str.startswith("尚无「户号」或「亲属关系」信息").all()
    assert g02["evidence"].str.endswith("：无「户号」列；无「亲属关系」列").all()


def test_one_candidate_is_not_told_about_relatives(national):
    """`vet check` of one person: rules across candidates have no one to compare with (nothing said)."""
    result = vet_records([{"name": "张三", "id_number": "11010519491231002X", "role": "村委会委员"}], national,
                         AS_OF)
    assert not any(e["rule"].startswith("G") for e in result.meta["coverage"]["not_covered"])


def test_people_outside_a_replys_scope_still_owe_that_agency_an_answer(national, tmp_path):
    """甲.csv has no 民政局意见; 民政 (not a required agency) replies for 乙.csv only: 甲's people
    stay pending for 民政 until their own reply arrives: its J01, naming E01 as waiting on it, and
    its chase list; E01 is checked for 乙's."""
    files = _two_files(tmp_path, ["民政局意见"])
    frame = pd.read_csv(files[1], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    reply = tmp_path / "民政回复.csv"
    frame.iloc[[5]][["姓名", "公民身份号码"]].assign(核查情况="2024年拉票贿选").to_csv(reply, index=False,
                                                                                     encoding="utf-8-sig")
    result = vet_files(files, national, AS_OF, ReadOptions(replies=(("民政", str(reply), "乙.csv"),)))
    assert not any(e["rule"] == "E01" for e in result.meta["coverage"]["not_covered"])
    owed = _of_file(result, "甲.csv")
    owed = owed[owed["rule_name"] == "民政尚未反馈"]
    assert len(owed) == 120 and owed["reason"].str.contains("民政的回复文件只答复了部分人选").all()
    assert owed["reason"].str.contains("E01").all()
    assert {a["agency"]: a["count"] for a in result.meta["awaiting"]}["民政"] == 120
    assert (_of_file(result, "乙.csv")["rule"] == "E01").sum() == 1


def test_each_file_is_told_what_it_lacks(national, tmp_path):
    """甲.csv lacks the assessment columns, 乙.csv 入党时间: each file is named with its own columns."""
    frame = pd.read_csv(PENDING_ROSTER, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    paths = [tmp_path / "甲.csv", tmp_path / "乙.csv", tmp_path / "丙.csv"]
    frame.iloc[:80].drop(columns=["最近一次考核", "前一次考核"]).to_csv(paths[0], index=False, encoding="utf-8-sig")
    frame.iloc[80:160].drop(columns=["入党时间"]).to_csv(paths[1], index=False, encoding="utf-8-sig")
    frame.iloc[160:].to_csv(paths[2], index=False, encoding="utf-8-sig")
    entries = {e["rule"]: e for e in vet_files([str(p) for p in paths], national, AS_OF).meta["coverage"]["not_covered"]}
    assert entries["S06"]["files"] == ["甲.csv"] and entries["S06"]["remedy"].startswith("在甲.csv中增加「最近一次考核」")
    assert entries["A07"]["files"] == ["乙.csv"] and entries["A07"]["remedy"] == "在乙.csv中增加「入党时间」列"


def test_relatives_not_covered_leave_out_who_the_rule_found_and_who_has_no_one_to_compare(national, tmp_path):
    """Without 户号 and 亲属关系, strict: 马德 is on the 村务监督委员会 slate and the 村委会's under one
    ID number (G06 found it, no G06 pending for him); 陈一, alone on 东村's slate once 陈二 is left
    out, has no one to be related to (no G02 pending)."""
    frame = pd.read_csv(FIXTURES / "groups" / "statutory_roster.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    roster = tmp_path / "s.csv"
    frame[frame["姓名"] != "陈二"].drop(columns=["户号", "亲属关系"]).to_csv(roster, index=False, encoding="utf-8-sig")
    strict = vet_files([str(roster)], national, AS_OF, coverage="strict")
    g06 = strict.findings[strict.findings["rule"] == "G06"].merge(strict.candidates[["row_id", "name"]])
    assert g06.groupby("name")["severity"].apply(list).to_dict() == {
        "马德": ["review"], "苏梅": ["pending"], "马成": ["pending"], "王平": ["pending"]}
    g02 = strict.findings[strict.findings["rule"] == "G02"].merge(strict.candidates[["row_id", "name"]])
    assert "陈一" not in set(g02["name"]) and "林一" in set(g02["name"])
    partial = vet_files([str(roster)], national, AS_OF)
    assert {e["rule"]: e["candidates"] for e in partial.meta["coverage"]["not_covered"]}["G06"] == 3


def test_a_reply_scope_names_one_roster_file(national, tmp_path):
    """Two files named 名册.csv: a scope by that name alone is refused (which one is not said);
    the name reports give them (a/名册.csv) is taken wherever the command is run."""
    frame = pd.read_csv(PENDING_ROSTER, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for folder, part in (("a", frame.iloc[:5]), ("b", frame.iloc[5:10])):
        (tmp_path / folder).mkdir()
        part.to_csv(tmp_path / folder / "名册.csv", index=False, encoding="utf-8-sig")
    reply = tmp_path / "公安.csv"
    frame.iloc[[0]][["姓名", "公民身份号码"]].assign(核查情况="2023年4月2日因吸毒被行政拘留十日").to_csv(
        reply, index=False, encoding="utf-8-sig")
    rosters = [str(tmp_path / "a" / "名册.csv"), str(tmp_path / "b" / "名册.csv")]
    with pytest.raises(VettingError, match="对应多个花名册文件（a/名册.csv、b/名册.csv）"):
        vet_files(rosters, national, AS_OF, ReadOptions(replies=(("公安", str(reply), "名册.csv"),)))
    result = vet_files(rosters, national, AS_OF, ReadOptions(replies=(("公安", str(reply), "a/名册.csv"),)))
    assert [r["answers_for"] for r in result.meta["replies"]] == [5]
