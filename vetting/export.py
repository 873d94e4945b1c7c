"""A ruleset as a table a review committee can sign off (`vet rules export --format md|xlsx`).

One row per rule: code, name, category, severity, roles, the condition in words, the parameters in
force on the as-of date, the legal basis and caveats. `vet rules show CODE` prints the same fields
for one rule (see `vetting.explain.rule_text`).
"""

from __future__ import annotations

import datetime as dt
import os

from vetting.atomic import write_atomic
from vetting.explain import _num as number_text
from vetting.explain import parameter_text
from vetting.ruleset.condition import referenced_params
from vetting.ruleset.describe import describe_group_rule, describe_rule
from vetting.ruleset.model import Rule, Ruleset
from vetting.textsafe import XLSX_FORBIDDEN, replace_text
from vetting.vocab import SEVERITY_LABELS

COLUMNS = ("编号", "名称", "类别", "严重程度", "适用职务", "条件", "参数（基准日有效值）", "口径", "依据", "说明")
PARAMETER_COLUMNS = ("参数", "说明", "基准日有效值", "单位", "出处", "地方口径", "备注")
_WIDTHS = {"编号": 7, "名称": 24, "类别": 11, "严重程度": 10, "适用职务": 16, "条件": 48,
           "参数（基准日有效值）": 48, "口径": 24, "依据": 48, "说明": 40, "参数": 30, "基准日有效值": 34,
           "单位": 7, "出处": 40, "地方口径": 9, "备注": 48, "项目": 14, "内容": 90}
SIGN_OFF = ("审定意见：", "审定人（签字）：", "审定日期：")


def _as_of_or_latest(as_of: dt.date | None) -> dt.date:
    return as_of or dt.date.max


def severity_text(rule) -> str:  # noqa: ANN001 - a Rule or a GroupRule
    return f"{SEVERITY_LABELS[rule.severity]}（{rule.severity}）"


def rule_row(rule: Rule, ruleset: Ruleset, as_of: dt.date | None) -> dict[str, str]:
    """The sign-off row of one rule; `vet rules show` prints the same texts."""
    when = _as_of_or_latest(as_of)
    notes = [t for t in (rule.description, rule.note) if t]
    return {
        "编号": rule.code,
        "名称": rule.name,
        "类别": rule.category,
        "严重程度": severity_text(rule),
        "适用职务": "、".join(rule.roles) if rule.roles else "全部人选",
        "条件": describe_rule(rule, ruleset),
        "参数（基准日有效值）": "\n".join(parameter_text(ruleset.parameters[p], when) for p in rule.params),
        "口径": rule.scope_text(),
        "依据": "\n".join(b.render() for b in rule.basis),
        "说明": "\n".join(notes),
    }


def group_rule_rows(ruleset: Ruleset, as_of: dt.date | None) -> list[dict[str, str]]:
    """Slate rules (checked per village, not per person) in the same columns as the rules."""
    when = _as_of_or_latest(as_of)
    rows = []
    for rule in getattr(ruleset, "group_rules", ()):
        used = referenced_params(rule.where) if rule.where is not None else []
        used += [b[1:] for b in (rule.minimum, rule.maximum) if isinstance(b, str) and b.startswith("$")]
        params = [p for p in dict.fromkeys(used) if p in ruleset.parameters]
        rows.append({"编号": rule.code, "名称": rule.name, "类别": "群体规则（按村）", "严重程度": severity_text(rule),
                     "适用职务": "、".join(rule.roles) if rule.roles else "全部人选",
                     "条件": describe_group_rule(rule, ruleset),
                     "参数（基准日有效值）": "\n".join(parameter_text(ruleset.parameters[p], when) for p in params),
                     "口径": rule.scope_text(), "依据": "\n".join(b.render() for b in rule.basis), "说明": rule.description})
    return rows


def parameter_rows(ruleset: Ruleset, as_of: dt.date | None) -> list[dict[str, str]]:
    """Every parameter with the value in force on the as-of date (mappings as 键 值，…)."""
    when = _as_of_or_latest(as_of)
    rows = []
    for name, param in ruleset.parameters.items():
        value = param.at(when)
        if isinstance(value, dict):
            value = "，".join(f"{k} {number_text(v)}" for k, v in value.items())
        rows.append({"参数": f"${name}", "说明": param.description, "基准日有效值": number_text(value),
                     "单位": param.unit or "", "出处": param.reference or "",
                     "地方口径": "是" if param.local else "", "备注": param.note or ""})
    return rows


