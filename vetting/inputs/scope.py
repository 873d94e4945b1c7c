"""Which candidates a reply file answers for: `--findings 公安=回复.xlsx@甲镇花名册.xlsx` (a roster of
the run) or `…@甲镇` (a township of the roster). A reply answers for everyone unless scoped."""

from __future__ import annotations

import os
from pathlib import Path


def split_scope(value: str) -> tuple[str, str]:
    """'回复.xlsx@甲镇' -> ('回复.xlsx', '甲镇'); a path that exists as written keeps its '@'."""
    if "@" not in value or Path(value).exists():
        return value, ""
    path, _, scope = value.rpartition("@")
    return path.strip(), scope.strip()


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (as written, resolved, or by a link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()
