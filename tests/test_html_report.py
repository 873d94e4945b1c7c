"""HTML report without a browser: one self-contained file (no address outside it), every text
escaped, IDs masked once, the style and script allowed by hash alone, the demo's structure as in
the golden file, the per-village table and the profile figures right, the format chosen by suffix."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from html_outline import outline, parse
from test_bad_inputs import CASES, run_case
from test_reports import FORMULA_NAME, empty_result, sample_result

from conftest import FIXTURES
from hostile import id_leaks, ids_in
from vetting.cli import cli
from vetting.errors import VettingError
from vetting.pipeline import vet_files
from vetting.reports import html_report, report_files, write_report
from vetting.reports.html_report import format_html
from vetting.reports.overview import PROFILE_GROUPS, average_age, profile_group, target_summary, village_overview
from vetting.result import CANDIDATE_COLUMNS
from vetting.ruleset.loader import load_ruleset
from vetting.runoptions import report_format

GOLDEN = Path(__file__).parent / "golden" / "report_demo_html.txt"
AS_OF = dt.date(2026, 12, 15)
SCRIPT_NAME = "<script>alert(1)</script>"
ATTRIBUTE_NAME = '"><img src=x onerror=alert(2)>'
#: Attributes that may point somewhere: none may leave the page.
ADDRESS_ATTRIBUTES = ("src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href", "background")


def hostile_result():
    """sample_result() with a name that is a script tag and one that breaks out of an attribute."""
    result = sample_result()
    extra = pd.DataFrame([[4, "名册.xlsx", 6, SCRIPT_NAME, "村委会委员", "红星村", "城关镇", None, "pass"],
                          [5, "名册.xlsx", 7, ATTRIBUTE_NAME, "村委会委员", "<b>村</b>", "城关镇", None, "pass"]],
                         columns=CANDIDATE_COLUMNS)
    result.candidates = pd.concat([result.candidates, extra], ignore_index=True)
    result.candidates["source_row"] = result.candidates["source_row"].astype("Int64")
    return result


def external_references(html: str) -> list[str]:
    """Every attribute value or stylesheet `url(` / `@import` that could make a browser fetch
    something outside the page (fragments `#…` and the empty `data:,` icon are inside it)."""
    doc = parse(html)
    found = [f"{n.tag}[{a}]={v}" for n in doc.all() for a, v in n.attrs.items()
             if a in ADDRESS_ATTRIBUTES and not (v.startswith("#") or v == "data:,")]
    found += [f"style: {m}" for s in doc.all("style") for m in re.findall(r"url\(|@import", s.text())]
    return found


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory) -> str:
    """The demo roster's HTML report as `vet run` writes it."""
    from click.testing import CliRunner
    out = tmp_path_factory.mktemp("html") / "r.html"
    done = CliRunner().invoke(cli, ["run", str(FIXTURES / "demo_roster.xlsx"), "--as-of", "2026-12-15",
                                    "--format", "html", "-o", str(out), "--no-history"])
    assert done.exit_code == 0, done.output
    return out.read_text(encoding="utf-8")


def test_demo_report_is_self_contained(demo_html):
    assert external_references(demo_html) == []
    doc = parse(demo_html)
    assert len(doc.all("script")) == 1 and len(doc.all("style")) == 1
    assert not [n for n in doc.all("link") if n.attrs.get("rel") != "icon"]
    assert "27" in doc.by_id("shown-count").text()


def test_the_harness_sees_an_external_reference():
    page = '<link rel="stylesheet" href="https://cdn.example/x.css"><img src="x.png"><style>a{background:url(x)}</style>'
    assert len(external_references(page)) == 3


