"""CSV report: the candidate table, plus a small "项目,值" sidecar holding the audit header.

Both files are UTF-8 with a BOM (so Excel detects the encoding) and every text cell is
formula-neutralised. The audit header (tool and ruleset versions, hashes, as-of date, input
files) is deliberately not written as comment lines above the table: Excel and most CSV
readers would parse those as data rows and misalign the columns. `format_csv_meta` renders
it as a separate two-column CSV instead, which the CLI writes beside the report as
``<name>.meta.csv`` (see `meta_path`). Tables that exist only in some runs go to their own
sidecars, written only when non-empty (see `SIDECARS`): the findings in full (reasons, evidence,
bases: the report itself has one short line per candidate), village findings, the agencies'
chase list and reply rows that matched nobody.

An ID number made of digits alone (shown with --show-id) is written as ``="510525199001011234"``
(`excel_text`): Excel and WPS open a plain 18-digit number as a number, shown as 5.10525E+17
with its last three digits lost for good, and drop the leading zeros of any number; written
this way they show it as text. A masked ID (``510525********1234``) or one ending in X is text
to them already and is written as it is, so the default (masked) report is unchanged for
programs that read it. Nothing else in that column is wrapped: any other value is
formula-neutralised like every other cell, so nothing a roster holds can become a formula.

Cells are written by Arrow's CSV writer, which is several times faster than
``DataFrame.to_csv``; it quotes every text cell, leaves NA cells empty and ends lines
with LF (line breaks inside 理由/依据/证据 stay inside their quoted cells).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from vetting.reports.common import (
    AWAITING_HEADINGS,
    FINDING_HEADINGS,
    REVIEW_HEADING,
    UNMATCHED_HEADINGS,
    VILLAGE_HEADINGS,
    awaiting_table,
    candidate_table,
    findings_table,
    meta_lines,
    neutralise_frame,
    redact,
    redact_meta,
    unmatched_table,
    village_table,
)
from vetting.reports.decided import DECISION_HEADINGS, decisions_table
from vetting.result import VettingResult

BOM = b"\xef\xbb\xbf"
META_HEADINGS = ["项目", "值"]


def format_csv(result: VettingResult, show_id: bool = False) -> bytes:
    """The candidate table as CSV bytes (UTF-8 with BOM); IDs masked unless `show_id`."""
    return _to_csv(candidate_table(result, show_id))


def format_csv_meta(result: VettingResult, show_id: bool = False) -> bytes:
    """The audit header as a two-column CSV ("项目,值"), UTF-8 with BOM."""
    lines = meta_lines(redact_meta(result.meta, show_id))
    return _to_csv(pd.DataFrame(lines, columns=META_HEADINGS, dtype="str"))


def format_csv_findings(result: VettingResult, show_id: bool = False) -> bytes | None:
    """Every finding with its reason, evidence and legal basis (FINDING_HEADINGS), one row each,
    as a sidecar CSV; None when the run found nothing. The candidate table holds only a short
    summary per candidate, so that the main report stays sized for people."""
    table = findings_table(redact(result, show_id))
    return _to_csv(table) if len(table) else None


def findings_payload(result: VettingResult, show_id: bool = False) -> Callable[[str], None] | None:
    """`format_csv_findings` as the function that writes it at the path it is given (for
    `vetting.atomic`), straight from Arrow to the file: the findings sidecar is the largest file
    of a run (nine findings per candidate before the agencies answer), and is never held as bytes."""
    arrow = findings_arrow(result, show_id)
    if arrow is None:
        return None

    def write(path: str) -> None:
        with open(path, "wb") as handle:
            handle.write(heading_line(arrow.column_names))
            write_csv_rows(arrow, handle)

    return write


def findings_arrow(result: VettingResult, show_id: bool = False) -> pa.Table | None:
    """The findings sidecar's table as Arrow, ready to write (`write_csv_rows`); None when the
    run found nothing."""
    table = findings_table(redact(result, show_id))
    return _arrow(table) if len(table) else None


def write_csv_rows(table: pa.Table, handle: BinaryIO) -> None:
    """The rows of `table` as CSV into an open file, without the heading line: a chunk's findings
    go straight to the file instead of through a buffer of their own (~120 MB a chunk before
    the agencies answer)."""
    pa_csv.write_csv(table, handle, _ROW_OPTIONS)


def format_csv_villages(result: VettingResult, show_id: bool = False) -> bytes | None:
    """Village-level findings as a sidecar CSV, or None when there are none."""
    table = village_table(redact(result, show_id))
    return _to_csv(table) if len(table) else None


def format_csv_awaiting(result: VettingResult, show_id: bool = False) -> bytes | None:
    """Who each agency still owes an answer for (联审部门, 文件, 行号, 姓名, 村(社区)), or None
    when nobody is awaited."""
    table = awaiting_table(redact_meta(result.meta, show_id))
    return _to_csv(table) if len(table) else None


def format_csv_unmatched(result: VettingResult, show_id: bool = False) -> bytes | None:
    """Agency reply rows that matched no candidate (ID numbers masked unless `show_id`), or None."""
    table = unmatched_table(redact_meta(result.meta, show_id))
    return _to_csv(table) if len(table) else None


def findings_path(path: str | os.PathLike) -> Path:
    """``report.csv`` -> ``report.findings.csv``."""
    return Path(path).with_suffix(".findings.csv")


def format_csv_decisions(result: VettingResult, show_id: bool = False) -> bytes | None:
    """Every recorded decision the run was given and what became of it (applied, stale,
    unmatched), ID numbers masked unless `show_id`; None when the run had no decisions file."""
    table = decisions_table(redact(result, show_id).decisions)
    return _to_csv(table) if len(table) else None


def decisions_path(path: str | os.PathLike) -> Path:
    """``report.csv`` -> ``report.decisions.csv``."""
    return Path(path).with_suffix(".decisions.csv")


def villages_path(path: str | os.PathLike) -> Path:
    """``report.csv`` -> ``report.villages.csv``."""
    return Path(path).with_suffix(".villages.csv")


def awaiting_path(path: str | os.PathLike) -> Path:
    """``report.csv`` -> ``report.awaiting.csv``."""
    return Path(path).with_suffix(".awaiting.csv")


def unmatched_path(path: str | os.PathLike) -> Path:
    """``report.csv`` -> ``report.unmatched.csv``."""
    return Path(path).with_suffix(".unmatched.csv")


#: Optional sidecars of a CSV report: (where, given the report path; content - bytes, or the
#: function that writes them (`vetting.atomic`) - or None when the run has nothing for it; what
#: it lists; its heading row). A run with nothing removes the sidecar an earlier run left there -
#: only if it starts with that heading row (`is_our_sidecar`).
SIDECARS = ((findings_path, findings_payload, "问题明细", (FINDING_HEADINGS, [*FINDING_HEADINGS, REVIEW_HEADING])),
            (villages_path, format_csv_villages, "村级问题", VILLAGE_HEADINGS),
            (awaiting_path, format_csv_awaiting, "待反馈清单", AWAITING_HEADINGS),
            (unmatched_path, format_csv_unmatched, "未匹配回复", UNMATCHED_HEADINGS),
            (decisions_path, format_csv_decisions, "复核结论", DECISION_HEADINGS))


def sidecar_files(shown: VettingResult, path: str | os.PathLike) -> tuple[list[tuple[Path, bytes]], list[Path]]:
    """The CSV report's meta sidecar and the optional sidecars the run has content for, as
    (path, bytes), and the optional sidecars an earlier run left that this one has nothing for
    (to remove). `shown` is the result as the report shows it (masked, cleaned)."""
    files = [(meta_path(path), format_csv_meta(shown, show_id=True))]
    stale: list[Path] = []
    for where, render, _, headings in SIDECARS:
        data = render(shown, show_id=True)
        if data is not None:
            files.append((where(path), data))
        elif is_our_sidecar(where(path), headings):
            stale.append(where(path))
    return files, stale


def heading_line(headings: list[str]) -> bytes:
    """The first bytes of every CSV this tool writes with `headings`: BOM and heading row."""
    return _to_csv(pd.DataFrame({h: pd.Series(dtype="str") for h in headings}))


def is_our_sidecar(path: str | os.PathLike, headings: list[str] | tuple[list[str], ...]) -> bool:
    """Whether `path` is a regular file (not a link, not a folder) that starts with a heading
    line this tool writes for that sidecar (`headings`, or one of several: the findings of a run
    given decisions have a 复核 column): the proof that an earlier run wrote it, without which a
    file is never removed."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    markers = [heading_line(h) for h in (headings if isinstance(headings, tuple) else (headings,))]
    try:
        with path.open("rb") as handle:
            start = handle.read(max(len(m) for m in markers))
    except OSError:
        return False
    return any(start.startswith(m) for m in markers)


