"""Report writers: JSON, CSV (+ meta and optional sidecars), XLSX and HTML, written all or nothing.

Formatting (``format_*``, ``common``) is pure; only `write_report` and `write_xlsx` touch
the file system, and always through `vetting.atomic`: a report and its sidecars are one
transaction. `report_files` names every file a report may write or remove, for the output plan
that keeps outputs off inputs (`vetting.outplan`).
"""

from __future__ import annotations

import os
from pathlib import Path

from vetting.atomic import Payload, write_all
from vetting.errors import VettingError, did_you_mean
from vetting.reports.common import clean_result, redact
from vetting.reports.csv_report import SIDECARS, format_csv, meta_path, sidecar_files
from vetting.reports.json_report import format_json
from vetting.result import VettingResult
from vetting.textsafe import CSV_FORBIDDEN, XLSX_FORBIDDEN
from vetting.vocab import REPORT_FORMATS as FORMATS

#: What each format cannot hold (see vetting.textsafe): replaced and flagged in the audit block.
#: HTML takes CSV's set: the controls an HTML parser reports as errors.
_FORBIDDEN = {"csv": (CSV_FORBIDDEN, "CSV"), "xlsx": (XLSX_FORBIDDEN, "Excel"), "html": (CSV_FORBIDDEN, "HTML")}


def shown_result(result: VettingResult, fmt: str, show_id: bool) -> VettingResult:
    """The result as a report of format `fmt` shows it: ID numbers masked unless `show_id`
    (once, here), then the characters the format cannot hold replaced, with a warning saying
    how many texts were changed."""
    shown = redact(result, show_id)
    if fmt in _FORBIDDEN:
        shown = clean_result(shown, *_FORBIDDEN[fmt])
    return shown


def report_bytes(result: VettingResult, fmt: str, show_id: bool = False) -> bytes:
    """A JSON, CSV (the candidate table alone) or HTML report as bytes, for standard output."""
    shown = shown_result(result, fmt, show_id)
    if fmt == "json":
        return format_json(shown, show_id=True)
    if fmt == "csv":
        return format_csv(shown, show_id=True)
    if fmt == "html":
        from vetting.reports.html_report import format_html  # templates and charts: HTML only

        return format_html(shown, show_id=True)
    raise VettingError(f"{fmt} 格式的报告不能输出到标准输出，请用 -o 指定输出文件")


def report_files(path: str | os.PathLike, fmt: str) -> list[tuple[Path, str]]:
    """Every file a report of format `fmt` at `path` may write or remove, with its Chinese role:
    the report, and for CSV the meta sidecar and the optional sidecars."""
    files = [(Path(path), "报告文件")]
    if fmt == "csv":
        files.append((meta_path(path), "报告的审计信息附表（.meta.csv）"))
        files += [(where(path), f"报告的{label}附表（{where(Path('x')).name[1:]}）")
                  for where, _, label, _ in SIDECARS]
    return files


def write_report(result: VettingResult, path: str | os.PathLike, fmt: str,
                 show_id: bool = False) -> list[Path]:
    """Write `result` to `path` in format `fmt` (one of FORMATS) and return the paths
    written. CSV also writes the audit header to ``<name>.meta.csv`` beside the report, and
    ``<name>.findings.csv`` / ``.villages.csv`` / ``.awaiting.csv`` / ``.unmatched.csv`` when
    the run has findings, village findings, people awaited from an agency, or unmatched reply
    rows; when it has none, a
    sidecar an earlier run left at that exact path is removed (only a regular file that starts
    with that sidecar's own heading line: never a file this tool did not write), so that no
    stale list sits beside the new report. All of it is one transaction (`vetting.atomic`)."""
    if fmt not in FORMATS:
        raise VettingError(f"不支持的报告格式：{fmt}（可选：{'、'.join(FORMATS)}）" + did_you_mean(fmt, FORMATS))
    shown = shown_result(result, fmt, show_id)
    files: list[tuple[Path, Payload]] = []
    stale: list[Path] = []
    if fmt == "json":
        files.append((Path(path), format_json(shown, show_id=True)))
    elif fmt == "csv":
        files.append((Path(path), format_csv(shown, show_id=True)))
        sidecars, stale = sidecar_files(shown, path)
        files += sidecars
    elif fmt == "html":
        from vetting.reports.html_report import format_html

        files.append((Path(path), format_html(shown, show_id=True)))
    else:
        from vetting.reports.xlsx_report import xlsx_payload  # openpyxl: XLSX only, not `vet check`

        files.append((Path(path), xlsx_payload(shown, show_id=True)))
    write_all(files, stale)
    return [p for p, _ in files]


def __getattr__(name: str):  # noqa: ANN202 - `write_xlsx` loads openpyxl when first asked for
    if name == "write_xlsx":
        from vetting.reports.xlsx_report import write_xlsx
        return write_xlsx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "report_bytes", "report_files", "shown_result", "write_report", "write_xlsx"]
