"""Joint review: agency opinion columns, reply files, required agencies and the evidence trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from conftest import FIXTURES, committed, generated
from vetting.cli import cli
from vetting.joint.classify import CLEAR, FINDING, PENDING, UNCLASSIFIED, classify_text
from vetting.pipeline import vet_records
from vetting.ruleset.loader import load_ruleset

JOINT = FIXTURES / "joint"
NATIONAL = load_ruleset("national")
CLEAN = "经核查，无违法违纪记录"
AGENCY_COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见", "民政局意见",
                  "自然资源局意见", "农业农村局意见", "乡镇党委意见", "组织部意见"]


@pytest.mark.parametrize("text,status,fields", [
    ("无", CLEAR, {}),
    ("经核查,无违法犯罪记录", CLEAR, {}),
    ("未发现", CLEAR, {}),
    ("未发现涉黑涉恶问题", CLEAR, {}),
    ("未反馈", PENDING, {}),
    ("待反馈", PENDING, {}),
    ("2012年因故意伤害罪被判处有期徒刑一年六个月", FINDING,
     {"criminal_punishment": "有期徒刑", "criminal_date": "2012年"}),
    ("2019.03 因醉驾被判处拘役二个月，缓刑三个月", FINDING,
     {"criminal_punishment": "缓刑", "criminal_date": "2019.03"}),
    ("2020年因危险驾驶罪被免予刑事处罚", FINDING, {"criminal_punishment": "免予刑事处罚"}),
    ("该同志于2025年10月受到党内严重警告处分", FINDING,
     {"party_sanction": "严重警告", "party_sanction_date": "2025年10月"}),
    ("2025-10-08受党内警告处分", FINDING, {"party_sanction": "警告", "party_sanction_date": "2025-10-08"}),
    ("2024年3月受留党察看二年处分", FINDING,
     {"party_sanction": "留党察看", "party_sanction_date": "2024年3月", "party_probation_months": "24"}),
    ("受到政务警告处分（2026.06）", FINDING, {"gov_sanction": "警告", "gov_sanction_date": "2026.06"}),
    ("被列入失信被执行人名单,至今未履行", FINDING, {"dishonest_debtor": "是"}),
    ("已从失信被执行人名单移出", UNCLASSIFIED, {}),  # a human confirms the removal
    # never a false pass: a finding hidden behind a clear-looking start
    ("无犯罪记录但有行政拘留记录", FINDING, {"admin_detention": "是"}),
    ("无刑事处罚记录、有行政拘留记录", FINDING, {"admin_detention": "是"}),
    ("无犯罪记录\n2019年行政拘留记录", FINDING, {"admin_detention": "是", "admin_detention_date": "2019年"}),
    ("没有按期退还挪用的集体资金问题", FINDING, {"funds_misuse_unrectified": "是"}),
    ("无法核实其有无违法犯罪记录", UNCLASSIFIED, {}),
    ("已列入失信被执行人名单未移出", FINDING, {"dishonest_debtor": "是"}),
    # never a false finding from a negated text
    ("未被列入失信被执行人名单", CLEAR, {}),
    ("非失信被执行人", CLEAR, {}),
    ("未发现涉黑涉恶线索", CLEAR, {}),
    ("经核查，该同志无违法犯罪记录，无行政拘留记录", CLEAR, {}),
    ("未被留置", UNCLASSIFIED, {}),
    ("未参加法轮功等邪教组织", UNCLASSIFIED, {}),
    ("2026年10月8日因赌博被公安机关行政处罚（警告）", UNCLASSIFIED, {}),  # a police warning is no 政务处分
    # several events: each is a record of its own, with its own date
    ("2016年3月因赌博被行政拘留五日，2025年8月因斗殴被行政拘留十日", FINDING,
     [{"admin_detention_date": "2016年3月"}, {"admin_detention_date": "2025年8月"}]),
    ("2018年2月受党内警告处分，2026年1月受党内严重警告处分", FINDING,
     [{"party_sanction": "警告", "party_sanction_date": "2018年2月"},
      {"party_sanction": "严重警告", "party_sanction_date": "2026年1月"}]),
    ("2025年3月受到撤销党内职务处分，2025年6月受到党内警告处分", FINDING,
     [{"party_sanction": "撤销党内职务", "party_sanction_date": "2025年3月"},
      {"party_sanction": "警告", "party_sanction_date": "2025年6月"}]),
    ("2020年1月受党内警告处分，2024年3月被行政拘留", FINDING,   # a date belongs to the event after it
     [{"party_sanction": "警告", "party_sanction_date": "2020年1月"},
      {"admin_detention": "是", "admin_detention_date": "2024年3月"}]),
    ("2020年1月受党内警告处分，无行政拘留记录", FINDING,          # a negation after a date is still seen
     [{"party_sanction": "警告", "party_sanction_date": "2020年1月"}]),
    ("未于2020年受到党内警告处分；2024年3月被行政拘留", FINDING,   # ... and one before it
     [{"admin_detention": "是", "admin_detention_date": "2024年3月"}]),
    # one event matched by several patterns is one record: the most specific pattern names it
    ("该同志于2025年10月受到党内严重警告处分", FINDING,
     [{"party_sanction": "严重警告", "party_sanction_date": "2025年10月", "party_probation_months": ""}]),
    ("2025年10月受严重警告处分（2025年10月8日批准）", FINDING, {"party_sanction_date": "2025年10月"}),
    ("经查，该同志无违法违纪记录", CLEAR, {}),
    ("无。无。", CLEAR, {}),
    ("/", PENDING, {}),
    ("查无此人", UNCLASSIFIED, {}),
    ("涉嫌诈骗，已移送起诉", FINDING, {"under_investigation": "是"}),
    ("正在接受纪律审查", FINDING, {"under_investigation": "是"}),
    ("2023年4月因赌博被行政拘留10日", FINDING, {"admin_detention": "是", "admin_detention_date": "2023年4月"}),
    ("2024年5月因非正常上访被训诫", FINDING, {"petition_disorder": "是", "petition_disorder_date": "2024年5月"}),
    ("系涉恶团伙成员", FINDING, {"gang_involved": "是"}),
    ("参与法轮功活动", FINDING, {"cult_involved": "是"}),
    ("2021年换届中拉票贿选被查实", FINDING, {"election_misconduct": "是"}),
    ("经法院认定为限制民事行为能力人", FINDING, {"incapacity": "是"}),
    ("违法占地建房，至今未整改", FINDING, {"land_violation_unrectified": "是"}),
    ("挪用集体资金5万元", FINDING, {"funds_misuse_unrectified": "是"}),
    ("无违纪记录，2024年5月受党内警告处分", FINDING, {"party_sanction": "警告"}),
    ("该同志系老上访户，情况复杂", UNCLASSIFIED, {}),
])
def test_each_opinion_pattern(text, status, fields):
    reading = classify_text(text, NATIONAL.opinions)
    assert reading.status == status
    expected = fields if isinstance(fields, list) else [fields] if fields else []
    assert len(reading.records) == len(expected), reading.records
    for record, wanted in zip(reading.records, expected):
        assert {name: record.get(name) for name in wanted} == wanted, record
    assert reading.unread == ()


@pytest.mark.parametrize("text,unread", [
    ("2025年3月受到撤销党内职务处分；2025年6月受到警告处分", ("2025年6月受到警告处分",)),  # 警告 of what kind?
    ("被列入失信被执行人名单,至今未履行", ()),
    ("2019.03 因醉驾被判处拘役二个月，缓刑三个月", ()),
])
def test_a_record_no_pattern_reads_is_returned_unread(text, unread):
    reading = classify_text(text, NATIONAL.opinions)
    assert reading.status == FINDING and reading.unread == unread


def test_records_beyond_the_limit_of_one_text_are_quoted_for_a_human():
    from vetting.joint.classify import MAX_RECORDS_PER_TEXT
    text = "；".join(f"{2000 + i}年3月被行政拘留" for i in range(MAX_RECORDS_PER_TEXT + 2))
    reading = classify_text(text, NATIONAL.opinions)
    assert len(reading.records) == MAX_RECORDS_PER_TEXT
    assert reading.records[-1]["admin_detention_date"] == f"{2000 + MAX_RECORDS_PER_TEXT - 1}年3月"
    assert reading.unread == (f"另有2项记录超出逐项审查上限{MAX_RECORDS_PER_TEXT}项："
                              f"{2000 + MAX_RECORDS_PER_TEXT}年3月被行政拘留；{2001 + MAX_RECORDS_PER_TEXT}年3月被行政拘留",)


def _run(runner, tmp_path, *extra):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", str(JOINT / "opinions_roster.csv"), "--as-of", "2027-04-15",
                                 "--no-history", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result


def test_office_form_roster_gives_prescribed_verdicts(runner, tmp_path):
    expected = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))
    report, _ = _run(runner, tmp_path)
    by_row = {c["row"]: c for c in report["candidates"]}
    for person in expected["people"]:
        got = by_row[person["row"]]
        assert got["verdict"] == person["verdict"], (person["name"], got["findings"])
        assert sorted({f["rule"] for f in got["findings"]}) == person["rules"], person["name"]
        j01 = "".join(f["reason"] for f in got["findings"] if f["rule"] == "J01")
        assert [code for code in ("C03", "C04", "C05", "S02") if f"：{code} " in j01 or f"、{code} " in j01] \
            == person["waiting"], person["name"]


def test_findings_quote_the_agency_text_as_evidence(runner, tmp_path):
    report, _ = _run(runner, tmp_path)
    qian = next(c for c in report["candidates"] if c["name"] == "钱二")
    finding = next(f for f in qian["findings"] if f["rule"] == "C01")
    assert "公安机关意见" in finding["evidence"] and "有期徒刑一年六个月" in finding["evidence"]
    assert "第3行" in finding["evidence"]


def test_a_chase_list_naming_fewer_than_are_awaited_says_so(runner, tmp_path, monkeypatch):
    """When an agency owes more people than its chase list names (AWAITING_LIST_LIMIT), the count
    says so wherever it is given (meta, stderr) and where each one's pending is found; a list
    naming everyone adds nothing."""
    from vetting.joint import chase

    monkeypatch.setattr(chase, "AWAITING_LIST_LIMIT", 2)
    out = tmp_path / "r.csv"
    result = runner.invoke(cli, ["run", str(FIXTURES / "compact" / "pending_roster.csv"), "--as-of", "2026-12-15",
                                 "--no-history", "-o", str(out)])
    assert result.exit_code == 0, result.output
    chased = out.with_suffix(".awaiting.csv").read_text(encoding="utf-8-sig").splitlines()
    meta = out.with_suffix(".meta.csv").read_text(encoding="utf-8-sig")
    owed = [line for line in meta.splitlines() if line.startswith('"待反馈"')]
    assert owed and len(chased) == 1 + 2 * len(owed)
    note = "（待反馈清单只列出其中2人；每人未反馈的部门见问题明细中的 J01）"
    assert all(line.endswith(note + '"') for line in owed)
    assert result.output.count("人未反馈" + note) == len(owed)
    report, whole = _run(runner, tmp_path)
    assert "只列出" not in whole.output and "待反馈：公安 尚有 1 人未反馈\n" in whole.output


def test_blank_opinion_is_pending_and_agency_is_listed_to_chase(runner, tmp_path):
    report, result = _run(runner, tmp_path)
    zheng = next(c for c in report["candidates"] if c["name"] == "郑七")
    j01 = next(f for f in zheng["findings"] if f["rule"] == "J01")
    assert j01["severity"] == "pending" and "公安" in j01["reason"]
    awaiting = {a["agency"]: a for a in report["meta"]["awaiting"]}
    assert awaiting["公安"]["count"] == 1 and awaiting["公安"]["candidates"][0]["name"] == "郑七"
    assert awaiting["检察院"]["candidates"][0]["name"] == "王八"
    assert "待反馈：公安 尚有 1 人未反馈" in result.output


def test_reply_file_merges_by_id_and_keeps_unmatched_rows(runner, tmp_path):
    report, result = _run(runner, tmp_path, "--findings", f"公安={JOINT / 'replies' / 'police.csv'}")
    people = {c["name"]: c for c in report["candidates"]}
    zhao = people["赵一"]
    assert zhao["verdict"] == "unsuitable"
    c05 = next(f for f in zhao["findings"] if f["rule"] == "C05")
    assert "police.csv 第2行" in c05["evidence"] and "太公(治)决字〔2023〕15号" in c05["evidence"]
    li = people["李四"]
    codes = {f["rule"]: f for f in li["findings"]}
    assert codes["J03"]["severity"] == "review" and "李肆" in codes["J03"]["reason"]
    assert codes["C05"]["severity"] == "review"  # weak match never grounds unsuitable
    assert codes["S01"]["severity"] == "disqualify"  # the court's opinion on the roster is strong
    unmatched = report["meta"]["unmatched_replies"]
    assert len(unmatched) == 1 and unmatched[0]["name"] == "外村人" and "*" in unmatched[0]["id_number"]
    assert "在花名册中找不到对应人选" in result.output
    # the reply answers for the whole roster: 郑七's blank police opinion is no longer awaited
    assert "J01" not in {f["rule"] for f in people["郑七"]["findings"]}


def test_unknown_agency_in_findings_option_is_an_error(runner, tmp_path):
    result = runner.invoke(cli, ["run", str(JOINT / "opinions_roster.csv"), "--as-of", "2027-04-15",
                                 "--no-history", "--findings", f"公按={JOINT / 'replies' / 'police.csv'}"])
    assert result.exit_code == 2 and "公安" in result.output


def _person(**opinions):
    record = {"姓名": "甲", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村",
              "最近一次考核": "称职", "前一次考核": "称职"}
    record |= {c: CLEAN for c in AGENCY_COLUMNS} | opinions
    return record


@pytest.mark.parametrize("text,as_of,verdict", [
    ("2025年10月受党内严重警告处分", "2027-03-31", "disqualified"),   # month window end 2027-04-01..30
    ("2025年10月受党内严重警告处分", "2027-04-15", "review"),
    ("2025年10月受党内严重警告处分", "2027-05-01", "pass"),
    ("2025.10受党内严重警告处分", "2027-04-15", "review"),
    ("2025-10-08受党内严重警告处分", "2027-04-08", "disqualified"),
    ("2025-10-08受党内严重警告处分", "2027-04-09", "pass"),
])
def test_look_back_windows_from_chinese_dates(text, as_of, verdict):
    result = vet_records([_person(纪委监委意见=text)], NATIONAL, dt.date.fromisoformat(as_of))
    assert result.candidates.loc[0, "verdict"] == verdict, result.findings[["rule", "reason"]].values


def test_required_agency_without_any_answer_is_pending():
    record = {"姓名": "甲", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村"}
    result = vet_records([record], NATIONAL, dt.date(2026, 12, 15))
    j01 = result.findings[result.findings["rule"] == "J01"]
    assert set(j01["severity"]) == {"pending"}
    named = " ".join(j01["reason"])
    for agency in ("纪委监委", "公安", "法院", "检察院", "信访"):
        assert agency in named
    assert result.candidates.loc[0, "verdict"] == "pending"


def test_fixture_script_reproduces_files(tmp_path):
    assert generated(JOINT / "make_joint.py", tmp_path, (".csv", ".yaml")) == committed(JOINT, (".csv", ".yaml"))


def _reply_run(runner, tmp_path, reply_csv: str):
    reply = tmp_path / "reply.csv"
    reply.write_text(reply_csv, encoding="utf-8")
    return _run(runner, tmp_path, "--findings", f"公安={reply}")


@pytest.mark.parametrize("order", [0, 1])
def test_several_reply_records_on_one_person_are_each_weighed(runner, tmp_path, order):
    ident = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))["people"][0]["id_number"]
    lines = [f"赵一,{ident},2025年8月因扰乱公共秩序被行政拘留十日", f"赵一,{ident},2016年3月因吸毒被行政拘留五日"]
    report, _ = _reply_run(runner, tmp_path, "姓名,公民身份号码,核查情况\n" + "\n".join(lines[::1 - 2 * order]) + "\n")
    zhao = next(c for c in report["candidates"] if c["name"] == "赵一")
    assert zhao["verdict"] == "unsuitable"
    c05 = [f for f in zhao["findings"] if f["rule"] == "C05"]   # the 2016 detention is past its look-back
    assert len(c05) == 1 and "2025-08" in c05[0]["reason"] and "2025年8月因扰乱公共秩序" in c05[0]["evidence"]


def test_listed_person_without_readable_text_is_never_cleared(runner, tmp_path):
    ident = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))["people"][0]["id_number"]
    report, _ = _reply_run(runner, tmp_path, f"姓名,公民身份号码,随便什么列\n赵一,{ident},2026年8月行政拘留\n")
    zhao = next(c for c in report["candidates"] if c["name"] == "赵一")
    assert zhao["verdict"] == "review"
    assert any(f["rule"] == "J02" and "未写明具体情况" in f["reason"] for f in zhao["findings"])


def test_id_numbers_quoted_from_agency_text_are_masked(runner, tmp_path):
    ident = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))["people"][0]["id_number"]
    report, _ = _reply_run(runner, tmp_path,
                           f"姓名,公民身份号码,核查情况\n赵一,{ident},身份证{ident}于2026年8月被行政拘留\n")
    text = json.dumps(report, ensure_ascii=False)
    assert ident not in text and ident[:6] + "********" in text


def test_reply_listing_nobody_is_an_answer_for_everyone(runner, tmp_path):
    report, _ = _reply_run(runner, tmp_path, "序号,姓名,公民身份号码,核查情况\n")
    zheng = next(c for c in report["candidates"] if c["name"] == "郑七")
    assert "J01" not in {f["rule"] for f in zheng["findings"]}  # the blank police opinion is answered
    assert report["meta"]["replies"][0]["rows"] == 0


def test_reply_workbook_with_a_sheet_per_township_is_read_whole(runner, tmp_path):
    import openpyxl
    people = yaml.safe_load((JOINT / "expected.yaml").read_text(encoding="utf-8"))["people"]
    book = openpyxl.Workbook()
    first = book.active
    first.title = "太平镇"
    first.append(["姓名", "公民身份号码", "核查情况"])
    first.append(["赵一", people[0]["id_number"], "2025年8月因扰乱公共秩序被行政拘留十日"])
    second = book.create_sheet("双沙镇")
    second.append(["姓名", "公民身份号码", "核查情况"])
    second.append(["钱二", people[1]["id_number"], "2025年9月因吸毒被行政拘留五日"])
    path = tmp_path / "police.xlsx"
    book.save(path)
    report, _ = _run(runner, tmp_path, "--findings", f"公安={path}")
    by_name = {c["name"]: c for c in report["candidates"]}
    for name, sheet in (("赵一", "太平镇"), ("钱二", "双沙镇")):
        c05 = next(f for f in by_name[name]["findings"] if f["rule"] == "C05")
        assert f"police.xlsx[{sheet}]" in c05["evidence"]


def test_the_joint_review_returns_new_columns_and_leaves_its_input_alone():
    from vetting.inputs import read_tables
    from vetting.joint.merge import review
    from vetting.normalize.roster import normalise_tables
    from vetting.pipeline import joint_spec

    rules = load_ruleset("national")
    tables = read_tables(JOINT / "opinions_roster.csv", rules.fields)
    before = normalise_tables(tables, rules.fields, rules.required_fields)
    raw, frame, extra = before.raw.copy(), before.frame.copy(), before.extra.copy()
    spec = joint_spec(rules, [("公安", str(JOINT / "replies" / "police.csv"))])
    outcome = review(before, rules.fields, spec)
    assert outcome.columns and outcome.opinion_columns        # it read opinions and set facts ...
    assert before.raw.equals(raw) and before.frame.equals(frame) and before.extra.equals(extra)  # ... in new columns
    assert all(len(values) == len(before) for values in outcome.columns.values())


def _opinion_roster(tmp_path, columns: dict[str, list[str]]):
    """The first three demo candidates with only their basic columns and the given opinion columns."""
    import csv as csv_module

    rows = list(csv_module.reader((FIXTURES / "demo_roster.csv").read_text(encoding="utf-8-sig").splitlines()))
    keep = [rows[0].index(h) for h in ("乡镇(街道)", "村(社区)", "姓名", "性别", "出生年月", "公民身份号码",
                                       "政治面貌", "文化程度", "拟任职务")]
    out = [[rows[0][k] for k in keep] + list(columns)]
    for i, row in enumerate(rows[1:4]):
        out.append([row[k] for k in keep] + [values[i] for values in columns.values()])
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(",".join(r) for r in out), encoding="utf-8")
    return path


def test_an_agency_opinion_under_a_variant_header_is_read(runner, tmp_path):
    """统战部门意见 is 统战's column (not an unmapped one): its cult finding reaches the rules."""
    roster = _opinion_roster(tmp_path, {"统战部门意见": ["无", "曾参与邪教组织活动", "经核查，无"]})
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(roster), "--as-of", "2026-12-15", "--format", "json", "-o", str(out),
                                 "--no-history"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert not [u for u in report["meta"]["unmapped_columns"] if "统战" in u]
    second = report["candidates"][1]
    assert any("统战部门意见" in str(f.get("evidence")) for f in second["findings"]), second["findings"]
    assert second["verdict"] in ("disqualified", "unsuitable", "review")


