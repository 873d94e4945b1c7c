"""Chinese text for the run history: pure functions from stored runs and comparisons to text.

No I/O: `vet history` prints what these return. ID numbers only ever appear masked (the
clear number is not stored); with `show_digest` the keyed HMAC-SHA256 digest used for
matching is shown beside the masked form.
"""

from __future__ import annotations

from typing import Any, Iterable

from vetting.history.compare import CandidateChange, Comparison
from vetting.history.model import RunDetail, RunSummary, StoredCandidate, StoredDecision, StoredFinding
from vetting.history.selection import Selection, selection_text
from vetting.vocab import DECISION_STATUS_LABELS, SEVERITY_LABELS, VERDICT_LABELS, VERDICTS

#: Chinese labels of the command-line options kept with a run, in display order.
OPTION_LABELS = {
    "rosters": "花名册",
    "ruleset": "规则集",
    "as_of": "审查基准日",
    "format": "报告格式",
    "output": "报告文件",
    "fail_on": "失败等级",
    "show_id": "显示完整身份证号",
    "sheet": "工作表",
    "header_row": "表头行",
    "encoding": "编码",
    "map": "补充列映射",
    "findings": "联审回复文件",
    "decisions": "复核结论文件",
}
_INDENT = "    "


def verdict_label(verdict: str | None) -> str:
    """The Chinese name of a verdict (the code itself if unknown)."""
    return VERDICT_LABELS.get(verdict or "", verdict or "（无）")


def counts_text(counts: dict[str, int]) -> str:
    """Verdict counts worst first, e.g. "取消资格 7，不宜 4，需复核 7，待反馈 1，通过 8"."""
    extra = [v for v in counts if v not in VERDICTS]
    return "，".join(f"{verdict_label(v)} {counts.get(v, 0)}" for v in [*VERDICTS, *extra])


def ruleset_text(run: RunSummary) -> str:
    """Ruleset as "title（id） 版本 X"; whichever parts are known."""
    name = (f"{run.ruleset_title}（{run.ruleset_id}）" if run.ruleset_title and run.ruleset_id
            else run.ruleset_title or run.ruleset_id or "（未知规则集）")
    return f"{name} 版本 {run.ruleset_version}" if run.ruleset_version else name


def input_names(run: RunSummary) -> str:
    """Input file names joined with "、"."""
    return "、".join(str(item.get("file", "")) for item in run.inputs) or "（无）"


def runs_text(runs: Iterable[RunSummary], db_path: Any, total: int | None = None) -> str:
    """`vet history`: one line per run, newest first, then where the database is."""
    runs = list(runs)
    if not runs:
        return f"尚无审查记录（数据库：{db_path}）"
    lines = [f"审查记录（数据库：{db_path}）"]
    for run in runs:
        lines.append(f"#{run.id}  {run.started_at}  {run.ruleset_id or '?'} {run.ruleset_version or ''}"
                     f"  基准日 {run.as_of or '?'}  {run.candidate_count}人（{counts_text(run.verdict_counts)}）"
                     f"  {input_names(run)}")
    if total is not None and total > len(runs):
        lines.append(f"（共 {total} 条，仅列出最近 {len(runs)} 条；用 --limit 调整）")
    return "\n".join(lines)


def run_header_lines(run: RunSummary) -> list[str]:
    """The audit block of one run: times, versions, hashes, as-of date, inputs, options, counts."""
    lines = [
        f"审查记录 #{run.id}",
        f"开始时间：{run.started_at}",
        f"结束时间：{run.finished_at}",
        f"工具版本：{run.tool_version or '?'}（审查引擎 {run.engine or '?'}）",
        f"规则集：{ruleset_text(run)}",
        f"规则集SHA256：{run.ruleset_sha256 or '?'}",
        f"审查基准日：{run.as_of or '?'}",
    ]
    for item in run.inputs:
        extra = [f"SHA256：{item.get('sha256', '?')}"]
        if item.get("sheet"):
            extra.append(f"工作表 {item['sheet']}")
        if item.get("rows") is not None:
            extra.append(f"{item['rows']}行")
        lines.append(f"输入文件：{item.get('file', '')}（{'，'.join(extra)}）")
    if run.options:
        lines.append(f"运行参数：{options_text(run.options)}")
    lines.append(f"候选人数：{run.candidate_count}（{counts_text(run.verdict_counts)}）；问题 {run.finding_count} 条")
    lines += [f"警告：{w}" for w in run.meta.get("warnings") or []]
    return lines


