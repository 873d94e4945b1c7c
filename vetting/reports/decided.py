"""What a report shows of recorded human decisions (复核结论, vetting.decisions): the 已复核 mark
beside a decided finding, the list of every decision with what became of it, and the audit lines
(stale and unmatched decisions are listed, never dropped). Pure; masking is the caller's
(`common.redact`), except `mask_decisions`, which it calls."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vetting.privacy import mask_id_series, mask_text_series
from vetting.vocab import DECISION_STATUS_LABELS, SEVERITY_LABELS, VERDICT_LABELS

#: The decisions list (CSV sidecar, XLSX sheet), in output order.
DECISION_HEADINGS = ["复核结论文件", "行号", "姓名", "公民身份号码", "花名册位置", "规则", "复核依据码", "复核结论",
                     "处理情况", "原因", "严重程度", "审查结论", "复核人/决定机关", "决定日期", "文号", "说明"]
#: Text columns of the decisions table that may quote an ID number typed into the decisions file.
_DECISION_TEXT = ("name", "why", "note", "position", "decided_by", "document")


def mask_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions table with ID numbers masked (the ID column and ID-like numbers in texts)."""
    out = decisions.copy(deep=False)
    for column in _DECISION_TEXT:
        if column in out:
            out[column] = mask_text_series(out[column].astype("string"))
    if "id_number" in out:
        out["id_number"] = mask_id_series(out["id_number"].astype("string"))
    return out


def review_suffix(findings: pd.DataFrame) -> pd.Series:
    """Per finding, "（已复核：…）" to follow its reason, or "" (no decision, or a run without any)."""
    if "review" not in findings:
        return pd.Series("", index=findings.index, dtype="str")
    review = findings["review"].astype("string")
    return ("（" + review + "）").fillna("").astype("str")


def decisions_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """Every decision of the run (DECISION_HEADINGS), in decisions-file order; empty without any."""
    d = decisions

    def text(column: str) -> pd.Series:
        return d[column].astype("string").astype("str") if len(d) else pd.Series(dtype="str")

    def labels(column: str, names: dict[str, str]) -> pd.Series:
        return d[column].map(lambda v: names.get(v, v) if isinstance(v, str) else "").astype("str")

    severity = labels("severity_before", SEVERITY_LABELS) + " → " + labels("severity_after", SEVERITY_LABELS)
    verdict = labels("verdict_before", VERDICT_LABELS) + " → " + labels("verdict_after", VERDICT_LABELS)
    applied = d["status"].eq("applied")
    table = pd.DataFrame({
        "复核结论文件": text("file"), "行号": d["file_row"].astype("Int64"), "姓名": text("name"),
        "公民身份号码": text("id_number"), "花名册位置": text("position"), "规则": text("rule"),
        "复核依据码": text("code"), "复核结论": text("decision"),
        "处理情况": d["status"].map(DECISION_STATUS_LABELS).astype("str"), "原因": text("why"),
        "严重程度": severity.where(applied, ""), "审查结论": verdict.where(applied, ""),
        "复核人/决定机关": text("decided_by"), "决定日期": text("decided_on"), "文号": text("document"),
        "说明": text("note")}, columns=DECISION_HEADINGS)
    return table.reset_index(drop=True)


def decision_lines(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """Audit lines of a decided run: the decisions file and counts, then each decision not applied
    with why."""
    block = meta.get("decisions")
    if not block:
        return []
    stale, unmatched = block.get("stale") or [], block.get("unmatched") or []
    lines = [("复核结论文件", f"{block.get('file', '')}（SHA256：{block.get('sha256', '')}）"),
             ("复核结论", f"共{block.get('rows', 0)}行，已适用{block.get('applied', 0)}条（改变结论"
                        f"{block.get('verdicts_changed', 0)}人），已过时{len(stale)}条，未匹配{len(unmatched)}条"
                        + (f"，尚未填写复核结论{block['undecided']}行" if block.get("undecided") else ""))]
    lines += [(label, f"第{e['row']}行 {entry_person(e)} {e['rule']} {e['decision']}：{e['why']}")
              for label, entries in (("已过时的复核结论", stale), ("未匹配的复核结论", unmatched)) for e in entries]
    return lines


def entry_person(entry: dict[str, Any]) -> str:
    """Who a meta.decisions entry names: name and ID number, or name and roster position."""
    return " ".join(str(x) for x in (entry.get("name"), entry.get("id_number") or entry.get("position")) if x)