def meta_path(path: str | os.PathLike) -> Path:
    """Where the meta sidecar of the CSV report at `path` goes: ``report.csv`` ->
    ``report.meta.csv``."""
    return Path(path).with_suffix(".meta.csv")


#: Columns holding ID numbers: written in the form Excel keeps as text (`excel_text`).
ID_COLUMNS = ("公民身份号码",)
_DIGITS_ONLY = r"^[0-9]{1,40}$"


def excel_text(values: pd.Series) -> pd.Series:
    """Values made of digits alone as ``="…"``, which a spreadsheet shows as that text instead
    of a number that has lost digits; other values unchanged (neutralised by the caller)."""
    text = values.astype("str")
    shaped = text.str.fullmatch(_DIGITS_ONLY).fillna(False).astype(bool)
    return text.mask(shaped, '="' + text + '"')


_WRITE_OPTIONS = pa_csv.WriteOptions(quoting_style="needed")
_ROW_OPTIONS = pa_csv.WriteOptions(quoting_style="needed", include_header=False)


def _arrow(table: pd.DataFrame) -> pa.Table:
    """`table` as the Arrow table a CSV report writes: formulas neutralised, digit-only IDs as text."""
    safe = neutralise_frame(table)
    for column in ID_COLUMNS:
        if column in safe:
            safe[column] = excel_text(safe[column])
    return pa.Table.from_pandas(safe, preserve_index=False)


def _to_csv(table: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    sink.write(BOM)
    pa_csv.write_csv(_arrow(table), sink, _WRITE_OPTIONS)
    return sink.getvalue().to_pybytes()