def test_csp_allows_exactly_the_reports_own_style_and_script(demo_html):
    doc = parse(demo_html)
    policy = next(m.attrs["content"] for m in doc.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none';")
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = "".join(doc.all(tag)[0].children)
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_every_text_is_escaped():
    html = format_html(hostile_result()).decode("utf-8")
    doc = parse(html)
    assert len(doc.all("script")) == 1, "only the report's own script"
    assert not [n for n in doc.all() if any(a.startswith("on") for a in n.attrs)], "no event handler attribute"
    assert not doc.all("img") and not [n for n in doc.all("b") if n.text() == "村"]
    names = [row.all("td")[1].text() for row in doc.all("tr", "cand")]
    assert SCRIPT_NAME in names and ATTRIBUTE_NAME in names and FORMULA_NAME in names
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_ids_masked_once_unless_show_id():
    masked = format_html(sample_result()).decode("utf-8")
    assert "510525********123X" in masked and "51052519900101123X" not in masked
    shown = format_html(sample_result(), show_id=True).decode("utf-8")
    assert "51052519900101123X" in shown


@pytest.mark.parametrize("case_id", ["formula_injection", "ids_written_with_spaces_cut_at_a_limit_or_in_a_name"])
def test_hostile_rosters_through_the_cli(runner, tmp_path, case_id):
    case = next(c for c in CASES if c["id"] == case_id)
    result, output, _ = run_case(runner, case, tmp_path, fmt="html")
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert external_references(html) == [] and len(parse(html).all("script")) == 1
    roster = FIXTURES / "bad" / case["file"]
    assert id_leaks([output], ids_in(roster.read_bytes())) == [], "ID digits escaped masking"


def test_demo_structure_is_golden(demo_html):
    assert outline(demo_html) == GOLDEN.read_text(encoding="utf-8").splitlines(), \
        "HTML report changed; if intended, run: python tests/golden/regenerate.py"


def test_village_overview_counts_verdicts_open_items_and_answers_owed():
    result = vet_files([str(FIXTURES / "county" / "联审花名册_未反馈.xlsx")], load_ruleset("national"), AS_OF)
    table = village_overview(result)
    assert table[["township", "village"]].values.tolist() == [["太平镇", "平丰村"], ["青山乡", "石桥村"]]
    assert table["candidates"].sum() == len(result.candidates)
    assert table[["disqualified", "unsuitable", "review", "pending", "pass"]].sum().tolist() == \
        [result.meta["verdict_counts"][v] for v in ("disqualified", "unsuitable", "review", "pending", "pass")]
    owed = sum(a["count"] for a in result.meta["awaiting"])
    assert table["awaited"].sum() == owed == 5
    serious = int((result.villages["severity"] != "notice").sum())
    assert table["open_items"].sum() == table["review"].sum() + table["pending"].sum() + serious


def test_profile_groups_and_declared_targets():
    result = vet_files([str(FIXTURES / "demo_roster.xlsx")], load_ruleset("reserve"), AS_OF)
    assert [t["parameter"] for t in result.targets] == \
        ["youth_age", "reserve_preferred_max_age", "reserve_preferred_min_education"]
    reserve = profile_group(result, "reserve")
    names = result.candidates.set_index("row_id").loc[reserve["row_id"], "name"].tolist()
    assert names == ["刘芳", "陈明"] and average_age(reserve) == 24.5
    education = next(t for t in result.targets if t["parameter"] == "reserve_preferred_min_education")
    met = target_summary(reserve, education)
    assert (met["label"], met["meeting"], met["known"]) == ("大专及以上", 1, 2)
    slate = profile_group(result, "slate")
    assert len(slate) + len(reserve) == result.meta["verdict_counts"]["pass"]
    assert [key for key, _ in PROFILE_GROUPS] == ["slate", "reserve"]


def test_format_by_suffix_to_stdout_and_files(tmp_path, runner):
    assert report_format(None, "报告.html") == "html" == report_format(None, "报告.HTM")
    assert report_files(tmp_path / "r.html", "html") == [(tmp_path / "r.html", "报告文件")]
    done = runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15", "--format", "html",
                               "--no-history"])
    assert done.exit_code == 0 and done.stdout.startswith("<!DOCTYPE html>")
    assert write_report(empty_result(), tmp_path / "e.html", "html") == [tmp_path / "e.html"]
    assert "没有尚未反馈的联审部门" in (tmp_path / "e.html").read_text(encoding="utf-8")


def test_too_many_candidates_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(html_report, "MAX_CANDIDATES", 3)
    with pytest.raises(VettingError, match="HTML 报告的上限"):
        write_report(sample_result(), tmp_path / "r.html", "html")
    assert list(tmp_path.iterdir()) == []
