"""How `vet run`'s options resolve: the as-of date, the report format (from --format or the output
file's suffix) and the options a run records in its history. Light: the command line reads it
before any stage is imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from vetting.errors import OptionError, VettingError
from vetting.vocab import REPORT_FORMATS as FORMATS

if TYPE_CHECKING:
    from vetting.pipeline import ReadOptions
    from vetting.ruleset.model import Ruleset

#: Output suffixes that name a format under another name.
_SUFFIX_FORMATS = {"htm": "html"}


def resolve_as_of(given: dt.date | None, ruleset: Ruleset) -> dt.date:
    """The as-of date: given explicitly, else the ruleset's election date; never today's date."""
    if given:
        return given
    if ruleset.election_date:
        return ruleset.election_date
    raise VettingError(f"规则集「{ruleset.id}」未设定选举日，请用 --as-of 指定审查基准日（如 --as-of 2026-12-15）")


def report_format(fmt: str | None, output: str | None) -> str:
    """The report format: --format if given, else the output file's suffix, else json.

    An unknown suffix names --format; xlsx without an output file names -o (a workbook cannot
    go to standard output)."""
    fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output else "json")
    fmt = _SUFFIX_FORMATS.get(fmt, fmt)
    if fmt not in FORMATS:
        raise OptionError(f"无法从输出文件名判断格式「{fmt}」，请用 --format 指定", "--format")
    if fmt == "xlsx" and not output:
        raise OptionError("xlsx 格式需要用 -o 指定输出文件", "-o")
    return fmt


def history_options(rosters: Sequence[str], ruleset: str, as_of: dt.date, fmt: str, output: str | None,
                    fail_on: str | None, show_id: bool, read: ReadOptions, coverage: str | None = None,
                    decisions: str | None = None) -> dict:
    """The options of a run as recorded in history (JSON-ready), so a run can be repeated."""
    return {"rosters": list(rosters), "ruleset": ruleset, "as_of": as_of.isoformat(), "format": fmt,
            "output": output, "fail_on": fail_on, "show_id": show_id, "sheet": read.sheet,
            "header_row": read.header_row, "encoding": read.encoding, "map": dict(read.mapping),
            "findings": [list(pair) for pair in read.replies], "coverage": coverage,
            **({"decisions": decisions} if decisions else {})}