def options_text(options: dict[str, Any]) -> str:
    """Recorded command-line options as "标签=值" pairs separated by "；"; unset ones left out."""
    parts = []
    for key in [*OPTION_LABELS, *(k for k in options if k not in OPTION_LABELS)]:
        value = options.get(key)
        if value in (None, False, "", [], {}):
            continue
        if isinstance(value, dict):
            value = "，".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = "、".join("=".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v) for v in value)
        elif value is True:
            value = "是"
        parts.append(f"{OPTION_LABELS.get(key, key)}={value}")
    return "；".join(parts) or "（无）"


def candidate_line(c: StoredCandidate, show_digest: bool = False) -> str:
    """One candidate: where, who, masked ID, verdict."""
    who = " ".join(x for x in (c.name, c.role, c.village, c.township) if x) or "（无姓名）"
    return f"{where(c)}  {who}  {id_text(c, show_digest)}  —— {verdict_label(c.verdict)}"


def where(c: StoredCandidate) -> str:
    """"file 第N行" for a candidate."""
    return f"{c.source_file or '?'} 第{c.source_row if c.source_row is not None else '?'}行"


def id_text(c: StoredCandidate, show_digest: bool = False) -> str:
    """The masked ID (or 身份证号空白), plus the keyed digest when `show_digest`."""
    return id_shown(c.id_masked, c.id_hmac, show_digest) or "身份证号空白"


def id_shown(masked: str | None, digest: str | None, show_digest: bool = False) -> str | None:
    """A masked ID followed by its keyed digest when `show_digest` and there is one."""
    if show_digest and digest and masked:
        return f"{masked}（HMAC-SHA256：{digest}）"
    return masked


def finding_lines(f: StoredFinding, indent: str = _INDENT, details: bool = True) -> list[str]:
    """One finding: "[rule] severity rule_name：reason", then evidence and basis if `details`."""
    severity = SEVERITY_LABELS.get(f.severity or "", f.severity or "?")
    lines = [f"{indent}[{f.rule or '?'}] {severity} {f.rule_name or ''}：{f.reason or ''}"]
    if details:
        if f.evidence:
            lines.append(f"{indent}{_INDENT}证据：{f.evidence}")
        if f.basis:
            lines.append(f"{indent}{_INDENT}依据：{f.basis}")
    return lines


def run_text(detail: RunDetail, show_digest: bool = False) -> str:
    """`vet history show` of a whole run: the run's audit block, then every candidate (input
    order) with its verdict and every finding (worst first) with reason, evidence and basis."""
    return page_text(detail.run, detail.candidates, len(detail.candidates), show_digest=show_digest,
                     unmatched=detail.unmatched_decisions)


def page_text(run: RunSummary, candidates: list[StoredCandidate], total: int, offset: int = 0,
              selection: Selection = Selection(), show_digest: bool = False,
              unmatched: tuple[StoredDecision, ...] = ()) -> str:
    """`vet history show`: the run's audit block, the filters and how many candidates they
    choose, then `candidates` (the page from the `offset`-th of `total` chosen) as `run_text`
    lists them, and - when the page is not all of them - a last line saying how many are not
    shown and how to see them. Without filters and with every candidate, exactly `run_text`.
    Each candidate's recorded decisions follow their findings; `unmatched` decisions (for nobody
    on the roster) are listed after the candidates."""
    lines = run_header_lines(run)
    if selection.active():
        lines.append(f"筛选：{selection_text(selection)}：符合 {total} 人（共 {run.candidate_count} 人）")
    lines.append("")
    for c in candidates:
        lines.append(candidate_line(c, show_digest))
        for f in c.findings:
            lines += finding_lines(f)
        lines += [_INDENT + decision_line(d) for d in c.decisions]
    if unmatched:
        lines += ["", f"未匹配的复核结论：{len(unmatched)} 条"]
        lines += [_INDENT + decision_line(d, person=True) for d in unmatched]
    if not candidates and not total:
        lines.append("没有符合筛选条件的人选")
    elif offset + len(candidates) < total or offset > 0:
        lines.append("")
        lines.append(paging_note(len(candidates), total, offset))
    return "\n".join(lines)


