"""The Excel report as a committee gets it: a per-village sheet, native charts and a colour legend
on 汇总, every sheet set up for printing, a 序号 column, Chinese labels beside the codes, ID
numbers as text (also with --show-id; in CSV in a form Excel keeps), times with their offset."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter

import openpyxl
import pytest
from test_bad_inputs import CASES, run_case

from conftest import FIXTURES
from vetting.cli import cli
from vetting.pipeline import vet_files
from vetting.reports import write_report
from vetting.reports.overview import VERDICT_FILLS
from vetting.ruleset.loader import load_ruleset
from vetting.vocab import VERDICT_LABELS, VERDICTS

AS_OF = dt.date(2026, 12, 15)


@pytest.fixture(scope="module")
def demo():
    """The demo roster vetted under the reserve pack (passing candidates and reserves)."""
    return vet_files([str(FIXTURES / "demo_roster.xlsx")], load_ruleset("reserve"), AS_OF)


@pytest.fixture(scope="module")
def book(demo, tmp_path_factory):
    """The demo result as XLSX, read back."""
    path = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    write_report(demo, path, "xlsx")
    return openpyxl.load_workbook(path)


def _cells(ws, ref: str) -> list:
    """The values of a chart reference such as 'Sheet'!$B$2:$C$4 (row by row)."""
    sheet, cells = ref.rsplit("!", 1)
    target = ws.parent[sheet.strip("'")]
    return [c.value for row in target[cells.replace("$", "")] for c in row]


def _expected_villages(result) -> list[tuple]:
    """Counted the slow way, person by person: verdicts, village findings, open items."""
    people = list(result.candidates[["township", "village", "verdict"]].itertuples(index=False, name=None))
    findings = list(result.villages[["township", "village", "severity"]].itertuples(index=False, name=None))
    rows = []
    for n, place in enumerate(dict.fromkeys((t, v) for t, v, _ in people), start=1):
        verdicts = Counter(verdict for t, v, verdict in people if (t, v) == place)
        found = [severity for t, v, severity in findings if (t, v) == place]
        open_items = verdicts["review"] + verdicts["pending"] + sum(s != "notice" for s in found)
        rows.append((n, *place, sum(verdicts.values()), *(verdicts[v] for v in VERDICTS), len(found), 0, open_items))
    return rows


def test_the_per_village_sheet_counts_verdicts_and_open_items(book, demo):
    ws = book["各村汇总"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("序号", "乡镇(街道)", "村(社区)", "人选数", *(VERDICT_LABELS[v] for v in VERDICTS),
                       "村级问题", "待反馈意见", "未结事项")
    assert rows[1:4] == _expected_villages(demo)
    assert [r[1:4] for r in rows[1:4]] == [("太平镇", "平丰村", 8), ("太平镇", "红岩村", 9), ("双沙镇", "高峰村", 10)]
    counts = demo.meta["verdict_counts"]
    assert rows[4][0] == "合计" and rows[4][3:9] == (27, *(counts[v] for v in VERDICTS))
    assert ws.auto_filter.ref == "A1:L4", "the total row stays out of the filter"
    assert ws["E1"].fill.fgColor.rgb[-6:] == VERDICT_FILLS["disqualified"]


def test_summary_has_native_charts_of_villages_age_and_education(book):
    ws = book["汇总"]
    charts = ws._charts
    titles = ["各村(社区)审查结论", "通过审查的人选年龄分布", "通过审查的人选文化程度"]
    assert [c.title.tx.rich.p[0].r[0].t for c in charts] == titles
    villages, age, education = charts
    assert (villages.type, villages.grouping) == ("bar", "stacked")
    assert [s.tx.v for s in villages.series] == [VERDICT_LABELS[v] for v in VERDICTS]
    assert _cells(ws, villages.series[0].val.numRef.f) == [r[4] for r in list(book["各村汇总"].values)[1:4]]
    places = ["太平镇", "平丰村", "太平镇", "红岩村", "双沙镇", "高峰村"]
    assert _cells(ws, villages.series[0].cat.multiLvlStrRef.f) == places
    assert villages.series[0].graphicalProperties.solidFill.srgbClr == "C0392B"
    assert _cells(ws, age.series[0].cat.strRef.f)[0] == "25岁及以下" and len(age.series) == 2
    assert sum(_cells(ws, age.series[0].val.numRef.f)) == 6 and sum(_cells(ws, age.series[1].val.numRef.f)) == 2
    assert _cells(ws, education.series[1].cat.strRef.f)[:3] == ["研究生", "本科", "大专"]
    assert not villages.x_axis.delete and not villages.y_axis.delete


def test_summary_has_a_colour_legend_and_the_targets(book):
    rows = list(book["汇总"].iter_rows())
    at = next(i for i, r in enumerate(rows) if r[0].value == "图例（行底色）")
    legend = rows[at + 1: at + 1 + len(VERDICTS)]
    assert [(r[0].value, r[1].value) for r in legend] == [(VERDICT_LABELS[v], v) for v in VERDICTS]
    assert [r[0].fill.fgColor.rgb[-6:] for r in legend[:4]] == [VERDICT_FILLS[v] for v in VERDICTS[:4]]
    assert legend[4][0].fill.fill_type is None, "pass rows have no fill"
    texts = [r[0].value for r in rows if isinstance(r[0].value, str)]
    assert any(t.startswith("通过审查的后备力量：大专及以上 1 人，占已知 2 人的 50.0%") for t in texts)


def test_every_sheet_is_set_up_for_printing(book):
    for ws in book.worksheets:
        setup = ws.page_setup
        # fitToWidth 1 is the file format's default, which a writer may leave out
        assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == \
            ("landscape", 9, 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws.print_title_rows == (None if ws.title == "汇总" else "$1:$1"), ws.title


def test_lists_are_numbered_and_labels_chinese(book):
    for title in ("候选人", "问题清单", "村级问题", "各村汇总"):
        column = [c.value for c in book[title]["A"]]
        assert column[0] == "序号" and column[1:4] == [1, 2, 3], title
    head = [c.value for c in book["候选人"][1]]
    labels = [r[head.index("审查结论")] for r in book["候选人"].iter_rows(min_row=2, values_only=True)]
    assert set(labels) <= set(VERDICT_LABELS.values())
    notes = dict(r for r in book["说明"].iter_rows(min_row=2, values_only=True))
    assert notes["审查引擎"] == "向量化批量引擎（vector）"


@pytest.mark.parametrize("show_id", [False, True])
def test_id_numbers_are_text_cells(tmp_path, show_id):
    path = tmp_path / "r.xlsx"
    write_report(vet_files([str(FIXTURES / "demo_roster.csv")], load_ruleset("national"), AS_OF), path, "xlsx",
                 show_id=show_id)
    ws = openpyxl.load_workbook(path)["候选人"]
    column = [c.value for c in ws[1]].index("公民身份号码") + 1
    cells = [ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells)
    assert ("510525200812150575" in [c.value for c in cells]) is show_id


def test_csv_writes_a_full_id_in_the_form_excel_keeps_as_text(runner, tmp_path):
    case = next(c for c in CASES if c["id"] == "formula_injection")
    case = {**case, "args": [*case.get("args", []), "--show-id"]}
    result, output, _ = run_case(runner, case, tmp_path, fmt="csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    ids = [row[rows[0].index("公民身份号码")] for row in rows[1:]]
    assert ids[0] == '="510525197205140135"' and all(re.fullmatch(r'="\d{17}[\dX]"|\d{17}X', i) for i in ids)
    others = [cell for row in rows[1:] for i, cell in enumerate(row) if i != rows[0].index("公民身份号码")]
    assert not [c for c in others if c.startswith(("=", "+", "-", "@"))], "only ID digits are wrapped"


def test_csv_wraps_nothing_but_digits_in_the_id_column():
    import pandas as pd

    from vetting.reports.csv_report import excel_text
    values = pd.Series(["510525199001011234", "51052519900101123X", "510525********1234", "1\")&HYPERLINK(\"x", None],
                       dtype="str")
    assert excel_text(values).tolist()[:4] == ['="510525199001011234"', "51052519900101123X", "510525********1234",
                                               "1\")&HYPERLINK(\"x"]


def test_generated_at_carries_the_local_offset(runner, tmp_path):
    out = tmp_path / "r.json"
    done = runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15", "-o", str(out),
                               "--no-history"])
    assert done.exit_code == 0, done.output
    stamp = json.loads(out.read_text(encoding="utf-8"))["meta"]["generated_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp), stamp
