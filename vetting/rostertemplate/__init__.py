"""`vet template`: the roster an office should send for a pack. `layout` decides the columns, bands,
fillers, choices and hints (pure); `xlsx` writes them with openpyxl; CSV is a single header row."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from vetting.atomic import write_atomic
from vetting.errors import OptionError
from vetting.rostertemplate.layout import TemplateLayout, fields_read, template_layout
from vetting.ruleset.model import Ruleset

TEMPLATE_FORMATS = ("xlsx", "csv")
BOM = "\ufeff"

__all__ = ["TEMPLATE_FORMATS", "fields_read", "format_csv", "template_format", "template_layout",
           "write_template"]


def template_format(fmt: str | None, output: str | os.PathLike) -> str:
    """The format asked for, else by the output's extension (.csv, .txt -> csv), else xlsx."""
    if fmt:
        if fmt not in TEMPLATE_FORMATS:
            raise OptionError(f"模板格式「{fmt}」无效，可选：{'、'.join(TEMPLATE_FORMATS)}", "--format")
        return fmt
    return "csv" if Path(output).suffix.lower() in (".csv", ".txt") else "xlsx"


def format_csv(layout: TemplateLayout) -> bytes:
    """The CSV template: one header row of column labels, UTF-8 with a BOM (Excel opens it directly)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(layout.labels)
    return (BOM + buffer.getvalue()).encode("utf-8")


def write_template(ruleset: Ruleset, output: str | os.PathLike, fmt: str) -> TemplateLayout:
    """Write the pack's roster template to `output` atomically; returns what was written."""
    layout = template_layout(ruleset)
    if fmt == "csv":
        write_atomic(output, format_csv(layout))
    else:
        from vetting.rostertemplate.xlsx import build_workbook

        workbook = build_workbook(layout)
        write_atomic(output, workbook.save)
    return layout