def test_an_opinion_column_of_an_unknown_body_is_read_and_a_finding_goes_to_review(runner, tmp_path):
    roster = _opinion_roster(tmp_path, {"市场监管局意见": ["无", "2024年5月因无照经营被罚款", "经核查，无违法记录"],
                                        "个人爱好": ["书法", "象棋", "无"]})
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(roster), "--as-of", "2026-12-15", "--format", "json", "-o", str(out),
                                 "--no-history"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    people = report["candidates"]
    j02 = [f for f in people[1]["findings"] if f["rule"] == "J02"]
    assert j02 and "市场监管局意见" in j02[0]["reason"] and "无照经营" in j02[0]["reason"]
    assert not [f for p in (people[0], people[2]) for f in p["findings"] if "市场监管局" in f["reason"]]
    assert "提示：未识别的列（未参与审查）：「个人爱好」" in result.stderr
    assert "市场监管局" not in "".join(report["meta"]["unmapped_columns"])


def test_columns_under_a_joint_review_group_are_opinions_even_without_the_word(tmp_path):
    """A two-level header: 联审部门意见 merged over 统战部门 and 妇联 (a body the pack does not list).
    The first is 统战's column; the second is still read, and a text that is not clear goes to a
    person, quoting the column. Under 基本情况, an unknown column is not an opinion."""
    import openpyxl

    from vetting.pipeline import vet_files

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["基本情况", None, None, None, "联审部门意见", None, None])
    ws.append(["姓名", "公民身份号码", "拟任职务", "特长", "统战部门", "妇联", "纪委监委"])
    ws.merge_cells("A1:D1")
    ws.merge_cells("E1:G1")
    ws.append(["甲", "510525197503120415", "村委会委员", "书法", "无", "有家暴投诉记录", "无"])
    ws.append(["乙", "510525198207060424", "村委会委员", "象棋", "曾参与邪教组织活动", "无", "无"])
    path = tmp_path / "联审表.xlsx"
    wb.save(path)
    result = vet_files([str(path)], NATIONAL, dt.date(2026, 12, 15))
    findings = result.findings
    first = findings[findings["row_id"] == 0]
    j02 = first[first["rule"] == "J02"]
    assert len(j02) == 1 and "「妇联」" in j02["reason"].iloc[0] and "有家暴投诉记录" in j02["reason"].iloc[0]
    second = findings[findings["row_id"] == 1]
    assert "C04" in set(second["rule"]) and "「统战部门」（统战）" in " ".join(second["evidence"])
    assert [u for u in result.meta["unmapped_columns"] if "特长" in u]
    assert not [u for u in result.meta["unmapped_columns"] if "妇联" in u or "统战" in u]
    assert "统战" in result.meta["consulted_agencies"]
    assert not findings["reason"].str.contains("特长").any()


