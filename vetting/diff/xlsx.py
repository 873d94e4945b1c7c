"""The diff as a workbook: sheets 人选变化 (verdict or findings changed), 问题变化, 按规则, 按村 and 说明,
saved atomically. Every text cell is formula-neutralised and stripped of characters a workbook cannot
hold; IDs masked."""

from __future__ import annotations

import os
from typing import Any

from vetting.atomic import write_atomic
from vetting.diff.compare import Diff
from vetting.diff.text import severity_label
from vetting.history.text import verdict_label
from vetting.reports.common import neutralise_formula
from vetting.textsafe import XLSX_FORBIDDEN, replace_text

_PERSON = ("文件", "行号", "姓名", "拟任职务", "乡镇(街道)", "村(社区)", "公民身份号码")
_WIDTHS = {"文件": 18, "行号": 7, "姓名": 10, "拟任职务": 14, "乡镇(街道)": 12, "村(社区)": 12, "公民身份号码": 21,
           "原结论": 10, "新结论": 10, "规则": 8, "规则名称": 22, "变化": 8, "严重程度": 10, "理由": 60, "原因": 50,
           "项目": 14, "内容": 90}


def _person(c: Any) -> list:
    return [c.source_file, c.source_row, c.name, c.role, c.township, c.village, c.id_masked]


def sheets(diff: Diff) -> dict[str, tuple[tuple[str, ...], list[list]]]:
    """Sheet name -> (headings, rows) of the workbook (pure)."""
    changed = [[*_person(c.new), verdict_label(c.old.verdict), verdict_label(c.new.verdict), "、".join(c.rules()),
                "\n".join(f"{code}：{r}" for code in c.rules() for r in diff.reasons.get(code, ()))]
               for c in diff.changes]
    findings = []
    for c in diff.changes:
        entries = [("新增", f) for f in c.appeared] + [("消失", f) for f in c.disappeared]
        entries += [(label, f) for rc in c.changed for label, group in (("原为", rc.old), ("现为", rc.new))
                    for f in group]
        for label, f in entries:
            findings.append([*_person(c.new), f.rule, f.rule_name, label, severity_label(f.severity), f.reason,
                             "；".join(diff.reasons.get(f.rule or "", ()))])
    rules = [[r.rule, r.name, r.appeared, r.disappeared, r.changed, "；".join(diff.reasons.get(r.rule, ()))]
             for r in diff.by_rule()]
    villages = [[v.township, v.village, v.verdict_changed, v.findings_changed,
                 "，".join(f"{verdict_label(a)}→{verdict_label(b)} {n}" for (a, b), n in v.moves.items())]
                for v in diff.by_village()]
    about = [["旧", f"{diff.old.label}：{diff.old.ruleset}，基准日 {diff.old.as_of}"],
             ["新", f"{diff.new.label}：{diff.new.ruleset}，基准日 {diff.new.as_of}"],
             *[["说明", note] for note in diff.notes],
             *[[f"规则 {code}", "；".join(why)] for code, why in diff.reasons.items()],
             ["结论有变化", f"{len(diff.verdict_changes)} 人"], ["仅问题有变化", f"{len(diff.finding_changes)} 人"],
             ["未变", f"{diff.unchanged} 人"], ["仅在旧结果中", f"{len(diff.only_old)} 人"],
             ["仅在新结果中", f"{len(diff.only_new)} 人"]]
    return {
        "人选变化": ((*_PERSON, "原结论", "新结论", "规则", "原因"), changed),
        "问题变化": ((*_PERSON, "规则", "规则名称", "变化", "严重程度", "理由", "原因"), findings),
        "按规则": (("规则", "规则名称", "新增", "消失", "变化", "原因"), rules),
        "按村": (("乡镇(街道)", "村(社区)", "结论变化", "仅问题变化", "结论变动"), villages),
        "说明": (("项目", "内容"), about),
    }


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(replace_text(value, XLSX_FORBIDDEN))
    return value


def write_diff_xlsx(diff: Diff, path: str | os.PathLike) -> None:
    """Write the diff workbook to `path` atomically (streamed: xlsxwriter in constant-memory mode;
    text always written as text, never as a formula, number or link)."""
    from vetting.reports.xlsx_report import streamed_workbook, write_cell

    tables = sheets(diff)

    def save(tmp_path: str) -> None:
        with streamed_workbook(tmp_path) as wb:
            bold, wrap = wb.add_format({"bold": True}), wb.add_format({"text_wrap": True, "valign": "top"})
            for title, (headings, rows) in tables.items():
                ws = wb.add_worksheet(title)
                for index, name in enumerate(headings):
                    ws.set_column(index, index, _WIDTHS.get(name, 12))
                    ws.write_string(0, index, _cell(name), bold)
                for r, row in enumerate(rows, start=1):
                    for index, value in enumerate(row):
                        write_cell(ws, r, index, _cell(value), wrap)
                ws.freeze_panes(1, 0)

    write_atomic(path, save)

