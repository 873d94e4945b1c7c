"""Report formatting shared by every output format: pure functions from a VettingResult to
tables and text, with no file I/O. Column headings and labels are the user-facing Chinese."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.datachecks import AGENCY_SILENT
from vetting.engine.verdicts import ranked
from vetting.privacy import cut_text_series, mask_id_series, mask_text_series, mask_tree
from vetting.reports.decided import decision_lines, mask_decisions, review_suffix
from vetting.reports.joining import join_by
from vetting.result import VettingResult
from vetting.reviewcode import finding_codes
from vetting.textbytes import as_text, spread, starts_with_byte, stored_arrow
from vetting.textsafe import REPLACEMENT, replace_series, replace_tree
from vetting.vocab import SEVERITIES, SEVERITY_LABELS, SEVERITY_RANK, VERDICT_LABELS, VERDICTS

#: Candidate table headings, in output order.
CANDIDATE_HEADINGS = ["文件", "行号", "姓名", "拟任职务", "村(社区)", "乡镇(街道)", "公民身份号码",
                      "审查结论", "结论代码", "未覆盖规则", "问题数", "问题规则", "摘要"]
#: The longest 摘要 (characters): a report holds one short line per candidate, sized for people
#: and bounded whatever the run found; the full reasons, evidence and bases are in the findings.
SUMMARY_CHARS = 80
CUT_MARK = "…"
#: Findings table headings, in output order.
FINDING_HEADINGS = ["文件", "行号", "姓名", "规则", "规则名称", "严重程度", "理由", "证据", "依据", "复核依据码"]
#: Added after FINDING_HEADINGS when the run applied recorded decisions (--decisions).
REVIEW_HEADING = "复核"
#: Summary table headings, in output order.
SUMMARY_HEADINGS = ["分类", "代码", "名称", "严重程度", "数量"]

NOTICE_PREFIX = "提示："
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_BYTES = "".join(_FORMULA_START).encode("ascii")


def neutralise_formula(s: pd.Series | str) -> pd.Series | str:
    """Prefix text starting with ``= + - @``, tab or CR with ``'`` so spreadsheets show it as
    text instead of running it as a formula (CSV/formula injection). Non-text passes through."""
    if isinstance(s, str):
        return "'" + s if s.startswith(_FORMULA_START) else s
    if not isinstance(s, pd.Series) or not _is_text(s):
        return s
    text = stored_arrow(s)
    if text is not None and not starts_with_byte(text, _FORMULA_BYTES):
        return s
    hit = s.str.startswith(_FORMULA_START, na=False).astype(bool)
    if not hit.any():
        return s
    out = s.copy()
    out[hit] = "'" + s[hit]
    return out


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`neutralise_formula` applied to every text column of `df` (a new frame)."""
    return df.apply(neutralise_formula)


#: Text columns that may quote a person's data (cells, agency texts, file names): masked in reports.
_CANDIDATE_TEXT = ("source_file", "name", "role", "village", "township")
_FINDING_TEXT = ("reason", "evidence", "review", "review_by", "review_document", "review_note")
_VILLAGE_TEXT = ("township", "village", "reason", "evidence")


def redact(result: VettingResult, show_id: bool) -> VettingResult:
    """The result as a report shows it: unless `show_id`, ID numbers masked in the ID column and
    wherever an ID-like number appears in names, file names, reasons, evidence and the meta block
    (vetting.privacy decides what counts and how it is masked). The legal bases are the pack's
    own text and are left alone."""
    if show_id:
        return result
    candidates = _mask_columns(result.candidates, _CANDIDATE_TEXT)
    if "id_number" in candidates:
        candidates["id_number"] = mask_id_series(result.candidates["id_number"])
    return replace(result, candidates=candidates, findings=_mask_columns(result.findings, _FINDING_TEXT),
                   villages=_mask_columns(result.villages, _VILLAGE_TEXT), meta=redact_meta(result.meta, show_id),
                   decisions=mask_decisions(result.decisions))


#: Text columns a report shows, per frame: cleaned of what the output format cannot hold.
_SHOWN_TEXT = {"candidates": (*_CANDIDATE_TEXT, "id_number"),
               "findings": ("rule", "rule_name", "severity", *_FINDING_TEXT, "basis")}


