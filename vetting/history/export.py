"""Exporting candidates of a recorded run as a report (`vet history show RUN -o x.xlsx|csv`).

The stored candidates and findings are turned back into a VettingResult and written by the
report writers themselves (`vetting.reports.write_report`: atomic, formula-neutralised, the same
candidate table and sheets as the run's report), so that an export has the report's columns
without a second copy of its layout. What history does not keep (village-level findings, the
profile charts) is absent. ID numbers are masked - history never holds the clear number; with
`show_digest` the keyed digest follows the masked form, as in `vet history show --show-id`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from vetting.history.model import RunSummary
from vetting.history.selection import Selection, selection_text
from vetting.history.text import id_shown
from vetting.reports import write_report
from vetting.result import CANDIDATE_COLUMNS, VettingResult


def stored_result(run: RunSummary, candidates: pd.DataFrame, findings: pd.DataFrame,
                  selection: Selection = Selection(), show_digest: bool = False) -> VettingResult:
    """The selected candidates (as `History.frames` reads them) and their findings as a
    VettingResult a report writer takes: the masked ID in the ID column (plus the keyed digest
    with `show_digest`), the unchecked rules per candidate, and the run's meta block with a
    warning line saying where the export comes from and what it holds."""
    people = candidates.rename(columns={"id_masked": "id_number"})
    if show_digest:
        people["id_number"] = [id_shown(masked, digest, True) if masked else None
                               for masked, digest in zip(people["id_number"], people["id_hmac"])]
    unchecked = (people[["row_id", "unchecked"]].dropna().assign(rule=lambda t: t["unchecked"].str.split("、"))
                 .explode("rule")[["row_id", "rule"]].reset_index(drop=True))
    meta = dict(run.meta)
    meta["warnings"] = [*(meta.get("warnings") or []), export_note(run, len(people), selection)]
    return VettingResult(people[CANDIDATE_COLUMNS].reset_index(drop=True), findings.reset_index(drop=True),
                         meta, unchecked=unchecked)


def export_note(run: RunSummary, count: int, selection: Selection) -> str:
    """The warning an export carries: the run it comes from, its filters and how many of the
    run's candidates it holds; the audit block describes the whole run."""
    chosen = f"按「{selection_text(selection)}」筛选出 {count} 人" if selection.active() else f"全部 {count} 人"
    return (f"本表导出自审查记录 #{run.id}（{run.started_at}）：{chosen}（该次审查共 {run.candidate_count} 人）；"
            "以上审计信息为该次审查的全部情况，身份证号均已打码（审查记录不保存完整号码），村级问题未保存在审查记录中")


def export_run(result: VettingResult, path: str | os.PathLike, fmt: str) -> list[Path]:
    """Write `result` (see `stored_result`) to `path` as a `fmt` report, atomically; the paths
    written. Its texts were masked when recorded, so they are written as they are."""
    return write_report(result, path, fmt, show_id=True)
