"""Rewrite the golden report files from `tests/test_reports.sample_result()`.

Run after an intended change to the report format, then review the diff:
    python tests/golden/regenerate.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from test_reports import sample_result  # noqa: E402

from vetting.reports.csv_report import format_csv, format_csv_meta  # noqa: E402
from vetting.reports.json_report import format_json  # noqa: E402


def main() -> None:
    result = sample_result()
    for name, data in (("report.json", format_json(result)), ("report.csv", format_csv(result)),
                       ("report.meta.csv", format_csv_meta(result))):
        (HERE / name).write_bytes(data)
        print(f"wrote {HERE / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
