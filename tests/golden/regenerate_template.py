"""Rewrite tests/golden/template_national.yaml (the structure of `vet template` for the national pack).

Run after an intended change to the template, then review the diff:
    python tests/golden/regenerate_template.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from test_template import GOLDEN, write_golden  # noqa: E402

if __name__ == "__main__":
    write_golden(GOLDEN)
    print(f"wrote {GOLDEN}")