def test_opinions_are_quoted_verbatim_with_their_full_width_punctuation():
    result = vet_records([{"姓名": "甲", "公民身份号码": "510525197503120415", "拟任职务": "村委会委员",
                           "村(社区)": "平丰村", "信访局意见": "该同志系老上访户，情况复杂（待核）",
                           "公安机关意见": "2015年因盗窃罪被判处有期徒刑一年，已刑满释放"}], NATIONAL, dt.date(2026, 12, 15))
    text = " ".join(result.findings["reason"]) + " ".join(result.findings["evidence"])
    assert "该同志系老上访户，情况复杂（待核）" in text
    assert "2015年因盗窃罪被判处有期徒刑一年，已刑满释放" in text
    assert "老上访户,情况" not in text


def _township_roster(path, township: str, people: list[tuple[str, str]]) -> None:
    header = "姓名,公民身份号码,拟任职务,村(社区),乡镇(街道),纪委监委意见,人民法院意见,人民检察院意见,信访局意见\n"
    rows = "".join(f"{name},{id_number},村委会委员,{township}一村,{township},无,无,无,无\n" for name, id_number in people)
    path.write_text(header + rows, encoding="utf-8")


JIA = [("甲一", "510525197503120415"), ("甲二", "510525198207060424")]
YI = [("乙一", "510525196904050433"), ("乙二", "510525198602140440")]


