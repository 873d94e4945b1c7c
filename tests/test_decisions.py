"""Recorded human decisions (复核结论, `--decisions`): read with the project's readers, applied after
the engine (the same for both engines), shown in every report format with IDs masked, recorded in
the history and explained by `vet history compare`. Fixtures: fixtures/decisions/ (see its README)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import FIXTURES
from vetting.cli import cli
from vetting.decisions import DecisionFileError, apply_decisions, read_decisions
from vetting.decisions.model import decided_severity
from vetting.decisions.template import read_report, template_rows, write_decisions_template
from vetting.errors import RulesetError
from vetting.history import open_history
from vetting.pipeline import vet_files
from vetting.privacy import mask_text
from vetting.reports import format_json, report_bytes, write_report
from vetting.reviewcode import finding_code, finding_codes, normalise_code
from vetting.ruleset.loader import load_ruleset

DEMO = str(FIXTURES / "demo_roster.csv")
HERE = FIXTURES / "decisions"
AS_OF = dt.date(2026, 12, 15)
ARGS = [DEMO, "--as-of", "2026-12-15"]
#: Every full ID number the decisions fixtures name (people on the roster and one who is not).
FULL_IDS = ("510502198001241719", "640323196908152176", "510525198604250803", "510502197002281240",
            "110101199003077777", "510525196803170794")


@pytest.fixture(scope="module")
def engine_result(national):
    return vet_files([DEMO], national, AS_OF)


@pytest.fixture(scope="module")
def decided(engine_result, national):
    return _apply(engine_result, HERE / "decisions.csv", national)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Two `vet run`s into one history database: without decisions, then with them; returns the
    database and the second run's terminal output."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("decided")
    db = folder / "h.sqlite3"
    outputs = []
    for extra in ([], ["--decisions", str(HERE / "decisions.csv")]):
        result = CliRunner().invoke(cli, ["run", *ARGS, "--db", str(db), *extra, "-o", str(folder / "r.json")])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return db, outputs[-1]


def _person(result, name):
    c = result.candidates
    row = c[c["name"] == name].iloc[0]
    return row, result.findings[result.findings["row_id"] == row["row_id"]]


def test_a_decision_clears_a_review_and_the_finding_stays_visible(decided, engine_result):
    before, _ = _person(engine_result, "罗晓东")
    after, findings = _person(decided, "罗晓东")
    assert (before["verdict"], after["verdict"]) == ("review", "pass")
    c02 = findings[findings["rule"] == "C02"].iloc[0]
    assert c02["severity"] == "notice" and c02["severity_before"] == "review"
    assert c02["review"].startswith("已复核：同意提名（原为需复核）；县换届联审小组，2026-12-01，联审〔2026〕5号")
    assert "说明：经研判免予刑事处罚不属于受过刑事处罚，同意提名" in c02["review"]   # punctuation kept as written
    assert decided.meta["verdict_counts"]["pass"] == engine_result.meta["verdict_counts"]["pass"] + 3


def test_disagreeing_raises_a_review_to_unsuitable_and_never_lowers(decided):
    row, findings = _person(decided, "郑永福")
    assert row["verdict"] == "unsuitable"
    assert findings.loc[findings["rule"] == "D03", "severity"].tolist() == ["unsuitable"]
    assert decided_severity("不同意提名", "disqualify") == "disqualify"
    assert decided_severity("维持", "review") == "review"


def test_a_reviewable_disqualify_may_be_cleared(decided):
    row, findings = _person(decided, "赵军")
    assert row["verdict"] == "pass"
    assert findings.loc[findings["rule"] == "C01", "review"].str.contains("依法封存").all()


def test_a_stale_decision_is_listed_and_not_applied(decided, engine_result):
    row, findings = _person(decided, "黄婷")
    assert row["verdict"] == "disqualified" and findings["review"].isna().all()
    [stale] = decided.meta["decisions"]["stale"]
    assert (stale["row"], stale["rule"]) == (4, "D01")
    assert "复核依据码现为BFA67D2F" in stale["why"]


def test_decisions_for_nobody_or_for_no_finding_are_listed_never_dropped(decided):
    unmatched = {e["row"]: e["why"] for e in decided.meta["decisions"]["unmatched"]}
    assert unmatched == {5: "该人选本次没有「C05」问题",
                         6: "花名册中没有公民身份号码为110101199003077777的人选"}
    table = decided.decisions
    assert len(table) == 7 and table["status"].value_counts().to_dict() == {"applied": 4, "unmatched": 2, "stale": 1}


def test_a_person_named_by_file_row_and_name(decided, engine_result, national, tmp_path):
    row, findings = _person(decided, "韩冰")
    assert row["verdict"] == "pass" and findings["review"].notna().any()
    wrong = tmp_path / "wrong_name.csv"
    wrong.write_text("来源文件,行号,姓名,规则编号,复核依据码,复核结论,复核人/决定机关,决定日期,说明\n"
                     "demo_roster.csv,26,韩兵,V03,195EA393,撤销,乡镇党委,2026-11-28,已更正\n", encoding="utf-8")
    out = _apply(engine_result, wrong, national)
    assert out.meta["decisions"]["unmatched"][0]["why"] == "demo_roster.csv 第26行的人选是「韩冰」，不是「韩兵」"


def _apply(result, path, ruleset):
    decisions, audit = read_decisions(path)
    return apply_decisions(result, decisions, ruleset, audit)


def test_the_xlsx_decisions_file_reads_like_the_csv():
    csv_rows, _ = read_decisions(HERE / "decisions.csv")
    xlsx_rows, audit = read_decisions(HERE / "decisions.xlsx")   # a title line above the header
    assert [replace(d, file="", row=d.row - 1) for d in xlsx_rows] == [replace(d, file="") for d in csv_rows]
    assert audit["rows"] == 7 and len(audit["sha256"]) == 64


def test_clearing_a_non_reviewable_disqualify_or_a_pending_is_an_error_naming_the_row(engine_result, national):
    with pytest.raises(DecisionFileError) as caught:
        _apply(engine_result, HERE / "refused.csv", national)
    assert caught.value.problems[0].startswith("refused.csv 第2行：「A01」为取消资格，"
                                               "规则集「national」未将该规则列为可复核")
    assert caught.value.problems[1].startswith("refused.csv 第3行：「S01」为待反馈")
    assert "510525200812160685" not in caught.value.message


def test_a_bad_decisions_file_stops_the_run_before_anything_is_read_or_written(runner, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", *ARGS, "--no-history", "--decisions", str(HERE / "bad_rows.csv"),
                                 "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert "复核结论文件" in result.output and "bad_rows.csv 第3行「复核依据码」列" in result.output
    assert "Traceback" not in result.output


def test_a_pack_can_close_a_rule_to_review(engine_result, tmp_path):
    pack = tmp_path / "county.yaml"
    pack.write_text("id: county\ntitle: 本县\nversion: 1\nextends: national\n"
                    "rules:\n  - {code: C01, reviewable: false}\n", encoding="utf-8")
    closed = load_ruleset(str(pack))
    with pytest.raises(DecisionFileError, match="decisions.csv 第8行：「C01」为取消资格"):
        _apply(engine_result, HERE / "decisions.csv", closed)
    pack.write_text("id: county\ntitle: 本县\nversion: 1\nextends: national\n"
                    "rules:\n  - {code: C01, reviewable: 是}\n", encoding="utf-8")
    with pytest.raises(RulesetError, match=r"county.yaml:6: rules\[0\].reviewable: 应为true/false"):
        load_ruleset(str(pack))


def test_bad_rows_give_file_row_and_column(tmp_path):
    with pytest.raises(DecisionFileError) as caught:
        read_decisions(HERE / "bad_rows.csv")
    assert caught.value.problems == [
        "bad_rows.csv 第2行「复核结论」列：「同意」不是可用的复核结论（是否想写：同意提名？）"
        "（可选：维持、撤销、同意提名、不同意提名）",
        "bad_rows.csv 第3行「复核依据码」列：「XYZ」应为8位字母数字（0-9、A-F），如 3FA91B2C",
        "bad_rows.csv 第4行「复核人/决定机关」列：未填写",
        "bad_rows.csv 第4行「决定日期」列：「2026-13-45」无法识别（日期不存在：2026-13-45）",
        "bad_rows.csv 第4行：未填「公民身份号码」时须填「来源文件」「行号」「姓名」三项",
        "bad_rows.csv 第5行「说明」列：「撤销」须写明理由（如：经核实非本人；依法封存的未成年人犯罪记录）",
    ]
    assert "510502198001241719" not in caught.value.message
    masked = tmp_path / "masked.csv"
    masked.write_text("公民身份号码,规则编号,复核依据码,复核结论,复核人/决定机关,决定日期\n"
                      "510502********1719,C02,F7657D86,维持,乡镇党委,2026-12-01\n", encoding="utf-8")
    with pytest.raises(DecisionFileError, match="masked.csv 第2行「公民身份号码」列：是打码后的号码"):
        read_decisions(masked)
    with pytest.raises(DecisionFileError, match="缺少「复核依据码」列"):
        read_decisions(HERE / "missing_column.csv")
    with pytest.raises(DecisionFileError, match="找不到复核结论表头"):
        read_decisions(HERE / "no_header.csv")


def test_ids_are_masked_in_every_output_of_decisions(decided, tmp_path, recorded):
    texts = [report_bytes(decided, "json").decode(), report_bytes(decided, "html").decode()]
    write_report(decided, tmp_path / "r.csv", "csv")
    texts += [p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("r*.csv")]
    assert "已复核" in texts[-1] or any("已复核" in t for t in texts)
    write_report(decided, tmp_path / "r.xlsx", "xlsx")
    book = load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert "复核结论" in book.sheetnames
    texts += [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    db, output = recorded
    texts += [output, db.read_bytes().decode("utf-8", "replace")]
    with sqlite3.connect(db) as conn:
        texts += [repr(conn.execute("SELECT * FROM decisions").fetchall())]
    leaked = [i for i in FULL_IDS for t in texts if i in t]
    assert not leaked
    assert "复核结论未匹配：decisions.csv 第6行 查无此人 110101********7777 C01 撤销" in output


def test_every_format_marks_the_decided_finding(decided):
    report = json.loads(format_json(decided))
    person = next(c for c in report["candidates"] if c["name"] == "罗晓东")
    assert person["verdict"] == "pass"
    [c02] = [f for f in person["findings"] if f["rule"] == "C02"]
    assert c02["review"]["decision"] == "同意提名" and c02["review"]["severity_before"] == "review"
    assert c02["review"]["document"] == "联审〔2026〕5号"
    assert json.loads(json.dumps(report, ensure_ascii=False, indent=2)) == report
    csv_text = report_bytes(decided, "csv").decode("utf-8-sig")
    assert "（已复核：同意提名（原为需复核）" in csv_text
    assert "已复核：不同意提名" in report_bytes(decided, "html").decode()


def test_vet_check_applies_decisions(runner):
    result = runner.invoke(cli, ["check", DEMO, "--row", "18", "--as-of", "2026-12-15", "--engine", "vector",
                                 "--decisions", str(HERE / "decisions.csv")])
    assert result.exit_code == 0, result.output
    assert "审查结论：通过（pass）" in result.output and "已复核：同意提名" in result.output
    assert "复核结论（decisions.csv 第2行 C02 同意提名）：已适用" in result.output


def test_history_compare_shows_the_decision_that_changed_a_verdict(runner, recorded):
    db = str(recorded[0])
    compared = runner.invoke(cli, ["history", "--db", db, "compare", "1", "2"])
    assert compared.exit_code == 0, compared.output
    assert "结论有变化：4 人" in compared.output
    assert ("复核结论（decisions.csv 第2行）：[C02] 同意提名，县换届联审小组，2026-12-01，联审〔2026〕5号"
            "——已适用（需复核 → 通过）") in compared.output
    shown = runner.invoke(cli, ["history", "--db", db, "show", "2"])
    assert "未匹配的复核结论：1 条" in shown.output and "110101********7777" in shown.output
    with open_history(db) as store:
        run = store.run(2)
    assert sum(len(c.decisions) for c in run.candidates) == 6 and len(run.unmatched_decisions) == 1


def test_a_version_4_history_gains_the_decisions_table(tmp_path):
    db = tmp_path / "old.sqlite3"
    with open_history(db, create=True):
        pass
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE decisions")
        conn.execute("PRAGMA user_version = 4")
    with open_history(db) as store:
        assert store.count() == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
        assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_both_engines_give_the_same_decided_report(decided, national):
    durable = vet_files([DEMO], national, AS_OF, engine="durable")
    other = _apply(durable, HERE / "decisions.csv", national)
    pd.testing.assert_frame_equal(other.candidates, decided.candidates)
    key = ["row_id", "rule", "reason"]
    pd.testing.assert_frame_equal(other.findings.sort_values(key).reset_index(drop=True),
                                  decided.findings.sort_values(key).reset_index(drop=True))
    assert other.meta["decisions"] == decided.meta["decisions"]
    pd.testing.assert_frame_equal(other.decisions, decided.decisions)


def test_template_from_a_report_carries_the_codes_and_round_trips(engine_result, national, tmp_path):
    report = tmp_path / "r.json"
    report.write_bytes(format_json(engine_result))   # masked IDs: people named by file + row + name
    rows = template_rows(read_report(report))
    codes = finding_codes(engine_result.findings, engine_result.candidates)
    flagged = engine_result.findings["severity"].isin(["disqualify", "unsuitable", "review"])
    assert sorted(r["复核依据码"] for r in rows) == sorted(codes[flagged])
    assert all(r["公民身份号码"] == "" and r["行号"] for r in rows)
    for row in rows:
        if row["姓名"] == "罗晓东":
            row.update({"复核结论": "撤销", "复核人/决定机关": "乡镇党委", "决定日期": "2026-12-02", "说明": "经核实"})
    template = tmp_path / "t.xlsx"
    write_decisions_template(template, "xlsx", national, rows)
    decisions, audit = read_decisions(template)
    assert [d.name for d in decisions] == ["罗晓东"] and audit["undecided"] == len(rows) - 1
    out = apply_decisions(engine_result, decisions, national, audit)
    assert out.meta["decisions"]["applied"] == 1 and not out.meta["decisions"]["stale"]


def test_vet_template_decisions_command(runner, tmp_path):
    out = tmp_path / "复核结论.csv"
    result = runner.invoke(cli, ["template", "--decisions", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("公民身份号码,来源文件,行号,姓名,规则编号")
    result = runner.invoke(cli, ["template", "--from", str(out), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "--from 只能与 --decisions 同用" in result.output
    result = runner.invoke(cli, ["template", "--decisions", "--from", str(out), "-o", str(tmp_path / "y.xlsx")])
    assert result.exit_code == 2 and "不是 vet run 输出的 JSON 报告" in result.output


_TEXT = st.text(alphabet=st.sampled_from(list("0123456789Xx -年月：第行，「」=") + ["１", "\u3000", "张"]), max_size=50)


@settings(max_examples=200, deadline=None)
@given(rule=st.sampled_from(["C01", "V01", "J03"]), reason=_TEXT, evidence=_TEXT)
def test_a_finding_code_is_the_same_from_a_masked_report(rule, reason, evidence):
    """`--from 报告.json` recomputes codes from masked texts: they must equal the run's own."""
    assert finding_code(rule, reason, evidence) == finding_code(rule, mask_text(reason), mask_text(evidence))
    assert normalise_code(" 3fa9-1b2c ") == "3FA91B2C"