def header_lines(ruleset: Ruleset, as_of: dt.date | None) -> list[tuple[str, str]]:
    """What is being signed off: the pack, its version and files, and the as-of date."""
    groups = getattr(ruleset, "group_rules", ())
    lines = [("规则集", f"{ruleset.title}（{ruleset.id}）"), ("版本", ruleset.version),
             ("审查基准日", as_of.isoformat() if as_of else "未指定（参数取最新值）"),
             ("规则数", f"{len(ruleset.rules)} 条（"
                      + "，".join(f"{SEVERITY_LABELS[s]} {n}" for s, n in _severity_counts(ruleset)) + "）"
                      + (f"；另有群体规则 {len(groups)} 条" if groups else "")),
             ("文件", "；".join(f"{name}（SHA-256 {sha}）" for name, sha in ruleset.sources)),
             ("口径", _scope_summary(ruleset))]
    if ruleset.disabled:
        lines.append(("已停用的规则", "、".join(ruleset.disabled)))
    if ruleset.description:
        lines.append(("说明", ruleset.description))
    return lines


def _scope_summary(ruleset: Ruleset) -> str:
    """How many rules rest on national sources and which are 地方口径 (local lists only)."""
    rules = [*ruleset.rules, *getattr(ruleset, "group_rules", ())]
    local = [r.code for r in rules if r.local]
    text = f"全国规定 {len(rules) - len(local)} 条；地方口径 {len(local)} 条"
    return text + (f"（{'、'.join(local)}）" if local else "")


def _severity_counts(ruleset: Ruleset) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for rule in ruleset.rules:
        counts[rule.severity] = counts.get(rule.severity, 0) + 1
    return [(s, counts[s]) for s in SEVERITY_LABELS if s in counts]


# ---------------------------------------------------------------- Markdown

def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _md_table(columns: tuple[str, ...], rows: list[dict[str, str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(row[c]) for c in columns) + " |" for row in rows]
    return lines


def format_markdown(ruleset: Ruleset, as_of: dt.date | None) -> str:
    """The whole pack as Markdown: header, rule table, parameter table, sign-off lines."""
    lines = [f"# {ruleset.title}", ""]
    lines += [f"- **{label}**：{_md_cell(value)}" for label, value in header_lines(ruleset, as_of)]
    lines += ["", "## 规则", ""]
    lines += _md_table(COLUMNS, [rule_row(r, ruleset, as_of) for r in ruleset.rules])
    groups = group_rule_rows(ruleset, as_of)
    if groups:
        lines += ["", "## 群体规则（按村比对整届人选）", ""] + _md_table(COLUMNS, groups)
    lines += ["", "## 参数", ""]
    lines += _md_table(PARAMETER_COLUMNS, parameter_rows(ruleset, as_of))
    lines += ["", "## 审定", ""] + [f"{label}＿＿＿＿＿＿＿＿＿＿＿＿  " for label in SIGN_OFF] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- XLSX

def _xlsx_text(text: str) -> str:
    from vetting.reports.common import neutralise_formula  # the reports package imports pandas: XLSX only

    return neutralise_formula(replace_text(text, XLSX_FORBIDDEN))


def _sheet(wb, title: str, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:  # noqa: ANN001
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for row in rows:
        ws.append([_xlsx_text(row[c]) for c in columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(name, 14)
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = wrap
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def write_xlsx(ruleset: Ruleset, as_of: dt.date | None, path: str | os.PathLike) -> None:
    """Sheets 规则, 群体规则 (when the pack has slate rules), 参数 and 审定, saved atomically."""
    from openpyxl import Workbook

    def save(tmp_path: str) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        _sheet(wb, "规则", COLUMNS, [rule_row(r, ruleset, as_of) for r in ruleset.rules])
        groups = group_rule_rows(ruleset, as_of)
        if groups:
            _sheet(wb, "群体规则", COLUMNS, groups)
        _sheet(wb, "参数", PARAMETER_COLUMNS, parameter_rows(ruleset, as_of))
        sign = [{"项目": label, "内容": value} for label, value in header_lines(ruleset, as_of)]
        sign += [{"项目": label.rstrip("："), "内容": ""} for label in SIGN_OFF]
        _sheet(wb, "审定", ("项目", "内容"), sign)
        wb.save(tmp_path)

    write_atomic(path, save)


def export_ruleset(ruleset: Ruleset, as_of: dt.date | None, fmt: str, path: str | os.PathLike | None) -> str | None:
    """Write the pack to `path` (xlsx needs one); Markdown without a path is returned as text."""
    if fmt == "xlsx":
        if path is None:
            raise ValueError("xlsx 需要输出文件路径")
        write_xlsx(ruleset, as_of, path)
        return None
    text = format_markdown(ruleset, as_of)
    if path is None:
        return text
    write_atomic(path, text.encode("utf-8"))
    return None
