"""Report writers: JSON, CSV (+ meta and optional sidecars) and XLSX, all written atomically.

Formatting (``format_*``, ``common``) is pure; only `write_report` and `write_xlsx` touch
the file system, and always through `vetting.atomic.write_atomic`.
"""

from __future__ import annotations

import os
from pathlib import Path

from vetting.atomic import write_atomic
from vetting.errors import VettingError, did_you_mean
from vetting.reports.common import redact
from vetting.reports.csv_report import SIDECARS, format_csv, format_csv_meta, meta_path
from vetting.reports.json_report import format_json
from vetting.reports.xlsx_report import write_xlsx
from vetting.result import VettingResult

FORMATS = ("json", "csv", "xlsx")


def write_report(result: VettingResult, path: str | os.PathLike, fmt: str,
                 show_id: bool = False) -> list[Path]:
    """Write `result` to `path` in format `fmt` (one of FORMATS) and return the paths
    written. CSV also writes the audit header to ``<name>.meta.csv`` beside the report, and
    ``<name>.villages.csv`` / ``.awaiting.csv`` / ``.unmatched.csv`` when the run has village
    findings, people awaited from an agency, or unmatched reply rows; when it has none, a
    sidecar an earlier run left at that exact path is removed, so that no stale list sits
    beside the new report. ID numbers are masked unless `show_id` (once, here)."""
    shown = redact(result, show_id)
    if fmt == "json":
        write_atomic(path, format_json(shown, show_id=True))
        return [Path(path)]
    if fmt == "csv":
        table, meta = format_csv(shown, show_id=True), format_csv_meta(shown, show_id=True)
        sidecars = [(where(path), render(shown, show_id=True)) for where, render in SIDECARS]
        write_atomic(path, table)
        write_atomic(meta_path(path), meta)
        written = [Path(path), meta_path(path)]
        for side, data in sidecars:
            if data is not None:
                write_atomic(side, data)
                written.append(side)
            else:
                _remove_stale(side, path)
        return written
    if fmt == "xlsx":
        write_xlsx(shown, path, show_id=True)
        return [Path(path)]
    raise VettingError(f"不支持的报告格式：{fmt}（可选：{'、'.join(FORMATS)}）"
                       + did_you_mean(fmt, FORMATS))


def _remove_stale(side: Path, report: str | os.PathLike) -> None:
    """Remove the sidecar file at exactly `side` (a regular file or a link, never a folder)
    left by an earlier run; the new report says there is nothing of that kind. Failing to
    remove it is an error: a stale chase list beside a fresh report would mislead."""
    if not (side.is_file() or side.is_symlink()):
        return
    try:
        side.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise VettingError(f"报告已写入 {report}，但无法删除上次运行留下的 {side}"
                           f"（{exc.strerror or exc}），该文件已过时，请手动删除") from exc