def paging_note(shown: int, total: int, offset: int) -> str:
    """Where a page sits among `total` candidates and how to see the others."""
    if not shown:
        return f"（共 {total} 人，第 {offset} 人之后没有更多人选；用 --offset 0 从头查看）"
    end = offset + shown
    rest = total - end
    ways = [f"用 --offset {end} 查看后面 {min(rest, shown)} 人"] if rest > 0 else []
    ways += ["--limit 0 显示全部", "-o 文件.xlsx 或 -o 文件.csv 导出全部"]
    more = f"，其后还有 {rest} 人未显示" if rest > 0 else ""
    return f"（共 {total} 人，显示第 {offset + 1}–{end} 人{more}；{'，'.join(ways)}）"


def decision_line(d: StoredDecision, person: bool = False) -> str:
    """One recorded decision: its row, rule, word, who and when, and what became of it."""
    who = " ".join(x for x in (d.name, d.id_masked or d.position) if x) + " " if person else ""
    head = (f"复核结论（{d.file or '?'} 第{d.file_row if d.file_row is not None else '?'}行）：{who}[{d.rule or '?'}] "
            f"{d.decision or '?'}，{d.decided_by or '?'}，{d.decided_on or '?'}" + (f"，{d.document}" if d.document else ""))
    status = DECISION_STATUS_LABELS.get(d.status or "", d.status or "?")
    if d.status == "applied":
        return head + f"——{status}（{verdict_label(d.verdict_before)} → {verdict_label(d.verdict_after)}）"
    return head + f"——{status}：{d.why or ''}"


def comparison_text(cmp: Comparison, show_digest: bool = False) -> str:
    """`vet history compare`: what differs between the runs' setups, each candidate whose
    verdict changed (old → new, the key that matched, rules appeared / disappeared /
    changed with reasons), candidates in only one run, and the counts of the rest."""
    old, new = cmp.old, cmp.new
    lines = [f"比较审查记录 #{old.id} → #{new.id}"]
    for run in (old, new):
        lines.append(f"{_INDENT}#{run.id}：{run.started_at}，{ruleset_text(run)}，基准日 {run.as_of or '?'}，"
                     f"{run.candidate_count}人，输入 {input_names(run)}")
    lines += [_INDENT + note for note in setup_differences(old, new)]
    if not cmp.ids_comparable:
        lines.append(_INDENT + key_note(old, new))
    lines.append("")
    if cmp.changes:
        lines.append(f"结论有变化：{len(cmp.changes)} 人")
        for change in cmp.changes:
            lines += change_lines(change, old.id, new.id, show_digest)
    else:
        lines.append("结论有变化：0 人")
    for label, group in ((f"仅在 #{old.id} 中", cmp.only_old), (f"仅在 #{new.id} 中", cmp.only_new)):
        if group:
            lines.append("")
            lines.append(f"{label}：{len(group)} 人")
            lines += [_INDENT + candidate_line(c, show_digest) for c in group]
    lines.append("")
    how = "，".join(f"按{k}匹配 {v} 人" for k, v in cmp.matched_by.items())
    lines.append(f"两次均有：{sum(cmp.matched_by.values())} 人" + (f"（{how}）" if how else "")
                 + f"；结论未变 {cmp.unchanged} 人"
                 + (f"，其中问题有变化 {cmp.findings_changed_same_verdict} 人"
                    if cmp.findings_changed_same_verdict else ""))
    return "\n".join(lines)