def clean_result(result: VettingResult, forbidden: str, output: str) -> VettingResult:
    """The result with every character matching `forbidden` (a vetting.textsafe pattern) replaced
    by U+FFFD in each text a report shows - cells, names, reasons, evidence, village findings and
    the meta block - and, when any was, a warning in ``meta.warnings`` saying how many texts were
    changed for `output` (e.g. "Excel"), so that the change is visible in the report itself."""
    cleaned, count = clean_counted(result, forbidden)
    if count:
        cleaned.meta["warnings"] = [*(cleaned.meta.get("warnings") or []), control_warning(count, output)]
    return cleaned


def control_warning(count: int, output: str) -> str:
    """The meta warning of `clean_result`: how many texts lost characters `output` cannot hold."""
    return f"有 {count} 处文字含有 {output} 文件不能容纳的控制字符，已替换为“{REPLACEMENT}”"


def clean_counted(result: VettingResult, forbidden: str) -> tuple[VettingResult, int]:
    """`clean_result` without the warning: the cleaned result and how many texts were changed
    (a chunked run adds the counts of its chunks before it words the warning once)."""
    count = 0

    def clean(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame | None:
        nonlocal count
        if frame is None:
            return None
        out = frame.copy(deep=False)
        for column in columns:
            if column in out:
                out[column], changed = replace_series(out[column], forbidden)
                count += changed
        return out

    candidates = clean(result.candidates, _SHOWN_TEXT["candidates"])
    findings = clean(result.findings, _SHOWN_TEXT["findings"])
    villages = clean(result.villages, tuple(result.villages.columns) if result.villages is not None else ())
    meta, changed = replace_tree(result.meta, forbidden)
    count += changed
    return replace(result, candidates=candidates, findings=findings, villages=villages, meta=meta), count


def redact_meta(meta: dict[str, Any], show_id: bool) -> dict[str, Any]:
    """The meta block with ID-like numbers masked unless `show_id` (digests kept)."""
    return meta if show_id else mask_tree(meta)


def _mask_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for column in columns:
        if column in out:
            out[column] = mask_text_series(out[column])
    return out


def sorted_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings ordered by row_id, then worst severity first, then rule code (stable)."""
    return findings.take(findings_order(findings)).reset_index(drop=True)


def findings_order(findings: pd.DataFrame) -> np.ndarray:
    """The positions `sorted_findings` takes: one stable sort of an integer key made of the
    row, the severity's rank and the rule code's place among the codes (a few distinct values
    each), not a sort on three columns with text in one of them."""
    rank = ranked(findings["severity"], SEVERITY_RANK, len(SEVERITIES))
    rules, rule_at = _factorized(as_text(findings["rule"]).fillna(""))
    place = np.argsort(np.argsort(np.asarray(rules, dtype=object), kind="stable"))[rule_at]
    row = findings["row_id"].to_numpy(dtype=np.int64)
    row = row - row.min(initial=0)
    key = (row * (len(SEVERITIES) + 1) + rank) * max(len(rules), 1) + place
    return np.argsort(key, kind="stable")


def _factorized(values: pd.Series) -> tuple[list, np.ndarray]:
    """The distinct values of a column (NA as None) and each row's index into them."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return [None if pd.isna(u) else u for u in uniques], np.asarray(codes, dtype=np.int64)


#: The finding columns the candidate table's summary reads.
_SUMMARISED = ("row_id", "rule", "rule_name", "severity", "review")


def candidate_table(result: VettingResult, show_id: bool = False) -> pd.DataFrame:
    """One row per candidate, in input order, with Chinese headings (CANDIDATE_HEADINGS): who,
    the verdict and a short summary - sized for people, whatever the run found.

    问题数 counts findings other than notices; 问题规则 names the rules that found something
    (worst first, not notices, not what is still awaited); 摘要 says it in at most
    SUMMARY_CHARS characters: "[rule] rule name" per finding worst first, then what is still
    awaited in one line ("[待反馈] 检察院、信访尚未出具联审意见；暂无法判定：D01 …"), then notices
    ("提示：[N01] …"), cut with "…" (`vetting.privacy.cut_text`, no number split). The reasons
    with their values, the evidence and the legal bases are in `findings_table`. 未覆盖规则
    names the rules this run could not check for the candidate (meta.coverage says why). IDs
    are masked unless `show_id`.
    """
    result = redact(result, show_id)
    c = result.candidates
    f = sorted_findings(result.findings[[k for k in _SUMMARISED if k in result.findings]])
    notice = f["severity"].eq("notice").to_numpy()
    pending = f["severity"].eq("pending").to_numpy()
    counts = f.loc[~notice, "row_id"].value_counts()
    found = f.loc[~notice & ~pending, ["row_id"]].assign(rule=as_text(f.loc[~notice & ~pending, "rule"])).dropna()
    found = found.drop_duplicates()
    unchecked = result.unchecked

    def names(g: pd.DataFrame) -> pd.Series:
        return "[" + as_text(g["rule"]).fillna("") + "] " + as_text(g["rule_name"]).fillna("")

    row_id = c["row_id"]
    verdict = as_text(c["verdict"])
    table = pd.DataFrame({
        "文件": as_text(c["source_file"]),
        "行号": as_int(c["source_row"]),
        "姓名": as_text(c["name"]),
        "拟任职务": as_text(c["role"]),
        "村(社区)": as_text(c["village"]),
        "乡镇(街道)": as_text(c["township"]),
        "公民身份号码": as_text(c["id_number"]),
        "审查结论": relabelled(verdict, VERDICT_LABELS),
        "结论代码": verdict,
        "未覆盖规则": _lookup(row_id, join_by(unchecked["row_id"], unchecked["rule"], "、")),
        "问题数": row_id.map(counts).fillna(0).astype("int64"),
        "问题规则": _lookup(row_id, join_by(found["row_id"], found["rule"], "、")),
        "摘要": _lookup(row_id, cut_text_series(_finding_lines(f, names), SUMMARY_CHARS, CUT_MARK)),
    })
    return table.reset_index(drop=True)


def reason_lines(result: VettingResult, show_id: bool = False) -> pd.Series:
    """Each candidate's reasons with their values, one line per finding ("[rule] reason"), worst
    first, what is still awaited in one line, then notices; indexed by row_id (candidates
    without findings absent). For a report that shows a candidate's first reason in full."""
    f = sorted_findings(redact(result, show_id).findings)
    return _finding_lines(f, lambda g: "[" + as_text(g["rule"]).fillna("") + "] " + as_text(g["reason"]))


AWAITED_PREFIX = "[待反馈] "


def _finding_lines(f: pd.DataFrame, text_of: Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
    """Each candidate's lines, one per finding of `f` (its text `text_of` the findings, duplicates
    once), joined by line and indexed by row_id: findings worst first, then everything still
    awaited in one line, then notices. Pending findings are only summed up, so only the others'
    texts are made (nine findings in ten before the agencies answer are pending)."""
    pending = f["severity"].eq("pending").to_numpy()
    kept = f[~pending]
    text = text_of(kept).fillna("") + review_suffix(kept)
    lines = text.mask(kept["severity"].eq("notice").to_numpy(), NOTICE_PREFIX + text)
    rank = ranked(kept["severity"], SEVERITY_RANK, len(SEVERITIES))
    shown = pd.DataFrame({"row_id": kept["row_id"], "rank": rank, "text": lines})
    awaited = AWAITED_PREFIX + awaited_summary(f)
    awaited_rows = pd.DataFrame({"row_id": awaited.index, "rank": SEVERITY_RANK["pending"], "text": awaited.to_numpy()})
    both = pd.concat([shown, awaited_rows], ignore_index=True).sort_values(["row_id", "rank"], kind="stable")
    both = both.drop_duplicates(["row_id", "text"])
    return join_by(both["row_id"], both["text"])


def awaited_summary(f: pd.DataFrame) -> pd.Series:
    """Per row_id with pending findings, what is still awaited in one line: the agencies that owe
    an answer and the rules waiting for one ("检察院、信访尚未出具联审意见；暂无法判定：S02 …")."""
    pending = f["severity"].eq("pending").to_numpy()
    silent = pending & f["rule"].eq("J01").to_numpy()
    agencies = f.loc[silent, ["row_id"]].assign(name=_agency_names(f.loc[silent, "rule_name"])).drop_duplicates()
    waiting = pending & ~silent
    rules = f.loc[waiting, ["row_id"]].assign(name=as_text(f.loc[waiting, "rule"]) + " "
                                              + as_text(f.loc[waiting, "rule_name"]))
    owed = join_by(agencies["row_id"], agencies["name"], "、")
    open_rules = join_by(rules["row_id"], rules["name"], "、")
    keys = owed.index.union(open_rules.index)
    owed, open_rules = (owed + "尚未出具联审意见").reindex(keys), ("暂无法判定：" + open_rules).reindex(keys)
    glue = np.where(owed.notna() & open_rules.notna(), "；", "")
    return (owed.fillna("") + glue + open_rules.fillna("")).astype("str")


def _agency_names(names: pd.Series) -> pd.Series:
    """"公安尚未反馈" -> "公安": per category when the names are categories (`join_by` then joins
    each candidate's agencies by their codes), else per text."""
    if isinstance(names.dtype, pd.CategoricalDtype):
        agencies = [str(c).removesuffix(AGENCY_SILENT) for c in names.cat.categories]
        if len(set(agencies)) == len(agencies):
            return names.cat.rename_categories(agencies)
    return as_text(names).str.removesuffix(AGENCY_SILENT)


def findings_table(result: VettingResult) -> pd.DataFrame:
    """One row per finding with Chinese headings (FINDING_HEADINGS), in candidate input
    order, worst severity first within a candidate."""
    c, f = result.candidates, result.findings
    order = findings_order(f)
    at = pd.Index(c["row_id"]).get_indexer(f["row_id"].to_numpy()[order])
    if len(at) and at.min() < 0:     # a finding of no candidate listed: last, its file and name blank
        at = np.where(at < 0, len(c), at)
    order = order[np.argsort(at, kind="stable")]
    f, at = f.take(order).reset_index(drop=True), np.sort(at, kind="stable")

    def of_candidate(column: str) -> pd.Series:
        values = c[column].reset_index(drop=True)
        return values.reindex(at).reset_index(drop=True) if len(at) and at.max() >= len(c) else \
            values.take(at).reset_index(drop=True)

    return pd.DataFrame({
        "文件": as_text(of_candidate("source_file")),
        "行号": as_int(of_candidate("source_row")),
        "姓名": as_text(of_candidate("name")),
        "规则": as_text(f["rule"]),
        "规则名称": as_text(f["rule_name"]),
        "严重程度": relabelled(f["severity"], SEVERITY_LABELS),
        "理由": as_text(f["reason"]),
        "证据": as_text(f["evidence"]),
        "依据": as_text(f["basis"]),
        "复核依据码": finding_codes(f, c).astype("str"),
        **({REVIEW_HEADING: as_text(f["review"]).fillna("")} if "review" in f else {}),
    })


def summary_table(result: VettingResult) -> pd.DataFrame:
    """Counts in one table (SUMMARY_HEADINGS): a 审查结论 row per verdict (every verdict,
    zeros included, worst first), a 未覆盖规则 row per rule the run could not check (people
    counted), then a 规则 row per rule that fired (findings counted)."""
    verdicts = result.candidates["verdict"].value_counts()
    extra = [v for v in verdicts.index if v not in VERDICTS]
    codes = list(VERDICTS) + sorted(map(str, extra))
    by_verdict = pd.DataFrame({
        "分类": "审查结论", "代码": codes,
        "名称": [VERDICT_LABELS.get(v, v) for v in codes],
        "严重程度": None,
        "数量": [int(verdicts.get(v, 0)) for v in codes],
    })
    f = result.findings
    rules = (f.assign(rank=ranked(f["severity"], SEVERITY_RANK, len(SEVERITIES)))
             .groupby(["rule", "rule_name", "severity", "rank"], dropna=False, sort=False)
             .size().reset_index(name="数量")
             .sort_values(["rank", "rule"], kind="stable"))
    by_rule = pd.DataFrame({
        "分类": "规则", "代码": rules["rule"].to_numpy(), "名称": rules["rule_name"].to_numpy(),
        "严重程度": [SEVERITY_LABELS.get(s, s) for s in rules["severity"]],
        "数量": rules["数量"].to_numpy(),
    })
    gaps = (result.meta.get("coverage") or {}).get("not_covered") or []
    by_gap = pd.DataFrame({"分类": "未覆盖规则", "代码": [e["rule"] for e in gaps], "名称": [e["name"] for e in gaps],
                           "严重程度": ["待反馈" if e["pending"] else "未能审查" for e in gaps],
                           "数量": [e["candidates"] for e in gaps]})
    table = pd.concat([t for t in (by_verdict, by_gap, by_rule) if len(t)], ignore_index=True)
    table = table.astype({h: "str" for h in SUMMARY_HEADINGS[:-1]})
    return table.astype({"数量": "int64"})


VILLAGE_HEADINGS = ["乡镇(街道)", "村(社区)", "规则", "规则名称", "严重程度", "理由", "证据", "依据"]
AWAITING_HEADINGS = ["联审部门", "文件", "行号", "姓名", "村(社区)"]
UNMATCHED_HEADINGS = ["联审部门", "回复文件", "行号", "姓名", "公民身份号码", "内容"]


def village_table(result: VettingResult) -> pd.DataFrame:
    """Village-level findings (slate structure, reserve quotas) with Chinese headings."""
    v = result.villages
    table = pd.DataFrame({
        "乡镇(街道)": v["township"], "村(社区)": v["village"], "规则": v["rule"], "规则名称": v["rule_name"],
        "严重程度": v["severity"].map(lambda s: SEVERITY_LABELS.get(s, s)), "理由": v["reason"],
        "证据": v["evidence"], "依据": v["basis"]}, columns=VILLAGE_HEADINGS)
    return table.astype("str") if len(table) else table


def awaiting_listed(entry: dict[str, Any]) -> str:
    """What to add where an agency's count of people awaited is said, when its chase list names
    fewer of them (vetting.joint.chase.AWAITING_LIST_LIMIT): "" when it names them all."""
    listed = len(entry.get("candidates") or [])
    if listed >= entry.get("count", 0):
        return ""
    return f"（待反馈清单只列出其中{listed}人；每人未反馈的部门见问题明细中的 J01）"


def awaiting_table(meta: dict[str, Any]) -> pd.DataFrame:
    """Who each agency has not answered for yet (the chase list); 行号 as integers."""
    rows = [(a["agency"], p["file"], p["row"], p["name"], p["village"])
            for a in meta.get("awaiting") or [] for p in a["candidates"]]
    return _row_numbers_typed(pd.DataFrame(rows, columns=AWAITING_HEADINGS))


def unmatched_table(meta: dict[str, Any]) -> pd.DataFrame:
    """Agency reply rows that match no candidate (never dropped); 行号 as integers."""
    rows = [(u["agency"], u["file"], u["row"], u["name"], u["id_number"], u["text"])
            for u in meta.get("unmatched_replies") or []]
    return _row_numbers_typed(pd.DataFrame(rows, columns=UNMATCHED_HEADINGS))


def _row_numbers_typed(table: pd.DataFrame) -> pd.DataFrame:
    """Every column as text except 行号, as integers: so that a spreadsheet sorts and filters
    row numbers as numbers (as in the candidate sheet), not as text where 10 precedes 9."""
    return table.apply(lambda s: as_int(s) if s.name == "行号" else as_text(s))


def meta_lines(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(Chinese label, value) pairs for the audit header; keys absent from `meta` are left
    out. Each input file gets its own 输入文件 line with its SHA-256."""
    ruleset = meta.get("ruleset") or {}
    lines: list[tuple[str, Any]] = [
        ("工具版本", meta.get("tool_version")),
        ("规则集", _ruleset_name(ruleset)),
        ("规则集版本", ruleset.get("version")),
        ("规则集SHA256", ruleset.get("sha256")),
        ("审查基准日", meta.get("as_of")),
    ]
    for item in meta.get("inputs") or []:
        lines.append(("输入文件", f"{item.get('file', '')}（SHA256：{item.get('sha256', '')}）"))
    lines += [
        ("候选人数", meta.get("candidate_count")),
        ("跳过空白行数", meta.get("blank_rows_skipped")),
        ("审查引擎", ENGINE_LABELS.get(meta.get("engine"), meta.get("engine"))),
        ("生成时间", local_time_text(meta.get("generated_at"))),
    ]
    lines += [("待反馈", f"{a['agency']}：{a['count']}人{awaiting_listed(a)}") for a in meta.get("awaiting") or []]
    lines += [("回复文件", f"{r['agency']}：{r['file']}，{r['rows']}条记录，匹配{r['matched']}条，未匹配{r['unmatched']}条"
               f"（SHA256：{r['sha256']}）") for r in meta.get("replies") or []]
    lines += [("村级达标", f"{g['name']}：{g['villages']}个村中{g['meeting']}个达标，{g['below_or_above']}个不达标，"
               f"{g['undetermined']}个待核实" + (f"（{g['note']}）" if g.get("note") else ""))
              for g in meta.get("group_summary") or []]
    counts = meta.get("verdict_counts")
    lines.append(("审查结论", "，".join(f"{VERDICT_LABELS[v]} {counts.get(v, 0)}" for v in VERDICTS) if counts else None))
    coverage = meta.get("coverage") or {}
    lines.append(("审查范围", coverage.get("note") or ("全部规则均已覆盖" if coverage else None)))
    lines += [("未覆盖规则", f"{e['rule']} {e['name']}：{e['candidates']}人"
               + ("已记为待反馈" if e["pending"] else "未能审查") + f"；{e['remedy']}")
              for e in coverage.get("not_covered") or []]
    lines += [("后备力量跟踪", line) for line in (meta.get("pool") or {}).get("lines") or []]
    lines += decision_lines(meta)
    lines += [("警告", w) for w in meta.get("warnings") or []]
    return [(label, str(value)) for label, value in lines if value is not None and value != ""]


#: The engines' names as a report shows them (the code kept in brackets).
ENGINE_LABELS = {"vector": "向量化批量引擎（vector）", "durable": "规则推理引擎（durable）"}


def local_time_text(stamp: str | None) -> str | None:
    """An ISO time as an office reads it, with its offset from UTC: "2026-12-15T09:30:00+08:00"
    -> "2026-12-15 09:30:00（UTC+08:00）". A time without an offset is shown as given (and
    says so), anything else is returned unchanged."""
    if not stamp:
        return stamp
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.utcoffset() is None:
        return f"{text}（未注明时区）"
    offset = moment.strftime("%z")
    return f"{text}（UTC{offset[:3]}:{offset[3:]}）"


def _ruleset_name(ruleset: dict[str, Any]) -> str | None:
    title, rid = ruleset.get("title"), ruleset.get("id")
    if title and rid:
        return f"{title}（{rid}）"
    return title or rid


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def relabelled(s: pd.Series, labels: dict[str, str]) -> pd.Series:
    """`s` as text with each value that has a label replaced by it ("pending" -> "待反馈"), the
    others (and NA) as they are; worked out per distinct value (a few over every finding)."""
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(s.cat.categories):
        values, at = list(s.cat.categories), s.cat.codes.to_numpy()     # a finding's severity: no text made first
    else:
        encoded = pc.dictionary_encode(stored_arrow(as_text(s)).combine_chunks())
        values, at = encoded.dictionary.to_pylist(), pc.fill_null(encoded.indices, -1).to_numpy()
    shown = spread(pa.array([labels.get(v, v) for v in values], type=pa.large_string()), at)
    return pd.Series(pd.array(shown, dtype="str"), index=s.index)


def as_int(s: pd.Series) -> pd.Series:
    """`s` as nullable integers, or as text if it holds values that are not integers."""
    try:
        return s.astype("Int64")
    except (TypeError, ValueError):
        return as_text(s)


def _lookup(keys: pd.Series, joined: pd.Series) -> pd.Series:
    return as_text(keys.map(joined)).fillna("")
