"""Render the 汇总 sheet of the demo roster's XLSX report (reserve pack, as-of 2026-12-15) to
docs/screenshots/xlsx_summary.png: the README's picture of the Excel summary as it prints.

Needs LibreOffice (`soffice`, Debian: libreoffice-calc-nogui) and poppler (`pdftoppm`,
`pdftotext`), which CI does not install; the tests check the workbook itself
(tests/test_xlsx_committee.py). Run from the repository:
    python docs/screenshots/xlsx_summary.py
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from vetting.pipeline import vet_files  # noqa: E402
from vetting.reports import write_report  # noqa: E402
from vetting.ruleset.loader import load_ruleset  # noqa: E402

MARK = "图例（行底色）"   # a text only the 汇总 sheet holds


def main() -> None:
    result = vet_files([str(ROOT / "fixtures" / "demo_roster.xlsx")], load_ruleset("reserve"), dt.date(2026, 12, 15))
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "report.xlsx"
        write_report(result, book, "xlsx")
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(book)],
                       check=True, capture_output=True, timeout=180)
        pdf = book.with_suffix(".pdf")
        page = next(n for n in range(1, 50) if MARK in subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
        out = HERE / "xlsx_summary"
        subprocess.run(["pdftoppm", "-r", "80", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf),
                        str(out)], check=True)
    print(f"wrote {out}.png (page {page})")


if __name__ == "__main__":
    main()
