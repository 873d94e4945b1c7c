"""HTML report: one self-contained page (no external address at all) for reading on screen and
printing: the verdicts, a table per township and village, what the run did not cover, the chase
list per agency, charts as inline SVG, the candidate table with filters and each candidate's
findings, the audit block and a signature block.

The page is rendered by Jinja2 with autoescaping, so every text from a roster or an agency
(a name such as ``<script>`` or ``=HYPERLINK(…)``) is shown as text. The only markup inserted
as it is are the report's own stylesheet and script, whose SHA-256 hashes the page's Content
Security Policy lists (``default-src 'none'``): the page can load nothing, and no other script
or style on it runs. IDs are masked before this module sees the result (`redact`)."""

from __future__ import annotations

import base64
import functools
import hashlib
from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from vetting.errors import VettingError
from vetting.reports import html_charts as charts
from vetting.reports.common import (
    as_text,
    candidate_table,
    local_time_text,
    meta_lines,
    redact,
    sorted_findings,
    village_table,
)
from vetting.reports.decided import review_suffix
from vetting.reports.overview import (
    DIMENSIONS,
    PROFILE_GROUPS,
    VILLAGE_COLUMNS,
    average_age,
    dimension_values,
    distribution,
    percent,
    profile_group,
    target_summary,
    village_keys,
    village_overview,
)
from vetting.result import VettingResult
from vetting.vocab import COVERAGE_LABELS, SEVERITY_LABELS, VERDICT_LABELS, VERDICTS

TEMPLATES = Path(__file__).parent / "templates"
TITLE = "村(社区)“两委”换届人选资格联审报告"
#: A page a browser still opens comfortably; larger runs go to CSV or JSON.
MAX_CANDIDATES = 50_000


def format_html(result: VettingResult, show_id: bool = False) -> bytes:
    """The HTML report as UTF-8 bytes; IDs masked unless `show_id`. A run of more than
    MAX_CANDIDATES candidates is refused (a page that size no browser opens comfortably)."""
    if len(result.candidates) > MAX_CANDIDATES:
        raise VettingError(f"本次有 {len(result.candidates)} 名人选，超过 HTML 报告的上限（{MAX_CANDIDATES} 人），"
                           "请改用 xlsx、csv 或 json 格式输出")
    result = redact(result, show_id)
    css, js = _asset("report.css"), _asset("report.js")
    page = _environment().get_template("report.html.j2").render(
        **report_context(result), css=Markup(css), js=Markup(js), csp=content_security_policy(css, js))
    return page.encode("utf-8")


