"""The text table one roster file is read into, and the file fingerprint kept for the audit trail."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd


@dataclass
class RawTable:
    """One sheet of text cells: '' for blank, header texts as columns, row numbers as the user sees them.

    ``footer_rows`` counts footer lines already left out of ``frame``; ``skipped`` (when the
    reader computed it) marks the rows of ``frame`` that are blank template rows or repeat the
    header (``headings``, rosters pasted one under another), not people;
    ``notes`` say in Chinese what was detected (sheet, header rows, data rows, skipped rows).
    ``label`` names the table in reports and evidence when the file name alone is ambiguous:
    ``乡镇花名册.xlsx[乙村]`` for one of several roster sheets of a workbook. ``numbers`` marks,
    per column that has any, the cells that were numbers with a fraction in the workbook
    (2025.1 may have been typed 2025.10: see ``cells.fractional_numbers``). ``groups`` gives, for
    the columns of a two-row header, the merged group title above each (联审部门意见 over 公安).
    """

    path: str
    sha256: str
    frame: pd.DataFrame
    source_rows: np.ndarray
    header_row: int
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    footer_rows: int = 0
    skipped: np.ndarray | None = None
    label: str | None = None
    headings: np.ndarray | None = None
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How reports and evidence name this table: the label, else the file name."""
        return self.label or Path(self.path).name


def distinct_names(paths: Sequence[str | Path]) -> list[str]:
    """How a run names each of its files in reports and evidence: the file name, or, for files
    that share it, the path from the folder where they part ("甲镇/花名册.xlsx"), so that a
    finding's "file 第N行" says which file."""
    parts = [Path(p).absolute().parts for p in paths]
    depth = [1] * len(parts)
    names = [p[-1] for p in parts]
    while True:
        seen = Counter(names)
        clash = [i for i, name in enumerate(names) if seen[name] > 1 and depth[i] < len(parts[i])]
        if not clash:
            return names
        for i in clash:
            depth[i] += 1
            names[i] = Path(*parts[i][-depth[i]:]).as_posix()


def named(table: RawTable, name: str) -> RawTable:
    """The table as a run whose files share names calls it (`distinct_names`; a sheet keeps its
    [sheet] after the name)."""
    own = Path(table.path).name
    if name == own:
        return table
    return replace(table, label=name + (table.label[len(own):] if table.label else ""))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
