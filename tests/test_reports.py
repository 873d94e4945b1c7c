"""Report layer: formatting (JSON/CSV/XLSX), masking, formula neutralisation, atomic writes."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from vetting.atomic import write_atomic
from vetting.errors import InputError, VettingError
from vetting.reports import FORMATS, write_report
from vetting.reports.common import (
    CANDIDATE_HEADINGS,
    FINDING_HEADINGS,
    candidate_table,
    findings_table,
    meta_lines,
    neutralise_formula,
    summary_table,
)
from vetting.reports.csv_report import BOM, format_csv, format_csv_findings, format_csv_meta, meta_path
from vetting.reports.json_report import candidate_object, format_json
from vetting.reports.xlsx_report import write_xlsx
from vetting.result import CANDIDATE_COLUMNS, FINDING_COLUMNS, VettingResult

GOLDEN = Path(__file__).parent / "golden"
FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")'


def sample_result() -> VettingResult:
    """Four candidates: two findings + a notice, formula-like name, pass with notice and
    missing values, pending. Findings deliberately out of order."""
    candidates = pd.DataFrame([
        [0, "名册.xlsx", 2, "张三", "村党组织书记", "红星村", "城关镇", "51052519900101123X",
         "disqualified"],
        [1, "名册.xlsx", 3, FORMULA_NAME, "村委会主任", "红星村", "城关镇", "510525198805054321",
         "review"],
        [2, "名册.xlsx", 5, "李四", "村委会委员", None, "城关镇", None, "pass"],
        [3, "补充.csv", 2, "王五", "村务监督委员会主任", "新华社区", "-街道", "12345", "pending"],
    ], columns=CANDIDATE_COLUMNS)
    candidates["source_row"] = candidates["source_row"].astype("Int64")
    findings = pd.DataFrame([
        [0, "R05", "近三年受过党纪处分", "review", "2023年受党内警告处分", "处分记录：2023-05",
         "《指导意见》第三条"],
        [3, "P01", "公安反馈待回", "pending", "公安机关尚未反馈", None, "《联审办法》第六条"],
        [0, "N01", "年龄提示", "notice", "年龄接近上限", "出生：1990-01-01", None],
        [1, "R05", "近三年受过党纪处分", "review", "2022年受党内警告处分", "+处分决定书", "《指导意见》第三条"],
        [0, "R01", "受过刑事处罚", "disqualify", "2019年因\"寻衅滋事\"被判刑", "判决书：(2019)川0525刑初1号",
         "《指导意见》第三条"],
        [2, "N01", "年龄提示", "notice", "年龄接近上限", None, None],
    ], columns=FINDING_COLUMNS)
    meta = {
        "tool_version": "0.1.0",
        "ruleset": {"id": "sc-2024", "title": "四川省村(社区)两委换届联审", "version": "1.2",
                    "sha256": "ab" * 32},
        "as_of": "2024-06-30",
        "inputs": [{"file": "名册.xlsx", "sha256": "cd" * 32, "rows": 4, "blank_rows_skipped": 1},
                   {"file": "补充.csv", "sha256": "ef" * 32, "rows": 1, "blank_rows_skipped": 0}],
        "candidate_count": 4,
        "blank_rows_skipped": 1,
        "verdict_counts": {"disqualified": 1, "review": 1, "pending": 1, "pass": 1},
        "engine": "pandas",
        "warnings": ["补充.csv 第3行为空白行，已跳过"],
        "coverage": {"mode": "partial", "note": "本次审查未覆盖 1 条规则（S03）：结论「通过」只表示已覆盖的规则未发现问题",
                     "not_covered": [{"rule": "S03", "name": "长期外出不能正常履职", "facts": ["长期外出不能正常履职"],
                                      "agencies": ["乡镇"], "candidates": 2, "pending": False,
                                      "remedy": "在花名册中增加「长期外出不能正常履职」列"}]},
    }
    unchecked = pd.DataFrame({"row_id": [1, 2], "rule": ["S03", "S03"]})
    return VettingResult(candidates, findings, meta, unchecked=unchecked)


def empty_result() -> VettingResult:
    return VettingResult(pd.DataFrame(columns=CANDIDATE_COLUMNS),
                         pd.DataFrame(columns=FINDING_COLUMNS), {})


# --- common ---------------------------------------------------------------------------------

def test_neutralise_formula():
    s = pd.Series(["=1+1", "+86", "-3", "@SUM(A1)", "\tx", "\ry", "正常", "a=b", None, ""])
    out = neutralise_formula(s).tolist()
    assert out[:8] == ["'=1+1", "'+86", "'-3", "'@SUM(A1)", "'\tx", "'\ry", "正常", "a=b"]
    assert pd.isna(out[8]) and out[9] == ""
    assert neutralise_formula("=x") == "'=x" and neutralise_formula("x") == "x"
    assert neutralise_formula(pd.Series([1, 2])).tolist() == [1, 2]


def test_candidate_table():
    table = candidate_table(sample_result(), show_id=False)
    assert list(table.columns) == CANDIDATE_HEADINGS
    assert table["姓名"].tolist() == ["张三", FORMULA_NAME, "李四", "王五"]
    assert table["审查结论"].tolist() == ["取消资格", "需复核", "通过", "待反馈"]
    assert table["问题数"].tolist() == [2, 1, 0, 1]
    assert table["问题规则"].tolist() == ["R01、R05", "R05", "", ""], "neither notices nor what is awaited"
    assert table.loc[0, "摘要"] == "[R01] 受过刑事处罚\n[R05] 近三年受过党纪处分\n提示：[N01] 年龄提示"
    assert table.loc[2, "摘要"] == "提示：[N01] 年龄提示"
    assert table.loc[3, "摘要"] == "[待反馈] 暂无法判定：P01 公安反馈待回"
    assert pd.isna(table.loc[2, "村(社区)"]) and pd.isna(table.loc[2, "公民身份号码"])
    assert table["公民身份号码"].tolist()[::3] == ["510525********123X", "*****"]
    assert candidate_table(sample_result(), show_id=True).loc[0, "公民身份号码"] == "51052519900101123X"


def test_findings_and_summary_tables():
    findings = findings_table(sample_result())
    assert list(findings.columns) == FINDING_HEADINGS
    assert findings["规则"].tolist() == ["R01", "R05", "N01", "R05", "N01", "P01"]
    assert findings["严重程度"].tolist()[:3] == ["取消资格", "需复核", "提示"]
    assert findings["姓名"].tolist()[-1] == "王五"
    summary = summary_table(sample_result())
    verdicts = summary[summary["分类"] == "审查结论"]
    assert verdicts["代码"].tolist() == ["disqualified", "unsuitable", "review", "pending", "pass"]
    assert verdicts["数量"].tolist() == [1, 0, 1, 1, 1]
    rules = summary[summary["分类"] == "规则"]
    assert rules[["代码", "名称", "严重程度", "数量"]].values.tolist() == [
        ["R01", "受过刑事处罚", "取消资格", 1], ["R05", "近三年受过党纪处分", "需复核", 2],
        ["P01", "公安反馈待回", "待反馈", 1], ["N01", "年龄提示", "提示", 2]]
    gaps = summary[summary["分类"] == "未覆盖规则"]
    assert gaps[["代码", "名称", "严重程度", "数量"]].values.tolist() == [["S03", "长期外出不能正常履职", "未能审查", 2]]
    assert summary["分类"].tolist().index("未覆盖规则") == len(verdicts)  # right after the verdict counts


def test_meta_lines():
    lines = meta_lines(sample_result().meta)
    labels = [label for label, _ in lines]
    assert labels == ["工具版本", "规则集", "规则集版本", "规则集SHA256", "审查基准日", "输入文件",
                      "输入文件", "候选人数", "跳过空白行数", "审查引擎", "审查结论", "审查范围", "未覆盖规则", "警告"]
    assert dict(lines)["审查结论"] == "取消资格 1，不宜 0，需复核 1，待反馈 1，通过 1"
    assert dict(lines)["规则集"] == "四川省村(社区)两委换届联审（sc-2024）"
    assert lines[5][1] == f"名册.xlsx（SHA256：{'cd' * 32}）"
    assert ("生成时间", "2024-07-01 09:00:00（UTC+08:00）") in meta_lines({"generated_at": "2024-07-01T09:00:00+08:00"})
    assert ("生成时间", "2024-07-01 09:00:00（未注明时区）") in meta_lines({"generated_at": "2024-07-01T09:00:00"})
    assert ("审查引擎", "向量化批量引擎（vector）") in meta_lines({"engine": "vector"})


# --- JSON -----------------------------------------------------------------------------------

def test_json_structure_and_order():
    raw = format_json(sample_result())
    doc = json.loads(raw)
    assert list(doc) == ["meta", "candidates"]
    assert doc["meta"] == sample_result().meta
    first = doc["candidates"][0]
    assert list(first) == ["row", "file", "name", "role", "village", "township", "id_number",
                           "verdict", "not_covered", "findings"]
    assert first["row"] == 2 and first["id_number"] == "510525********123X"
    assert [f["rule"] for f in first["findings"]] == ["R01", "R05", "N01"]
    assert list(first["findings"][0]) == ["rule", "severity", "reason", "evidence", "basis"]
    assert first["findings"][2]["basis"] is None
    third = doc["candidates"][2]
    assert third["village"] is None and third["id_number"] is None
    assert doc["candidates"][1]["name"] == FORMULA_NAME
    assert [c["verdict"] for c in doc["candidates"]] == ["disqualified", "review", "pass",
                                                         "pending"]


def test_json_matches_json_dumps_layout():
    raw = format_json(sample_result()).decode("utf-8")
    assert raw == json.dumps(json.loads(raw), ensure_ascii=False, indent=2) + "\n"
    empty = format_json(empty_result()).decode("utf-8")
    assert json.loads(empty) == {"meta": {}, "candidates": []}
    assert empty == json.dumps(json.loads(empty), ensure_ascii=False, indent=2) + "\n"


def test_json_escapes_like_json_dumps():
    result = sample_result()
    odd = 'a\nb\t"c"\\d\x01\x1f\u2028 \u00e9 🙂 </script>'
    result.findings.loc[0, "reason"] = odd
    result.candidates.loc[2, "name"] = odd
    raw = format_json(result).decode("utf-8")
    doc = json.loads(raw)
    assert doc["candidates"][2]["name"] == odd
    assert doc["candidates"][0]["findings"][1]["reason"] == odd
    assert raw == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def test_json_show_id_and_candidate_object():
    shown = json.loads(format_json(sample_result(), show_id=True))
    assert shown["candidates"][0]["id_number"] == "51052519900101123X"
    masked = json.loads(format_json(sample_result()))
    for i in range(4):
        assert candidate_object(sample_result(), i) == masked["candidates"][i]
    assert candidate_object(sample_result(), 0, show_id=True) == shown["candidates"][0]
    with pytest.raises(KeyError):
        candidate_object(sample_result(), 99)


# --- CSV ------------------------------------------------------------------------------------

def test_csv_bom_pandas_and_neutralised():
    raw = format_csv(sample_result())
    assert raw.startswith(BOM)
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == CANDIDATE_HEADINGS
    assert len(table) == 4
    assert table.loc[1, "姓名"] == "'" + FORMULA_NAME
    assert table.loc[3, "乡镇(街道)"] == "'-街道"
    assert table.loc[0, "摘要"].count("\n") == 2
    assert table.loc[0, "公民身份号码"] == "510525********123X"
    shown = pd.read_csv(io.BytesIO(format_csv(sample_result(), show_id=True)), dtype=str,
                        encoding="utf-8-sig")
    assert shown.loc[0, "公民身份号码"] == "51052519900101123X"


def test_csv_meta():
    raw = format_csv_meta(sample_result())
    assert raw.startswith(BOM)
    meta = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    assert list(meta.columns) == ["项目", "值"]
    assert meta.loc[0].tolist() == ["工具版本", "0.1.0"]
    assert meta_path("out/报告.csv") == Path("out/报告.meta.csv")


def test_empty_result_all_formats(tmp_path):
    for fmt in FORMATS:
        write_report(empty_result(), tmp_path / f"r.{fmt}", fmt)
    assert pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig").empty
    assert openpyxl.load_workbook(tmp_path / "r.xlsx")["候选人"].max_row == 1


# --- XLSX -----------------------------------------------------------------------------------

def test_xlsx(tmp_path):
    path = tmp_path / "报告.xlsx"
    write_xlsx(sample_result(), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["候选人", "问题清单", "各村汇总", "汇总", "说明"]
    ws = wb["候选人"]
    assert [c.value for c in ws[1]] == ["序号", *CANDIDATE_HEADINGS]
    assert [c.value for c in ws["A"]][1:] == [1, 2, 3, 4]
    assert all(c.font.bold for c in ws[1])
    assert all(wb[name].freeze_panes == "A2" for name in wb.sheetnames)
    fills = [ws.cell(row=r, column=1).fill.fgColor.rgb[-6:] for r in (2, 3, 4, 5)]
    assert fills == ["FFC7CE", "FFEB9C", "000000", "E7E6E6"]
    assert ws.cell(row=4, column=1).fill.fill_type is None
    assert ws.cell(row=2, column=CANDIDATE_HEADINGS.index("摘要") + 2).alignment.wrap_text
    name = ws.cell(row=3, column=4)
    assert name.value == "'" + FORMULA_NAME and name.data_type == "s"
    assert ws.cell(row=2, column=3).value == 2 and ws.cell(row=4, column=6).value is None
    assert wb["问题清单"].cell(row=5, column=4).value == "'" + FORMULA_NAME
    assert [c.value for c in wb["问题清单"][1]] == ["序号", *FINDING_HEADINGS]
    assert wb["汇总"].cell(row=2, column=3).value == "取消资格"
    assert wb["说明"].cell(row=2, column=1).value == "工具版本"
    assert os.listdir(tmp_path) == ["报告.xlsx"]


def test_xlsx_replaces_illegal_characters_and_says_so(tmp_path):
    result = sample_result()
    result.findings.loc[0, "evidence"] = "记录\x01\x1f完"
    result.candidates.loc[0, "name"] = "张\ufffe三\uffff"
    write_xlsx(result, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert "记录\ufffd\ufffd完" in [c.value for c in book["问题清单"]["I"]]
    assert "张\ufffd三\ufffd" in [c.value for c in book["候选人"]["D"]]
    notes = [row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True) if row[0] == "警告"]
    assert any("2 处文字" in n and "Excel" in n for n in notes), notes


# --- atomic writes and dispatch --------------------------------------------------------------

def test_atomic_write_failure_leaves_nothing(tmp_path):
    def broken(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "r.xlsx", broken)
    assert os.listdir(tmp_path) == []
    (tmp_path / "old.json").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "old.json", broken)
    assert os.listdir(tmp_path) == ["old.json"]
    assert (tmp_path / "old.json").read_bytes() == b"old"
    write_atomic(tmp_path / "old.json", b"new")
    assert (tmp_path / "old.json").read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["old.json"]


def test_missing_output_directory(tmp_path):
    missing = tmp_path / "无此目录"
    with pytest.raises(InputError, match="输出目录不存在") as info:
        write_atomic(missing / "r.json", b"{}")
    assert str(missing) in info.value.message
    with pytest.raises(InputError):
        write_report(sample_result(), missing / "r.xlsx", "xlsx")
    assert not missing.exists()


def test_write_report_dispatch(tmp_path):
    written = write_report(sample_result(), tmp_path / "r.csv", "csv")
    assert written == [tmp_path / "r.csv", tmp_path / "r.meta.csv", tmp_path / "r.findings.csv"]
    assert sorted(os.listdir(tmp_path)) == ["r.csv", "r.findings.csv", "r.meta.csv"]
    write_report(sample_result(), tmp_path / "r.json", "json", show_id=True)
    assert (tmp_path / "r.json").read_bytes() == format_json(sample_result(), show_id=True)
    with pytest.raises(VettingError, match="不支持的报告格式"):
        write_report(sample_result(), tmp_path / "r.txt", "jsn")


# --- golden files ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, render", [
    ("report.json", lambda r: format_json(r)),
    ("report.csv", lambda r: format_csv(r)),
    ("report.meta.csv", lambda r: format_csv_meta(r)),
    ("report.findings.csv", lambda r: format_csv_findings(r)),
])
def test_golden(name, render):
    expected = (GOLDEN / name).read_bytes()
    assert render(sample_result()) == expected, \
        f"{name} changed; if intended, run: python tests/golden/regenerate.py"


def test_control_characters_cannot_smuggle_a_formula_into_xlsx(tmp_path):
    import openpyxl

    from vetting.reports.xlsx_report import write_xlsx
    result = sample_result()
    result.candidates.loc[0, "name"] = "\x01=SUM(1;2)"
    path = tmp_path / "r.xlsx"
    write_xlsx(result, path)
    sheet = openpyxl.load_workbook(path)["候选人"]
    cell = next(c for c in sheet[2] if c.value and "SUM" in str(c.value))
    assert cell.data_type != "f" and str(cell.value) == "\ufffd=SUM(1;2)"   # replaced, not removed: no "=" in front
