"""Readable Chinese text for one candidate's outcome and for one rule (used by `vet check` and `vet rules`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from vetting.datachecks import DATA_CHECKS, WAITING_LEAD
from vetting.ruleset.describe import describe_rule
from vetting.ruleset.model import GroupRule, Parameter, Rule, Ruleset
from vetting.vocab import SEVERITY_LABELS, SEVERITY_RANK, VERDICT_LABELS

if TYPE_CHECKING:
    from vetting.result import VettingResult


def candidate_text(result: VettingResult, row_id: int, show_id: bool = False) -> str:
    """The verdict and every reason for one candidate, worst first (ID numbers masked unless `show_id`)."""
    from vetting.engine.verdicts import ranked  # pandas: not for `vet rules`, which explains rules
    from vetting.reports.common import awaited_summary, redact

    result = redact(result, show_id)
    cand = result.candidates.iloc[row_id]
    lines = [f"{_v(cand['name'])}（{_v(cand['role'])}，{_v(cand['village'])}，身份证号 {_v(cand['id_number'])}）",
             f"审查结论：{VERDICT_LABELS[cand['verdict']]}（{cand['verdict']}）"]
    found = result.findings[result.findings["row_id"] == row_id]
    found = found.assign(_o=ranked(found["severity"], SEVERITY_RANK, len(SEVERITY_RANK))).sort_values(
        ["_o", "rule"], kind="stable")
    if found.empty:
        lines.append("未发现不符合条件的情形。")
    pending = found["severity"] == "pending"
    for i, f in enumerate(found[~pending].itertuples(), 1):
        lines += [f"{i}. [{f.rule} {f.rule_name}] {SEVERITY_LABELS[f.severity]}",
                  f"   理由：{f.reason}", f"   证据：{f.evidence}", f"   依据：{f.basis}"]
        if isinstance(getattr(f, "review", None), str):
            lines.append(f"   {f.review}")
    if pending.any():
        lines.append(f"待反馈：{awaited_summary(found).iloc[0]}")
        lines += [f"   [{f.rule}] {f.reason}" for f in found[pending].itertuples()
                  if f.rule != "J01" or WAITING_LEAD in f.reason]
    gaps = {e["rule"]: e for e in (result.meta.get("coverage") or {}).get("not_covered", [])}
    unchecked = [gaps[code] for code in result.unchecked.loc[result.unchecked["row_id"] == row_id, "rule"]
                 if code in gaps]
    if unchecked:
        lines.append("未覆盖（所需信息没有来源，本次未能审查；「通过」不包括这些规则）：")
        lines += [f"   [{e['rule']} {e['name']}] {e['remedy']}" for e in unchecked]
    return "\n".join(lines)


def _v(value: object) -> str:
    import pandas as pd

    return "（空）" if value is None or pd.isna(value) else str(value)


def parameter_text(param: Parameter, as_of: dt.date) -> str:
    """A parameter with the value in force on the as-of date and where it comes from."""
    value = param.at(as_of)
    finite = isinstance(value, (int, float)) and value != float("inf")
    if isinstance(value, dict):
        value = "，".join(f"{k} {_num(v)}" for k, v in value.items())
    else:
        value = _num(value)
    text = f"${param.name}（{param.description}）= {value}{(param.unit or '') if finite else ''}"
    if param.reference:
        text += f"；出处：{param.reference}"
    if param.local:
        text += "；【地方口径】"
    if param.note:
        text += f"；说明：{param.note}"
    return text


def _num(value: object) -> str:
    if value is None:
        return "（该日尚未生效）"
    if isinstance(value, float) and value == float("inf"):
        return "永久"
    return str(value)


def rule_text(rule: Rule, ruleset: Ruleset, as_of: dt.date) -> str:
    """One rule explained: what it checks, how severe, on what basis, with parameters in force."""
    roles = "、".join(rule.roles) if rule.roles else "全部人选"
    labels = "、".join(ruleset.fields[f].label for f in rule.fields)
    lines = [f"{rule.code} {rule.name}",
             f"类别：{rule.category}    严重程度：{SEVERITY_LABELS[rule.severity]}（{rule.severity}）",
             f"口径：{rule.scope_text()}",
             f"适用：{roles}",
             f"条件：{describe_rule(rule, ruleset)}",
             f"条件表达式：{rule.when}",
             f"读取字段：{labels or '无'}",
             f"理由模板：{rule.reason_text}"]
    lines += [f"说明：{text}" for text in (rule.description, rule.note) if text]
    if rule.reviewable and rule.severity == "disqualify":
        lines.append("可复核：是（经复核确认不成立的，复核结论可撤销此项或同意提名，见 vet run --decisions）")
    for name in rule.params:
        lines.append("参数：" + parameter_text(ruleset.parameters[name], as_of))
    lines += [f"依据：{b.render()}" for b in rule.basis]
    lines.append(f"定义于：{Path(rule.source).name} 第{rule.line}行")  # the file, not where it is installed
    return "\n".join(lines)


_GROUP_KINDS = {"duplicate": "同一人在名单中重复出现", "relatives": "同一村(社区)人选之间的亲属关系",
                "count": "按村(社区)统计的人数与要求比较", "seats": "按村(社区)比较人选数与申报的职数",
                "minority": "按村(社区)比较人选的民族与申报的人数较少的民族",
                "posts": "按村(社区)对照现任干部名册（--officers），逐个职位核对有无后备力量",
                "absent": "对照此前记录的审查，列出本次花名册中没有的后备力量",
                "ratings": "对照此前记录的审查，列出每名后备力量的历次考核"}


def group_rule_text(rule: GroupRule, ruleset: Ruleset, as_of: dt.date) -> str:
    """A rule across candidates explained: what it compares, its bounds, on what basis."""
    lines = [f"{rule.code} {rule.name}",
             f"类别：跨人选规则（{_GROUP_KINDS.get(rule.kind, rule.kind)}）    "
             f"严重程度：{SEVERITY_LABELS[rule.severity]}（{rule.severity}）",
             f"口径：{rule.scope_text()}",
             f"适用：{'、'.join(rule.roles) if rule.roles else '全部人选'}"]
    if rule.where_text:
        lines.append(f"统计范围：{rule.where_text}")
    for label, bound in (("下限", rule.minimum), ("上限", rule.maximum)):
        if bound is not None:
            name = str(bound)[1:] if str(bound).startswith("$") else None
            lines.append(f"{label}：" + (parameter_text(ruleset.parameters[name], as_of)
                                        if name in ruleset.parameters else str(bound)))
    if rule.kind == "relatives" and rule.scope:
        lines.append(f"亲属范围：{'、'.join(rule.scope)}")
    if rule.against:
        lines.append(f"比对对象：拟任{'、'.join(rule.against)}的人选")
    if rule.village_field:
        lines.append(f"村级信息：「{ruleset.fields[rule.village_field].label}」（本村各行填写，或填在其中一行）")
    if rule.reason:
        lines.append(f"理由模板：{rule.reason}")
    lines += [f"说明：{rule.description}"] if rule.description else []
    lines += [f"依据：{b.render()}" for b in rule.basis]
    return "\n".join(lines)


def data_check_text(code: str) -> str | None:
    """A built-in data check (V-codes: the data itself; J-codes: the joint review) explained, or None."""
    check = DATA_CHECKS.get(code)
    if check is None:
        return None
    kind = "数据核查（不评价人选本身，只说明数据须人工核实）" if code.startswith("V") else "联审核查（部门反馈情况）"
    return "\n".join([f"{check.code} {check.name}",
                      f"类别：{kind}    严重程度：{SEVERITY_LABELS[check.severity]}（{check.severity}）",
                      "适用：全部人选；所有规则集内置",
                      f"依据：{check.basis}"])


def known_codes(ruleset: Ruleset) -> list[str]:
    """Every code `code_text` can explain for this ruleset: its rules, its rules across candidates,
    the built-in data checks."""
    return [r.code for r in ruleset.rules] + [g.code for g in ruleset.group_rules] + list(DATA_CHECKS)


def code_text(code: str, ruleset: Ruleset, as_of: dt.date) -> str | None:
    """Any code a report can show - a pack rule, a rule across candidates, a V/J data check -
    explained; None when the code is none of them."""
    rule = ruleset.rule(code)
    if rule is not None:
        return rule_text(rule, ruleset, as_of)
    group = next((g for g in ruleset.group_rules if g.code == code), None)
    if group is not None:
        return group_rule_text(group, ruleset, as_of)
    return data_check_text(code)