def setup_differences(old: RunSummary, new: RunSummary) -> list[str]:
    """Notes on what differs between two runs' setups (ruleset, as-of date, inputs, tool)."""
    notes = []
    if (old.ruleset_id, old.ruleset_version, old.ruleset_sha256) != \
            (new.ruleset_id, new.ruleset_version, new.ruleset_sha256):
        notes.append(f"注意：规则集不同（{ruleset_text(old)} [{(old.ruleset_sha256 or '?')[:12]}] → "
                     f"{ruleset_text(new)} [{(new.ruleset_sha256 or '?')[:12]}]）")
    if old.as_of != new.as_of:
        notes.append(f"注意：审查基准日不同（{old.as_of} → {new.as_of}）")
    old_inputs = [(i.get("file"), i.get("sha256")) for i in old.inputs]
    new_inputs = [(i.get("file"), i.get("sha256")) for i in new.inputs]
    if old_inputs != new_inputs:
        notes.append("注意：输入文件内容不同（SHA256 不一致）")
    if old.tool_version != new.tool_version:
        notes.append(f"注意：工具版本不同（{old.tool_version} → {new.tool_version}）")
    return notes


def key_note(old: RunSummary, new: RunSummary) -> str:
    """Why candidates could not be matched by ID number between two runs."""
    older = [f"#{r.id}" for r in (old, new) if not r.id_key_id]
    if older:
        why = f"{'、'.join(older)} 记录于旧版本，其身份证号摘要已在升级时删除"
    else:
        why = "两次记录使用的密钥不同（密钥文件曾丢失或被替换）"
    return f"注意：{why}，无法按身份证号匹配，只按文件+行号+姓名匹配（打码号码不同者不视为同一人）"


def change_lines(change: CandidateChange, old_id: int, new_id: int, show_digest: bool = False) -> list[str]:
    """One changed candidate: who, old → new verdict, how matched, and why."""
    a, b = change.old, change.new
    who = " ".join(x for x in (b.name, b.role, b.village) if x) or "（无姓名）"
    moved = where(a) if where(a) == where(b) else f"#{old_id} {where(a)} → #{new_id} {where(b)}"
    lines = [f"{_INDENT}{who}  {id_text(b, show_digest)}  {moved}（按{change.matched_by}匹配）",
             f"{_INDENT * 2}{verdict_label(a.verdict)} → {verdict_label(b.verdict)}"]
    for f in change.appeared:
        lines += _prefixed("新增", f)
    for f in change.disappeared:
        lines += _prefixed("消失", f)
    for rule_change in change.changed:
        for f in rule_change.old:
            lines += _prefixed("原为", f)
        for f in rule_change.new:
            lines += _prefixed("现为", f)
    decided = _decision_changes(a, b, new_id)
    lines += [f"{_INDENT * 2}{text}" for text in decided]
    if not (change.appeared or change.disappeared or change.changed or decided):
        lines.append(f"{_INDENT * 2}（两次记录的问题相同，未记录其他原因）")
    return lines


def _decision_changes(a: StoredCandidate, b: StoredCandidate, new_id: int) -> list[str]:
    """The recorded decisions behind a changed verdict: those of the new run about this person
    that changed it or could not be applied, and those of the old run that changed it but no
    longer apply."""
    lines = [decision_line(d) for d in b.decisions if d.changed_verdict or d.status != "applied"]
    now = {(d.rule, d.code) for d in b.decisions if d.status == "applied"}
    lines += [f"原{decision_line(d)}；#{new_id} 中不再适用" for d in a.decisions
              if d.changed_verdict and (d.rule, d.code) not in now]
    return lines


def _prefixed(label: str, f: StoredFinding) -> list[str]:
    first, *rest = finding_lines(f, indent="", details=False)
    return [f"{_INDENT * 2}{label}：{first}", *rest]
