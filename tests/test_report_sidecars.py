"""CSV report sidecars (``<name>.findings.csv``, ``.villages.csv``, ``.awaiting.csv``, ``.unmatched.csv``): written
when the run has such rows, removed when a later run to the same path has none (only the
exact sidecar path); XLSX sheets 待反馈清单 / 未匹配回复 hold 行号 as numbers."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_reports import sample_result

from conftest import FIXTURES
from vetting.cli import cli
from vetting.errors import VettingError
from vetting.reports import write_report
from vetting.reports.csv_report import awaiting_path, findings_path, format_csv_findings, unmatched_path, villages_path
from vetting.reports.xlsx_report import write_xlsx
from vetting.result import GROUP_COLUMNS

JOINT = FIXTURES / "joint"


def with_lists(result=None):
    """`sample_result` plus a village finding, two people awaited and an unmatched reply row."""
    result = result or sample_result()
    result.villages = pd.DataFrame([["城关镇", "红星村", "G03", "女性成员", "review", "村委会无女性成员",
                                     "名册.xlsx 第2、3行", "《村委会组织法》"]], columns=GROUP_COLUMNS)
    result.meta["awaiting"] = [{"agency": "公安", "count": 2, "candidates": [
        {"file": "名册.xlsx", "row": 10, "name": "张三", "village": "红星村"},
        {"file": "名册.xlsx", "row": 9, "name": "=李四", "village": None}]}]
    result.meta["unmatched_replies"] = [{"agency": "公安", "file": "公安.xlsx", "row": 12, "name": "外村人",
                                         "id_number": "510525********0011", "text": "2020年行政拘留"}]
    return result


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_csv_report_writes_the_chase_list_and_unmatched_rows(tmp_path):
    out = tmp_path / "r.csv"
    written = write_report(with_lists(), out, "csv")
    assert written == [out, tmp_path / "r.meta.csv", findings_path(out), villages_path(out), awaiting_path(out),
                       unmatched_path(out)]
    assert (awaiting_path(out).name, unmatched_path(out).name) == ("r.awaiting.csv", "r.unmatched.csv")
    assert awaiting_path(out).read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_csv(awaiting_path(out)) == [["联审部门", "文件", "行号", "姓名", "村(社区)"],
                                            ["公安", "名册.xlsx", "10", "张三", "红星村"],
                                            ["公安", "名册.xlsx", "9", "'=李四", ""]]
    assert read_csv(unmatched_path(out)) == [["联审部门", "回复文件", "行号", "姓名", "公民身份号码", "内容"],
                                             ["公安", "公安.xlsx", "12", "外村人", "510525********0011",
                                              "2020年行政拘留"]]


def test_a_later_run_without_such_rows_removes_stale_sidecars_only(tmp_path):
    out = tmp_path / "r.csv"
    write_report(with_lists(), out, "csv")
    neighbours = [tmp_path / "r.villages.csv.bak", tmp_path / "other.awaiting.csv", tmp_path / "r.unmatched.txt"]
    for path in neighbours:
        path.write_text("keep", encoding="utf-8")
    written = write_report(sample_result(), out, "csv")
    assert written == [out, tmp_path / "r.meta.csv", tmp_path / "r.findings.csv"]
    assert sorted(os.listdir(tmp_path)) == sorted(["r.csv", "r.meta.csv", "r.findings.csv", *(p.name for p in neighbours)])
    assert all(p.read_text(encoding="utf-8") == "keep" for p in neighbours)


def test_only_the_lists_the_new_run_lacks_are_removed(tmp_path):
    out = tmp_path / "r.csv"
    write_report(with_lists(), out, "csv")
    result = with_lists()
    result.meta["unmatched_replies"] = []
    result.villages = pd.DataFrame(columns=GROUP_COLUMNS)
    write_report(result, out, "csv")
    assert awaiting_path(out).is_file() and not unmatched_path(out).exists() and not villages_path(out).exists()


def test_the_findings_in_full_go_to_their_sidecar_and_go_when_nothing_was_found(tmp_path):
    out = tmp_path / "r.csv"
    write_report(sample_result(), out, "csv")
    assert findings_path(out).read_bytes() == format_csv_findings(sample_result()), "streamed as formatted"
    rows = read_csv(findings_path(out))
    assert rows[0] == ["文件", "行号", "姓名", "规则", "规则名称", "严重程度", "理由", "证据", "依据", "复核依据码"]
    assert rows[1][6:9] == ['2019年因"寻衅滋事"被判刑', "判决书：(2019)川0525刑初1号", "《指导意见》第三条"]
    summary = read_csv(out)[1]
    assert "2019年" not in "".join(summary) and summary[-2:] == ["R01、R05", "[R01] 受过刑事处罚\n[R05] 近三年受过党纪处分\n"
                                                                "提示：[N01] 年龄提示"]
    nothing = sample_result()
    nothing.findings = nothing.findings.iloc[:0]
    assert write_report(nothing, out, "csv") == [out, tmp_path / "r.meta.csv"]
    assert not findings_path(out).exists()


def test_a_folder_at_a_sidecar_path_is_left_alone(tmp_path):
    out = tmp_path / "r.csv"
    awaiting_path(out).mkdir()
    (awaiting_path(out) / "x.txt").write_text("x", encoding="utf-8")
    write_report(sample_result(), out, "csv")
    assert (awaiting_path(out) / "x.txt").is_file()


def test_a_stale_sidecar_that_cannot_be_removed_leaves_every_file_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    write_report(with_lists(), out, "csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = os.replace

    def refuse(src, dst, *args, **kwargs):
        if os.fspath(src) == str(awaiting_path(out)):
            raise PermissionError(13, "权限不够")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(VettingError) as err:
        write_report(sample_result(), out, "csv")
    assert str(awaiting_path(out)) in err.value.message and "没有权限（EACCES）" in err.value.message
    assert "原有文件保持不变" in err.value.message
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before, "the report and its lists rolled back"


def test_a_file_at_a_sidecar_path_that_this_tool_did_not_write_is_never_removed(tmp_path):
    out = tmp_path / "r.csv"
    unmatched_path(out).write_text("公民身份号码,姓名\n", encoding="utf-8")          # a user's own file
    villages_path(out).write_bytes(b"\xef\xbb\xbf" + "乡镇(街道)".encode())            # our heading, cut short
    target = tmp_path / "elsewhere.csv"
    write_report(with_lists(), target, "csv")
    awaiting_path(out).symlink_to(awaiting_path(target))                                # a link to our own list
    write_report(sample_result(), out, "csv")
    assert unmatched_path(out).read_text(encoding="utf-8") == "公民身份号码,姓名\n"
    assert villages_path(out).is_file() and awaiting_path(out).is_symlink()
    write_report(with_lists(), out, "csv")
    write_report(sample_result(), out, "csv")                                          # ours now: removed
    assert not unmatched_path(out).exists() and not villages_path(out).exists()


def test_xlsx_lists_hold_row_numbers_as_numbers(tmp_path):
    path = tmp_path / "r.xlsx"
    write_xlsx(with_lists(), path)
    book = openpyxl.load_workbook(path)
    assert {"村级问题", "待反馈清单", "未匹配回复"} <= set(book.sheetnames)
    awaited = list(book["待反馈清单"].iter_rows(min_row=2))
    assert [(r[3].value, r[3].data_type) for r in awaited] == [(10, "n"), (9, "n")]
    assert awaited[1][4].value == "'=李四" and awaited[1][5].value is None
    unmatched = list(book["未匹配回复"].iter_rows(min_row=2, values_only=True))
    assert unmatched == [(1, "公安", "公安.xlsx", 12, "外村人", "510525********0011", "2020年行政拘留")]


def test_cli_csv_run_writes_and_then_removes_the_lists(runner, tmp_path):
    out = tmp_path / "r.csv"
    args = ["run", str(JOINT / "opinions_roster.csv"), "--as-of", "2027-04-15", "--no-history", "-o", str(out)]
    first = runner.invoke(cli, [*args, "--findings", f"公安={JOINT / 'replies' / 'police.csv'}"])
    assert first.exit_code == 0, first.output
    unmatched = read_csv(unmatched_path(out))
    assert [row[3] for row in unmatched[1:]] == ["外村人"] and unmatched[1][2].isdigit()
    awaited = read_csv(awaiting_path(out))
    assert "王八" in [row[3] for row in awaited[1:]]
    second = runner.invoke(cli, args)                       # no reply file: nothing unmatched any more
    assert second.exit_code == 0, second.output
    assert not unmatched_path(out).exists() and awaiting_path(out).is_file()


def test_csv_on_standard_output_says_where_the_findings_in_full_are(runner, tmp_path):
    demo = [str(FIXTURES / "demo_roster.xlsx"), "--as-of", "2026-12-15", "--no-history"]
    shown = runner.invoke(cli, ["run", *demo, "--format", "csv"])
    assert shown.exit_code == 0, shown.output
    assert "CSV 输出到标准输出时只有每人一行的结论和摘要" in shown.stderr and "-o 报告.csv" in shown.stderr
    written = runner.invoke(cli, ["run", *demo, "-o", str(tmp_path / "r.csv")])
    assert "标准输出" not in written.stderr
    as_json = runner.invoke(cli, ["run", *demo, "--format", "json"])
    assert "CSV 输出到标准输出" not in as_json.stderr


def test_the_findings_of_a_decided_run_go_when_a_later_run_finds_nothing(tmp_path):
    out = tmp_path / "r.csv"
    decided = sample_result()
    decided.findings = decided.findings.assign(review="已复核：撤销（原为需复核）")
    write_report(decided, out, "csv")
    assert read_csv(findings_path(out))[0][-1] == "复核"            # the decided run's own heading
    nothing = sample_result()
    nothing.findings = nothing.findings.iloc[:0]
    write_report(nothing, out, "csv")
    assert not findings_path(out).exists()
    other = tmp_path / "x.csv"
    findings_path(other).write_text("文件,行号,姓名,规则,别的列\n", encoding="utf-8-sig")   # not ours: kept
    write_report(nothing, other, "csv")
    assert findings_path(other).exists()