_FILES = st.sampled_from(["花名册.csv", "甲 第3行.csv", "a.csv", "回复.xlsx"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["C01", "J01", None]), _TEXT,
                          st.one_of(st.none(), _TEXT, st.tuples(_FILES, st.integers(1, 12), _TEXT)),
                          _FILES, st.integers(1, 12)), min_size=1, max_size=30),
       st.sampled_from(["object", "category", "str"]))
def test_finding_codes_of_a_table_are_each_findings_own_code(rows, dtype):
    """The whole table's codes, worked out once per distinct finding, are those of finding_code
    one finding at a time (evidence starting with the candidate's own row or another's)."""
    people = {}
    for row_id, _, _, _, file, line in rows:
        people.setdefault(row_id, (file, line))
    evidence = [f"{e[0]} 第{e[1]}行{e[2]}" if isinstance(e, tuple) else e for _, _, _, e, _, _ in rows]
    findings = pd.DataFrame({"row_id": [r[0] for r in rows], "rule": [r[1] for r in rows],
                             "reason": [r[2] for r in rows], "evidence": evidence})
    if dtype != "object":
        findings = findings.astype({"rule": dtype, "reason": dtype, "evidence": dtype})
    candidates = pd.DataFrame({"row_id": list(people), "source_file": [v[0] for v in people.values()],
                               "source_row": [v[1] for v in people.values()]})
    expected = [finding_code(r[1], r[2], e, "{} 第{}行".format(*people[r[0]])) for r, e in zip(rows, evidence)]
    assert finding_codes(findings, candidates).tolist() == expected

def test_the_report_may_not_overwrite_the_decisions_file(runner, tmp_path):
    copy = tmp_path / "复核结论.csv"
    copy.write_bytes((HERE / "decisions.csv").read_bytes())
    result = runner.invoke(cli, ["run", *ARGS, "--no-history", "--decisions", str(copy), "--format", "csv",
                                 "-o", str(copy)])
    assert result.exit_code == 2 and "复核结论文件" in result.output
    assert copy.read_bytes() == (HERE / "decisions.csv").read_bytes()


@pytest.mark.slow  # a third vetting of the roster, for one note of `vet diff`
def test_vet_diff_against_a_decided_run_says_the_decisions_are_not_reapplied(runner, recorded):
    result = runner.invoke(cli, ["diff", DEMO, "--run", "2", "--db", str(recorded[0]), "--new", "national",
                                 "--as-of", "2026-12-15"])
    assert result.exit_code in (0, 1), result.output
    assert "记录 #2 适用了复核结论（4人的结论因此改变），本次审查未适用" in result.output
