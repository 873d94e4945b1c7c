"""Report writers: JSON, CSV (+ meta sidecar) and XLSX, all written atomically.

Formatting (``format_*``, ``common``) is pure; only `write_report` and `write_xlsx` touch
the file system, and always through `vetting.atomic.write_atomic`.
"""

from __future__ import annotations

import os
from pathlib import Path

from vetting.atomic import write_atomic
from vetting.errors import VettingError, did_you_mean
from vetting.reports.csv_report import format_csv, format_csv_meta, format_csv_villages, meta_path, villages_path
from vetting.reports.json_report import format_json
from vetting.reports.xlsx_report import write_xlsx
from vetting.result import VettingResult

FORMATS = ("json", "csv", "xlsx")


def write_report(result: VettingResult, path: str | os.PathLike, fmt: str,
                 show_id: bool = False) -> list[Path]:
    """Write `result` to `path` in format `fmt` (one of FORMATS) and return the paths
    written. CSV also writes the audit header to ``<name>.meta.csv`` beside the report."""
    if fmt == "json":
        write_atomic(path, format_json(result, show_id))
        return [Path(path)]
    if fmt == "csv":
        table, meta, villages = format_csv(result, show_id), format_csv_meta(result), format_csv_villages(result)
        write_atomic(path, table)
        write_atomic(meta_path(path), meta)
        written = [Path(path), meta_path(path)]
        if villages is not None:
            write_atomic(villages_path(path), villages)
            written.append(villages_path(path))
        return written
    if fmt == "xlsx":
        write_xlsx(result, path, show_id)
        return [Path(path)]
    raise VettingError(f"不支持的报告格式：{fmt}（可选：{'、'.join(FORMATS)}）"
                       + did_you_mean(fmt, FORMATS))
