"""Rewrite the golden report files from `tests/test_reports.sample_result()`, and the structure
of the demo roster's HTML report (`tests/html_outline.outline`).

Run after an intended change to the report format, then review the diff:
    python tests/golden/regenerate.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from html_outline import outline  # noqa: E402
from test_reports import sample_result  # noqa: E402

from vetting.pipeline import vet_files  # noqa: E402
from vetting.reports import report_bytes  # noqa: E402
from vetting.reports.csv_report import format_csv, format_csv_meta  # noqa: E402
from vetting.reports.json_report import format_json  # noqa: E402
from vetting.ruleset.loader import load_ruleset  # noqa: E402
from vetting.runoptions import resolve_as_of  # noqa: E402


def main() -> None:
    result = sample_result()
    for name, data in (("report.json", format_json(result)), ("report.csv", format_csv(result)),
                       ("report.meta.csv", format_csv_meta(result))):
        (HERE / name).write_bytes(data)
        print(f"wrote {HERE / name} ({len(data)} bytes)")
    rules = load_ruleset("national")
    demo = vet_files([str(HERE.parent.parent / "fixtures" / "demo_roster.xlsx")], rules,
                     resolve_as_of(dt.date(2026, 12, 15), rules), generated_at="2026-12-15T09:00:00+08:00")
    lines = outline(report_bytes(demo, "html").decode("utf-8"))
    (HERE / "report_demo_html.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {HERE / 'report_demo_html.txt'} ({len(lines)} lines)")


if __name__ == "__main__":
    main()
