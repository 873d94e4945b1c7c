"""The decisions template (`vet template --decisions`): empty, or filled from a report's flagged
findings (`--from 报告.json`) so that an office never types a 复核依据码 by hand: each row names
the person, the rule and the code of the finding; the office writes the decision, who, when,
the document number and why.

`template_rows` is pure (a parsed report in, rows out); `read_report` reads the report with a size
limit and Chinese errors; `write_decisions_template` writes xlsx (drop-down list, text columns,
a sheet of instructions) or csv (one header row, UTF-8 with BOM) atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Sequence

from vetting.atomic import write_atomic
from vetting.decisions.model import DECISIONS, EFFECTS
from vetting.errors import VettingError, os_reason
from vetting.reports.common import neutralise_formula
from vetting.reviewcode import finding_code
from vetting.rostertemplate import BOM
from vetting.ruleset.model import Ruleset
from vetting.vocab import SEVERITY_LABELS, Severity

#: Template columns in order; the two marked 参考 are shown for the reader and not read back.
COLUMNS = ("公民身份号码", "来源文件", "行号", "姓名", "规则编号", "规则名称（参考）", "问题（参考）", "复核依据码",
           "复核结论", "复核人/决定机关", "决定日期", "文号", "说明")
#: Columns stored as text in the workbook (Excel would round an ID number, turn a date into a serial).
TEXT_COLUMNS = frozenset({"公民身份号码", "复核依据码", "决定日期", "文号", "行号"})
_WIDTHS = {"公民身份号码": 22, "来源文件": 18, "行号": 6, "姓名": 10, "规则编号": 9, "规则名称（参考）": 22,
           "问题（参考）": 48, "复核依据码": 12, "复核结论": 12, "复核人/决定机关": 18, "决定日期": 12, "文号": 18,
           "说明": 40}
#: Severities whose findings an office decides on (pending: an agency owes an answer; notice: no flag).
FLAGGED = frozenset({Severity.DISQUALIFY.value, Severity.UNSUITABLE.value, Severity.REVIEW.value})
#: A report larger than this is not read for a template (a county's JSON report is a few MB).
MAX_REPORT_BYTES = 512 << 20


def read_report(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON report written by `vet run`, parsed; a file that is not one is a Chinese error."""
    where = f"报告文件 {path}"
    try:
        size = Path(path).stat().st_size
        if size > MAX_REPORT_BYTES:
            raise VettingError(f"{where}过大（{size >> 20}MB，最多{MAX_REPORT_BYTES >> 20}MB）")
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8-sig"))
    except OSError as exc:
        raise VettingError(f"无法读取{where}：{os_reason(exc)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise VettingError(f"{where}不是 vet run 输出的 JSON 报告（请用 --format json 或 -o 报告.json 生成）") from None
    if not isinstance(data, dict) or not isinstance(data.get("candidates"), list):
        raise VettingError(f"{where}不是 vet run 输出的 JSON 报告（缺少 candidates 列表）")
    return data


def template_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """One row per flagged finding (取消资格、不宜、需复核) of a JSON report, in report order, with
    the finding's 复核依据码; a finding the report shows as already decided keeps its decision,
    so that next round's template carries this round's record. ID numbers the report masks are
    left blank (the person is then named by file, row and name)."""
    rows = []
    for person in report.get("candidates") or []:
        if not isinstance(person, dict):
            continue
        file, line = _text(person.get("file")), _text(person.get("row"))
        id_number = _text(person.get("id_number"))
        for finding in person.get("findings") or []:
            if not isinstance(finding, dict):
                continue
            review = finding.get("review") if isinstance(finding.get("review"), dict) else {}
            severity = review.get("severity_before") or finding.get("severity")
            if severity not in FLAGGED:
                continue
            code = finding_code(finding.get("rule"), finding.get("reason"), finding.get("evidence"),
                                f"{file} 第{line}行")
            rows.append({"公民身份号码": "" if "*" in id_number else id_number, "来源文件": file, "行号": line,
                         "姓名": _text(person.get("name")), "规则编号": _text(finding.get("rule")),
                         "规则名称（参考）": _text(finding.get("rule_name")) + f"（{SEVERITY_LABELS.get(severity, '')}）",
                         "问题（参考）": _text(finding.get("reason")), "复核依据码": code,
                         "复核结论": _text(review.get("decision")), "复核人/决定机关": _text(review.get("decided_by")),
                         "决定日期": _text(review.get("decided_on")), "文号": _text(review.get("document")),
                         "说明": _text(review.get("note"))})
    return rows


def notes(ruleset: Ruleset) -> list[str]:
    """The instructions sheet: how to fill each column, what each decision does, which rules of
    the pack a decision may clear although they disqualify."""
    reviewable = [f"{r.code} {r.name}" for r in ruleset.rules if r.reviewable and r.severity == "disqualify"]
    return [
        "复核结论填写说明",
        "每行记录一名人选的一个问题经复核后的结论；vet run … --decisions 本文件 审查时适用。",
        "人选：填公民身份号码；未填时须填来源文件、行号、姓名（与审查报告一致）。",
        "规则编号、复核依据码：从审查报告的问题清单抄录，或用 vet template --decisions --from 报告.json 生成本表。"
        "问题的事实（理由、证据、联审意见）有变化时依据码随之变化，原复核结论即“已过时”，不再适用，须重新复核。",
        "复核结论只能填以下四种：",
        *(f"　{word}：{EFFECTS[word]}" for word in DECISIONS),
        "撤销、同意提名须在“说明”中写明理由；复核人/决定机关、决定日期（YYYY-MM-DD）必填，文号有则填。",
        "待反馈的问题须由相关部门答复，不能以复核结论代替；取消资格的问题，只有规则集列为可复核的规则才能撤销或同意提名：",
        "　" + ("、".join(reviewable) if reviewable else f"（规则集「{ruleset.id}」没有可复核的取消资格规则）"),
        "数据核查（V）、联审（J）类问题均可复核。",
    ]


def write_decisions_template(output: str | os.PathLike, fmt: str, ruleset: Ruleset,
                             rows: Sequence[dict[str, str]] = ()) -> int:
    """Write the template (with `rows` filled in) to `output` atomically; returns the row count."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([neutralise_formula(row.get(c, "")) for c in COLUMNS])
        write_atomic(output, (BOM + buffer.getvalue()).encode("utf-8"))
    else:
        write_atomic(output, _workbook(ruleset, rows).save)
    return len(rows)


def write_from_report(output: str | os.PathLike, fmt: str, ruleset: Ruleset, report: str | None = None) -> str:
    """`vet template --decisions [--from 报告.json]`: write the template, filled from the report's
    flagged findings when one is given; returns the Chinese note saying what was written."""
    rows = template_rows(read_report(report)) if report else []
    count = write_decisions_template(output, fmt, ruleset, rows)
    return f"已生成复核结论模板（预填 {count} 个待复核的问题）：{output}" if report else f"已生成复核结论模板：{output}"


def _workbook(ruleset: Ruleset, rows: Sequence[dict[str, str]]) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "复核结论"
    ws.append(list(COLUMNS))
    for index, heading in enumerate(COLUMNS, start=1):
        cell = ws.cell(1, index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="EDEDED" if "参考" in heading else "DDEBF7")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = _WIDTHS.get(heading, 14)
        if heading in TEXT_COLUMNS:
            ws.column_dimensions[letter].number_format = "@"
    for row in rows:
        ws.append([neutralise_formula(_clean_cell(row.get(c, ""))) for c in COLUMNS])
    for row_cells in ws.iter_rows(min_row=2):
        for cell, heading in zip(row_cells, COLUMNS):
            if heading in TEXT_COLUMNS:
                cell.number_format = "@"
    decision = get_column_letter(COLUMNS.index("复核结论") + 1)
    check = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True)
    check.errorTitle, check.error = "不是可用的复核结论", "请从下拉列表中选择：" + "、".join(DECISIONS)
    check.showErrorMessage = True
    check.add(f"{decision}2:{decision}{max(len(rows) + 1, 2000)}")
    ws.add_data_validation(check)
    ws.freeze_panes = "A2"
    sheet = wb.create_sheet("填写说明")
    for line in notes(ruleset):
        sheet.append([neutralise_formula(_clean_cell(line))])
    sheet.column_dimensions["A"].width = 120
    sheet["A1"].font = Font(bold=True, size=14)
    return wb


def _clean_cell(text: str) -> str:
    """Text a workbook can hold (control characters other than tab and line breaks dropped)."""
    return "".join(ch for ch in str(text) if ch >= " " or ch in "\t\n\r")


def _text(value: Any) -> str:
    return "" if value is None else str(value)