@pytest.mark.parametrize("scope", ["roster", "township"])
def test_a_scoped_reply_answers_only_for_its_own_township(runner, tmp_path, scope):
    jia, yi = tmp_path / "甲镇.csv", tmp_path / "乙镇.csv"
    _township_roster(jia, "甲镇", JIA)
    _township_roster(yi, "乙镇", YI)
    reply = tmp_path / "甲镇公安.csv"
    reply.write_text("姓名,公民身份号码,核查情况\n甲二,510525198207060424,2015年因盗窃罪被判处有期徒刑一年\n",
                     encoding="utf-8")
    target = "甲镇.csv" if scope == "roster" else "甲镇"
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(jia), str(yi), "--as-of", "2026-12-15", "--no-history", "-o", str(out),
                                 "--findings", f"公安={reply}@{target}"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    verdicts = {c["name"]: c["verdict"] for c in report["candidates"]}
    assert verdicts == {"甲一": "pass", "甲二": "disqualified", "乙一": "pending", "乙二": "pending"}
    owed = {c["name"]: [f["rule"] for f in c["findings"] if f["rule"] == "J01"] for c in report["candidates"]}
    assert owed["乙一"] == ["J01"] and owed["甲一"] == []
    assert report["meta"]["replies"][0]["scope"] == target and report["meta"]["replies"][0]["answers_for"] == 2
    assert {a["agency"]: a["count"] for a in report["meta"]["awaiting"]} == {"公安": 2}


def test_a_reply_scope_that_names_nothing_of_the_run_is_refused(runner, tmp_path):
    jia = tmp_path / "甲镇.csv"
    _township_roster(jia, "甲镇", JIA)
    reply = tmp_path / "公安.csv"
    reply.write_text("姓名,公民身份号码,核查情况\n", encoding="utf-8")
    result = runner.invoke(cli, ["run", str(jia), "--as-of", "2026-12-15", "--no-history", "-o",
                                 str(tmp_path / "r.json"), "--findings", f"公安={reply}@丙镇"])
    assert result.exit_code == 2 and "答复范围「丙镇」" in result.output and "甲镇" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.json").exists()
