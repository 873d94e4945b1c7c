"""The CLI through Click's CliRunner: the demo roster end to end, exit codes, errors without tracebacks."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES
from vetting.cli import cli

DEMO_XLSX = str(FIXTURES / "demo_roster.xlsx")
DEMO_CSV = str(FIXTURES / "demo_roster.csv")
AS_OF = ["--as-of", "2026-12-15"]


@pytest.mark.parametrize("roster,kind", [(DEMO_XLSX, "xlsx"), (DEMO_CSV, "csv")])
def test_demo_roster_gives_documented_verdicts(runner, tmp_path, demo_expected, roster, kind):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", roster, *AS_OF, "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    by_row = {c["row"]: c for c in report["candidates"]}
    assert len(by_row) == len(demo_expected["people"]) == report["meta"]["candidate_count"]
    for person in demo_expected["people"]:
        got = by_row[person["row"][kind]]
        assert got["name"] == person["name"]
        assert got["verdict"] == person["verdict"], (person["name"], got["findings"])
        assert sorted({f["rule"] for f in got["findings"]}) == sorted(person["rules"]), person["name"]
        for finding in got["findings"]:
            assert finding["reason"] and finding["basis"] and f"第{person['row'][kind]}行" in finding["evidence"]
        assert "*" in got["id_number"]


def test_report_meta_block_names_tool_ruleset_and_inputs(runner, tmp_path):
    out = tmp_path / "out.json"
    runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "-o", str(out)])
    meta = json.loads(out.read_text(encoding="utf-8"))["meta"]
    assert meta["tool_version"] and meta["ruleset"]["id"] == "national" and len(meta["ruleset"]["sha256"]) == 64
    assert meta["as_of"] == "2026-12-15"
    assert meta["inputs"][0]["file"] == "demo_roster.csv" and len(meta["inputs"][0]["sha256"]) == 64


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_each_format_is_written(runner, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(cli, ["run", DEMO_XLSX, *AS_OF, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    if fmt == "csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        assert (tmp_path / "report.meta.csv").exists()


def test_show_id_unmasks(runner, tmp_path):
    out = tmp_path / "out.json"
    runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "--show-id", "-o", str(out)])
    ids = [c["id_number"] for c in json.loads(out.read_text(encoding="utf-8"))["candidates"]]
    assert "510525197205140135" in ids


def test_fail_on_sets_exit_code_one(runner, tmp_path):
    result = runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "--fail-on", "disqualified", "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    result = runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "-o", str(tmp_path / "o.json")])
    assert result.exit_code == 0


@pytest.mark.parametrize("args,fragment", [
    (["run", "nope.xlsx", *AS_OF], "文件不存在"),
    (["run", DEMO_CSV], "--as-of"),
    (["run", DEMO_CSV, *AS_OF, "--ruleset", "natonal"], "是否想写：national"),
    (["run", DEMO_CSV, "--as-of", "2026-13-01"], "日期"),
    (["run", DEMO_CSV, *AS_OF, "--format", "xlsx"], "-o"),
])
def test_bad_usage_exits_two_with_message_and_no_traceback(runner, args, fragment):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_missing_output_directory_leaves_nothing(runner, tmp_path):
    out = tmp_path / "missing" / "out.json"
    result = runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "-o", str(out)])
    assert result.exit_code == 2 and "输出目录不存在" in result.output
    assert not out.parent.exists()


def test_invalid_ruleset_exits_two_and_writes_no_report(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: x\nversion: 1\nrules:\n  - code: X1\n    when: age <\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "--ruleset", str(bad), "-o", str(out)])
    assert result.exit_code == 2 and "bad.yaml:5" in result.output
    assert not out.exists()


def test_check_with_set_pairs_prints_reasons(runner):
    result = runner.invoke(cli, ["check", *AS_OF, "--set", "姓名=张三", "--set", "公民身份号码=510525200812160685",
                                 "--set", "拟任职务=村委会委员", "--set", "村(社区)=平丰村"])
    assert result.exit_code == 0, result.output
    assert "取消资格" in result.output and "A01" in result.output and "未满18周岁" in result.output


def test_check_row_json_matches_run(runner, tmp_path, demo_expected):
    person = next(p for p in demo_expected["people"] if p["verdict"] == "disqualified")
    row = person["row"]["xlsx"]
    single = runner.invoke(cli, ["check", DEMO_XLSX, "--row", str(row), *AS_OF, "--format", "json"])
    assert single.exit_code == 0, single.output
    out = tmp_path / "out.json"
    runner.invoke(cli, ["run", DEMO_XLSX, *AS_OF, "-o", str(out)])
    batch = next(c for c in json.loads(out.read_text(encoding="utf-8"))["candidates"] if c["row"] == row)
    assert json.loads(single.output) == batch


def test_check_json_input(runner):
    payload = json.dumps({"姓名": "李四", "公民身份号码": "510525197205140135", "拟任职务": "党组织书记",
                          "村(社区)": "平丰村", "政治面貌": "群众"}, ensure_ascii=False)
    result = runner.invoke(cli, ["check", *AS_OF, "--json", payload])
    assert result.exit_code == 0 and "A04" in result.output


def test_check_unknown_row_is_a_clear_error(runner):
    result = runner.invoke(cli, ["check", DEMO_XLSX, "--row", "999", *AS_OF])
    assert result.exit_code == 2 and "没有第999行" in result.output


def test_rules_list_show_validate(runner):
    listed = runner.invoke(cli, ["rules", "list"])
    assert listed.exit_code == 0 and "A01" in listed.output and "D01" in listed.output
    shown = runner.invoke(cli, ["rules", "show", "D01", *AS_OF])
    assert shown.exit_code == 0
    for fragment in ("党纪处分影响期未满", "严重警告 18", "纪律处分条例", "party_sanction_date"):
        assert fragment in shown.output
    missing = runner.invoke(cli, ["rules", "show", "D1"])
    assert missing.exit_code == 2 and "D01" in missing.output
    valid = runner.invoke(cli, ["rules", "validate", str(FIXTURES.parent / "rulesets" / "national.yaml")])
    assert valid.exit_code == 0 and "有效" in valid.output


def test_pack_names_win_over_a_same_named_folder(runner, tmp_path, monkeypatch):
    (tmp_path / "national").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["rules", "list"])
    assert result.exit_code == 0 and "A01" in result.output


def test_findings_option_needs_a_file(runner):
    result = runner.invoke(cli, ["run", DEMO_CSV, *AS_OF, "--no-history", "--findings", "公安="])
    assert result.exit_code == 2 and "缺少回复文件路径" in result.output


def test_check_names_ignored_fields(runner):
    result = runner.invoke(cli, ["check", *AS_OF, "--engine", "vector", "--set", "姓名=张三",
                                 "--set", "公民身份证号=510525200812160685"])
    assert result.exit_code == 0 and "未识别的字段「公民身份证号」" in result.output


def test_duplicate_listing_names_at_most_ten_others():
    from vetting.engine.groups import _others
    labels = [f"f 第{i}行（甲）" for i in range(2, 13)]
    text = _others(labels, labels[0], 1000)
    assert text.count("第") == 10 and text.endswith("等共999处")


def test_a_closed_pipe_is_not_an_error():
    """`vet rules list | head -1`: the reader went away; Click ends quietly (exit 1, as it does for
    every closed pipe), with no 内部错误 on stderr."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-m", "vetting", "rules", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()
    _, err = child.communicate(timeout=60)
    assert child.returncode in (0, 1)
    assert err.decode() == ""


@pytest.mark.parametrize("code, expected", [("G01", "跨人选规则"), ("G03", "下限：$women_min"), ("V01", "GB 11643-1999"),
                                            ("J01", "待反馈（pending）"), ("J02", "联审核查")])
def test_rules_show_explains_every_code_a_report_can_show(runner, code, expected):
    """Rules across candidates and the built-in V/J checks appear in reports: each can be looked up."""
    result = runner.invoke(cli, ["rules", "show", code, "--as-of", "2026-12-15"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(code + " ") and expected in result.stdout
    assert "依据：" in result.stdout


def test_the_reading_line_is_said_when_reading_ends_not_after_the_run(runner, monkeypatch, tmp_path):
    import vetting.pipeline
    from vetting.errors import VettingError

    def engine_fails(*args, **kwargs):
        raise VettingError("引擎未运行")

    monkeypatch.setattr(vetting.pipeline, "run_engine", engine_fails)  # `vet run` imports it when it runs
    result = runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.xlsx"), "--as-of", "2026-12-15",
                                 "--no-history", "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 2
    assert result.output.index("读取 demo_roster.xlsx") < result.output.index("引擎未运行")
