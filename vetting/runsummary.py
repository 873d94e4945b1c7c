"""What `vet run` tells the user on stderr once the report is out, and whether --fail-on makes
the run fail. Pure functions over a finished result; the CLI prints the lines and exits."""

from __future__ import annotations

from typing import Mapping, Sequence

from vetting.engine.coverage import SWITCH_OFF
from vetting.privacy import mask_text
from vetting.reports.common import awaiting_listed
from vetting.reports.decided import decision_lines, entry_person
from vetting.result import VettingResult
from vetting.ruleset.loader import bundled_packs
from vetting.vocab import VERDICT_LABELS, VERDICT_RANK, VERDICTS

#: At most this many reply rows that match no candidate are listed (the report has them all).
MAX_UNMATCHED_REPLIES = 20


def verdict_counts_text(counts: Mapping[str, int]) -> str:
    """The verdict counts worst first, e.g. "取消资格 7，不宜 4，…，通过 8"."""
    return "，".join(f"{VERDICT_LABELS[v]} {counts.get(v, 0)}" for v in VERDICTS)


def input_lines(inputs: Sequence[Mapping]) -> list[str]:
    """What the reader detected in each file (sheet, header rows, data rows, skipped rows), masked:
    said as soon as reading ends, so a long run shows early that the right rows were taken."""
    return [mask_text(f"读取 {source['file']}：" + "；".join(source["notes"]))
            for source in inputs if source.get("notes")]


def summary_lines(result: VettingResult, output: str | None = None, inputs: bool = True) -> list[str]:
    """The stderr lines after a run, in order: what the reader detected in each file (unless
    `inputs` is False: already said), the verdict counts (and where the report went), what the
    run did not cover, warnings, agencies still to reply, reply rows that match nobody (at most
    MAX_UNMATCHED_REPLIES). File names, names and notes may hold ID-like numbers, so every line
    is masked."""
    meta = result.meta
    lines = input_lines(meta.get("inputs", [])) if inputs else []
    lines.append(f"已审查 {meta['candidate_count']} 人（{verdict_counts_text(meta['verdict_counts'])}）"
                 + (f"；报告：{output}" if output else ""))
    lines.extend(f"提示：{warning}" for warning in meta.get("warnings", []))
    lines.extend(coverage_lines(meta))
    lines.extend(unmapped_hint(meta))
    lines.extend(template_hint(meta))
    lines.extend(f"待反馈：{awaited['agency']} 尚有 {awaited['count']} 人未反馈{awaiting_listed(awaited)}"
                 for awaited in meta.get("awaiting", []))
    lines.extend(f"提示：{reply['file']} 第{reply['row']}行（{reply['agency']}）在花名册中找不到对应人选"
                 for reply in meta.get("unmatched_replies", [])[:MAX_UNMATCHED_REPLIES])
    lines.extend(decision_summary(meta))
    return [mask_text(line) for line in lines]


def stdout_csv_hint(meta: Mapping, fmt: str, output: str | None) -> list[str]:
    """A CSV report on standard output is the one-row-per-candidate sheet only: say where the
    findings' reasons, evidence and bases are when there are any."""
    if fmt != "csv" or output or not meta.get("finding_count"):
        return []
    return [f"提示：CSV 输出到标准输出时只有每人一行的结论和摘要；{meta['finding_count']} 条问题的理由、证据和依据"
            "请用 -o 报告.csv 写入文件（另有附表 报告.findings.csv 等），或用 --format json"]


#: Columns every roster may carry that no rule needs: not worth a line on stderr.
_ORDINARY_COLUMNS = frozenset({"序号", "编号", "备注"})


def unmapped_hint(meta: Mapping) -> list[str]:
    """One line naming the columns no field took (meta lists them per file): a column the rules
    never read must not go unnoticed, e.g. an agency's opinion under a header nobody expected."""
    headers = dict.fromkeys(str(u).split(": ", 1)[-1] for u in meta.get("unmapped_columns", []))
    headers = [h for h in headers if h not in _ORDINARY_COLUMNS]
    if not headers:
        return []
    return [f"提示：未识别的列（未参与审查）：{'、'.join(f'「{h}」' for h in headers)}；"
            "如是审查所需信息，请用 --map 表头=字段 指定"]


def coverage_lines(meta: Mapping) -> list[str]:
    """What the run did not cover, once: what a 通过 means in this run, then a line per rule with
    how many people it could not check (or left pending) and what would cover it."""
    coverage = meta.get("coverage") or {}
    entries = coverage.get("not_covered", [])
    said = [e for e in entries if not e["pending"]]
    pending = [e for e in entries if e["pending"]]
    lines = []
    if said:
        lines.append(f"未覆盖：{coverage['note']}；补充以下信息即可覆盖：")
        lines += [f"  {e['rule']} {e['name']}（{e['candidates']}人未能审查）：{e['remedy']}" for e in said]
    if pending:
        why = ("按 --coverage strict 的要求" if coverage.get("mode") == "strict"
               else "按规则集的要求（coverage: required）")
        lines.append(f"未覆盖：以下规则所需的信息本次没有任何来源，{why}对每名人选记为待反馈：")
        lines += [f"  {e['rule']} {e['name']}（{e['candidates']}人待反馈）：{e['remedy']}" for e in pending]
    if entries:
        lines.append(f"  {SWITCH_OFF}")
    return lines


def template_hint(meta: Mapping) -> list[str]:
    """When a rule was not covered: one line pointing to `vet template`, which writes a roster
    with every column the pack reads."""
    if not (meta.get("coverage") or {}).get("not_covered"):
        return []
    pack = meta.get("ruleset", {}).get("id", "")
    pack = pack if pack in bundled_packs() else "规则集文件"
    return [f"提示：用 vet template -r {pack} -o 花名册模板.xlsx 可生成含该规则集所需全部列的花名册模板"]


def decision_summary(meta: Mapping) -> list[str]:
    """What became of the recorded decisions (--decisions): counts, then every decision that was
    not applied (stale, or for nobody on the roster) with its row and why: never dropped."""
    block = meta.get("decisions")
    if not block:
        return []
    lines = [label + "：" + value for label, value in decision_lines(meta)[1:2]]
    for kind, entries in (("已过时", block.get("stale") or []), ("未匹配", block.get("unmatched") or [])):
        lines += [f"复核结论{kind}：{block['file']} 第{e['row']}行 {entry_person(e)} {e['rule']} {e['decision']}："
                  f"{e['why']}" for e in entries]
    return lines


def person_decision_lines(result: VettingResult, row_id: int) -> list[str]:
    """`vet check --decisions`: each decision about this one person and what became of it
    (decisions about others in the file are not this check's business)."""
    d = result.decisions
    mine = d[d["row_id"] == row_id]
    return [mask_text(f"复核结论（{r.file} 第{r.file_row}行 {r.rule} {r.decision}）："
                      + ("已适用" if r.status == "applied" else r.why)) for r in mine.itertuples()]


def fail_on_hit(counts: Mapping[str, int], fail_on: str | None) -> bool:
    """True when --fail-on LEVEL is given and some candidate's verdict is LEVEL or worse."""
    if not fail_on:
        return False
    return any(n for verdict, n in counts.items() if VERDICT_RANK[verdict] <= VERDICT_RANK[fail_on])
