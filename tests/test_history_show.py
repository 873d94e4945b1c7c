"""`vet history show RUN`: filters (--verdict, --village, --township, --rule), pages (--limit,
--offset) and exports (-o x.csv | x.xlsx), on a database written by the previous version
(fixtures/history/v2.sqlite3: the demo roster, findings in the old table) and on a run recorded
in the compact tables."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import FIXTURES
from vetting.cli import cli
from vetting.history import open_history
from vetting.history.selection import make_selection, selection_text, verdict_code
from vetting.reports.common import CANDIDATE_HEADINGS
from vetting.result import CANDIDATE_COLUMNS, FINDING_COLUMNS, VettingResult

V2 = FIXTURES / "history"
CLEAR_ID = "51052519900101123X"


@pytest.fixture
def db(tmp_path):
    """The schema-2 database (runs 1 and 2: the demo roster) plus run 3: 60 hand-made
    candidates recorded by this version, one of them with an ID and a formula-like name."""
    path = tmp_path / "v2.sqlite3"
    shutil.copy(V2 / "v2.sqlite3", path)
    shutil.copy(V2 / "v2.sqlite3.key", tmp_path / "v2.sqlite3.key")
    people = pd.DataFrame([[i, "名册.xlsx", i + 2, "=HYPERLINK(\"x\")" if i == 1 else f"人{i}", "村委会委员",
                            f"{i % 3}村", "甲镇" if i < 30 else "乙镇", CLEAR_ID if i == 1 else None,
                            "review" if i % 2 else "pending"] for i in range(60)], columns=CANDIDATE_COLUMNS)
    findings = pd.DataFrame([[i, "X01" if i % 2 else "X02", "测试规则", "review" if i % 2 else "pending", "需核实",
                              f"名册.xlsx 第{i + 2}行：「某列」=（空）", "某法第十条"] for i in range(60)],
                            columns=FINDING_COLUMNS)
    with open_history(path, create=True) as store:
        unchecked = pd.DataFrame({"row_id": [1, 1, 3], "rule": ["A05", "O01", "O01"]})
        store.record(VettingResult(people, findings, {"verdict_counts": {"review": 30, "pending": 30}},
                                   unchecked=unchecked), "2026-11-03T09:00:00", "2026-11-03T09:00:01")
    return path


def show(db, *args):
    result = CliRunner().invoke(cli, ["history", "show", *args, "--db", str(db)])
    return result


def candidate_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "  —— " in line]


def test_selection_reads_verdict_codes_and_labels():
    assert make_selection(["取消资格", " review ", "disqualified"], [" 红岩村 "], [], ["d01"]) == \
        make_selection(["disqualified", "review"], ["红岩村"], [], ["D01"])
    assert verdict_code("待反馈") == "pending"
    assert selection_text(make_selection(["不宜"], ["红岩村"], ["太平镇"], ["s02"])) == \
        "审查结论=不宜；村(社区)=红岩村；乡镇(街道)=太平镇；规则=S02"


def test_filters_choose_the_same_candidates_as_the_stored_run(db):
    with open_history(db) as store:
        run = store.run(1)
    cases = [
        (["--verdict", "取消资格"], lambda c: c.verdict == "disqualified"),
        (["--verdict", "需复核", "--verdict", "pending"], lambda c: c.verdict in ("review", "pending")),
        (["--village", "红岩村"], lambda c: c.village == "红岩村"),
        (["--township", "双沙镇", "--verdict", "不宜"], lambda c: c.township == "双沙镇" and c.verdict == "unsuitable"),
        (["--rule", "d01"], lambda c: any(f.rule == "D01" for f in c.findings)),
    ]
    for args, chosen in cases:
        result = show(db, "1", *args)
        assert result.exit_code == 0, result.output
        expected = [c for c in run.candidates if chosen(c)]
        assert 0 < len(expected) < 27, args
        names = [line.split("  ")[1].split(" ")[0] for line in candidate_lines(result.output)]
        assert names == [c.name for c in expected], args
        assert f"符合 {len(expected)} 人（共 27 人）" in result.output


def test_filters_on_a_compact_run(db):
    result = show(db, "latest", "--rule", "X01", "--township", "乙镇")
    assert result.exit_code == 0
    lines = candidate_lines(result.output)
    assert len(lines) == 15 and all("乙镇" in line and "需复核" in line for line in lines)
    assert result.output.count("[X01]") == 15 and "[X02]" not in result.output
    assert "名册.xlsx 第33行：「某列」=（空）" in result.output        # evidence row put back


def test_no_match_and_an_unknown_verdict(db):
    assert "没有符合筛选条件的人选" in show(db, "1", "--village", "无此村").output
    bad = show(db, "1", "--verdict", "取消")
    assert bad.exit_code == 2 and "无法识别的审查结论「取消」" in bad.output and "取消资格" in bad.output


def test_default_page_and_the_next(db):
    first = show(db, "latest")
    assert first.exit_code == 0
    assert len(candidate_lines(first.output)) == 50
    assert first.output.rstrip().endswith(
        "（共 60 人，显示第 1–50 人，其后还有 10 人未显示；用 --offset 50 查看后面 10 人，"
        "--limit 0 显示全部，-o 文件.xlsx 或 -o 文件.csv 导出全部）")
    second = show(db, "latest", "--offset", "50")
    assert [line.split("  ")[1] for line in candidate_lines(second.output)] == \
        [f"人{i} 村委会委员 {i % 3}村 乙镇" for i in range(50, 60)]
    assert "显示第 51–60 人" in second.output and "其后还有" not in second.output
    everyone = show(db, "latest", "--limit", "0")
    assert len(candidate_lines(everyone.output)) == 60 and "（共 60 人" not in everyone.output
    past = show(db, "latest", "--offset", "80")
    assert not candidate_lines(past.output) and "第 80 人之后没有更多人选" in past.output


def test_export_csv_has_the_report_columns_masked_ids_and_no_formula(db, tmp_path):
    out = tmp_path / "需复核.csv"
    result = show(db, "latest", "--verdict", "需复核", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "已导出审查记录 #3 的 30 名人选" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == CANDIDATE_HEADINGS and len(rows) == 31
    first = dict(zip(rows[0], rows[1]))
    assert first["姓名"] == "'=HYPERLINK(\"x\")" and first["公民身份号码"] == "510525********123X"
    assert first["审查结论"] == "需复核" and first["理由"] == "[X01] 需核实" and first["未覆盖规则"] == "A05、O01"
    assert first["证据"] == "[X01] 名册.xlsx 第3行：「某列」=（空）"
    assert CLEAR_ID not in data.decode("utf-8-sig")
    meta = (tmp_path / "需复核.meta.csv").read_text(encoding="utf-8-sig")
    assert "导出自审查记录 #3" in meta and "按「审查结论=需复核」筛选出 30 人（该次审查共 60 人）" in meta
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_xlsx_of_an_old_run_has_the_report_candidate_sheet(db, tmp_path):
    out = tmp_path / "红岩村.xlsx"
    result = show(db, "1", "--village", "红岩村", "-o", str(out), "--show-id")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True)["候选人"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["序号", *CANDIDATE_HEADINGS]
    people = [r for r in rows[1:] if isinstance(r[0], int)]
    with open_history(db) as store:
        expected = [c for c in store.run(1).candidates if c.village == "红岩村"]
    assert [r[3] for r in people] == [c.name for c in expected]
    ids = [r[7] for r in people]
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]（HMAC-SHA256：[0-9a-f]{64}）", i) for i in ids), ids[:2]


def test_export_refuses_to_write_over_the_database_and_unknown_formats(db, tmp_path):
    before = db.read_bytes()
    over = show(db, "1", "-o", str(db), "--format", "csv")
    assert over.exit_code == 2 and "输出会覆盖输入" in over.output and db.read_bytes() == before
    json_out = show(db, "1", "-o", str(tmp_path / "x.json"))
    assert json_out.exit_code == 2 and "导出格式只能是 csv、xlsx" in json_out.output