def content_security_policy(css: str, js: str) -> str:
    """The page's policy: nothing may be loaded from anywhere; only the report's own style and
    script (by hash) apply; the icon is an empty data: address so no browser asks for one."""
    return (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def report_context(result: VettingResult) -> dict[str, Any]:
    """Everything the template shows, as plain values (pure; `result` is already masked)."""
    meta = result.meta
    ruleset = meta.get("ruleset") or {}
    counts = as_text(result.candidates["verdict"]).value_counts()
    overview = village_overview(result)
    context = {
        "title": TITLE,
        "ruleset": " ".join(str(x) for x in (ruleset.get("title"), ruleset.get("version")) if x) or "—",
        "as_of": meta.get("as_of", "—"),
        "generated_at": local_time_text(meta.get("generated_at")) or "",
        "candidate_count": len(result.candidates),
        "cards": [{"code": v, "label": VERDICT_LABELS[v], "count": int(counts.get(v, 0))} for v in VERDICTS],
        "group_summary": meta.get("group_summary") or [],
        "warnings": meta.get("warnings") or [],
        "coverage": _coverage(meta),
        "awaiting": meta.get("awaiting") or [],
        "verdict_chart": charts.verdict_chart(overview),
        "profile_groups": [_profile_group(result, key, title) for key, title in PROFILE_GROUPS],
        "audit": meta_lines(meta),
    }
    context.update(_village_section(result, overview))
    context.update(_candidate_section(result))
    return context


def _village_section(result: VettingResult, overview: pd.DataFrame) -> dict[str, Any]:
    numbers = overview.columns[2:]
    total = ["合计", f"{len(overview)} 个村(社区)", *(int(overview[c].sum()) for c in numbers)]
    findings = village_table(result)
    return {"village_headings": [heading for _, heading in VILLAGE_COLUMNS],
            "village_rows": overview.astype(object).values.tolist(), "village_total": total,
            "village_findings_headings": list(findings.columns),
            "village_findings": _text_frame(findings).values.tolist()}


def _coverage(meta: dict[str, Any]) -> dict[str, Any]:
    coverage = meta.get("coverage") or {}
    note = coverage.get("note") or ("本次审查覆盖了规则集的全部规则。" if coverage else "报告未记录审查范围。")
    return {"note": note, "mode": COVERAGE_LABELS.get(coverage.get("mode", ""), ""),
            "entries": coverage.get("not_covered") or []}


def _profile_group(result: VettingResult, key: str, title: str) -> dict[str, Any]:
    """One PROFILE_GROUPS group: size, average age, its targets met, a chart per dimension."""
    profile = profile_group(result, key)
    targets = [target_summary(profile, t) for t in result.targets if t["group"] == key]
    for t in targets:
        t["share_text"] = percent(t["share"])
    counted = {d: [] for d, _, _ in DIMENSIONS}
    named = {d: "" for d, _, _ in DIMENSIONS}
    for t, declared in zip(targets, (t for t in result.targets if t["group"] == key)):
        counted[declared["dimension"]] = t["counted"]
        named[declared["dimension"]] = t["label"]
    figures = [charts.distribution_chart(name, distribution(dimension_values(profile, d), order), counted[d], named[d])
               for d, name, order in DIMENSIONS] if len(profile) else []
    return {"key": key, "title": title, "count": len(profile), "average_age": average_age(profile),
            "targets": targets, "charts": figures}


def _candidate_section(result: VettingResult) -> dict[str, Any]:
    """The candidate table grouped by township and village (order of first appearance, input
    order within), each row with its findings, and the options of the filters."""
    c = result.candidates.reset_index(drop=True)
    keys = village_keys(c)
    villages = keys.drop_duplicates().reset_index(drop=True)
    townships = list(dict.fromkeys(villages["township"]))
    village_at = pd.MultiIndex.from_frame(villages).get_indexer(pd.MultiIndex.from_frame(keys))
    rows = _candidate_rows(result, c, keys)
    order = sorted(range(len(rows)), key=lambda i: (village_at[i], i))
    places = list(villages.itertuples(index=False, name=None))
    groups = []
    for index, members in groupby(order, key=lambda i: village_at[i]):
        township, village = places[index]
        groups.append({"index": int(index), "township": township, "village": village,
                       "township_index": townships.index(township), "rows": [rows[i] for i in members]})
    f = result.findings
    rules = (pd.DataFrame({"code": as_text(f["rule"]), "name": as_text(f["rule_name"])}).dropna(subset=["code"])
             .drop_duplicates("code").sort_values("code"))
    return {"village_groups": groups,
            "verdict_options": [(v, VERDICT_LABELS[v]) for v in VERDICTS],
            "township_options": list(enumerate(townships)),
            "village_options": [(i, f"{t} {v}") for i, (t, v) in enumerate(places)],
            "rule_options": list(rules.fillna("").itertuples(index=False, name=None))}


#: The candidate table's columns: (key in the template, heading of `candidate_table`).
_ROW_COLUMNS = (("name", "姓名"), ("role", "拟任职务"), ("id_number", "公民身份号码"), ("verdict", "结论代码"),
                ("verdict_label", "审查结论"), ("count", "问题数"), ("file", "文件"), ("row", "行号"),
                ("not_covered", "未覆盖规则"))


def _candidate_rows(result: VettingResult, c: pd.DataFrame, keys: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per candidate in input order: its cells, the first line of its reasons, its
    findings and the codes the rule filter matches."""
    table = _text_frame(candidate_table(result, show_id=True))
    shown = pd.DataFrame({key: table[heading] for key, heading in _ROW_COLUMNS})
    shown["township"], shown["village"] = keys["township"].to_numpy(), keys["village"].to_numpy()
    shown["headline"] = table["理由"].str.split("\n").str[0].to_numpy()
    shown["n"], shown["id"] = range(1, len(c) + 1), range(len(c))
    rows = shown.to_dict("records")
    findings = _findings_by_row(result)
    for row, row_id in zip(rows, c["row_id"].tolist()):
        row["findings"] = findings.get(row_id, [])
        row["rules"] = " ".join(dict.fromkeys(f["rule"] for f in row["findings"]))
    return rows


def _findings_by_row(result: VettingResult) -> dict[Any, list[dict[str, str]]]:
    """Each candidate's findings (worst first), severity in Chinese, keyed by row_id."""
    f = sorted_findings(result.findings)
    shown = _text_frame(f[["row_id", "rule", "rule_name", "severity", "reason", "evidence", "basis"]].astype(
        {c: "str" for c in ("rule", "rule_name", "severity", "reason", "evidence", "basis")}))
    shown["severity"] = shown["severity"].map(lambda s: SEVERITY_LABELS.get(s, s))
    shown["reason"] = shown["reason"] + review_suffix(f).to_numpy()
    records = shown.to_dict("records")
    return {key: list(group) for key, group in groupby(records, key=lambda r: r["row_id"])}


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as the page shows it: missing values as empty text."""
    return frame.astype(object).where(frame.notna(), "")


@functools.lru_cache(maxsize=None)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       keep_trailing_newline=True)


@functools.lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
