"""The roster template as an Excel workbook (openpyxl): sheet 花名册 with the header bands, drop-down
lists, input hints and text-formatted columns; sheet 填表说明 listing every column; a hidden sheet
选项 holding the longer drop-down lists."""

from __future__ import annotations

import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from vetting.reports.common import neutralise_formula
from vetting.rostertemplate.layout import ASSESSED, BASIC, JOINT, Column, TemplateLayout

ROSTER_SHEET, NOTES_SHEET, CHOICES_SHEET = "花名册", "填表说明", "选项"
TITLE_ROW, UNIT_ROW, BAND_ROW, FILLER_ROW, LABEL_ROW = 1, 2, 3, 4, 5
FIRST_DATA_ROW = 6
#: Rows that carry the drop-down lists and hints (the text format covers whole columns).
DATA_ROWS = 5000
#: A list of at most this many short choices is written into the validation itself.
INLINE_CHOICES = 3
NOTE_COLUMNS = ("列", "列名", "所在栏", "填写单位", "填写要求", "可选值", "审查规则", "依据")
_NOTE_WIDTHS = (6, 22, 12, 18, 48, 30, 40, 70)
_FILLS = {BASIC: "DDEBF7", JOINT: "FCE4D6", ASSESSED: "E2EFDA"}
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Excel's limits for a data validation's texts.
_PROMPT_TITLE, _PROMPT = 32, 255


def _text(value: str) -> str:
    """Text from a pack as a safe cell value: no control characters, no formula."""
    return neutralise_formula(_ILLEGAL.sub("", value))


def _width(column: Column) -> float:
    label = sum(2 if ord(ch) > 0x2E80 else 1 for ch in column.label)
    minimum = {"id_number": 22, "date": 13, "name": 10}.get(column.type, 8)
    return float(min(max(label / 2 + 3, minimum), 24))


def build_workbook(layout: TemplateLayout) -> Workbook:
    """The template workbook of a layout (not saved)."""
    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    notes = wb.create_sheet(NOTES_SHEET)
    choices = wb.create_sheet(CHOICES_SHEET)
    _header(ws, layout)
    _validations(ws, choices, layout)
    _notes(notes, layout)
    choices.sheet_state = "hidden"
    return wb


def _header(ws: Worksheet, layout: TemplateLayout) -> None:
    last = get_column_letter(len(layout.columns))
    ws.cell(TITLE_ROW, 1, "村(社区)“两委”换届人选资格联审花名册").font = Font(bold=True, size=16)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.cell(UNIT_ROW, 1, _text(f"填报单位：（盖章）　　　　　　　　填报时间：　　年　　月　　日　　　　"
                               f"规则集：{layout.title}（{layout.ruleset_id} {layout.version}）"))
    ws.merge_cells(f"A{UNIT_ROW}:{last}{UNIT_ROW}")
    for row, spans in ((BAND_ROW, layout.bands), (FILLER_ROW, layout.fillers)):
        for span in spans:
            cell = ws.cell(row, span.first + 1, span.text)
            if span.last > span.first:
                ws.merge_cells(start_row=row, start_column=span.first + 1, end_row=row, end_column=span.last + 1)
    for index, column in enumerate(layout.columns, start=1):
        fill = PatternFill("solid", fgColor=_FILLS.get(column.band, "EDEDED"))
        ws.cell(LABEL_ROW, index, column.label)
        for row in (BAND_ROW, FILLER_ROW, LABEL_ROW):
            cell = ws.cell(row, index)
            cell.fill, cell.border, cell.alignment = fill, _BORDER, _CENTRE
            cell.font = Font(bold=row != FILLER_ROW, size=11 if row != FILLER_ROW else 9)
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = _width(column)
        if column.text:
            ws.column_dimensions[letter].number_format = "@"
    ws.row_dimensions[LABEL_ROW].height = 45
    name_column = next((i for i, c in enumerate(layout.columns, start=1) if c.field == "name"), 0)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, name_column + 1)
    ws.print_title_rows = f"{BAND_ROW}:{LABEL_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _validations(ws: Worksheet, options: Worksheet, layout: TemplateLayout) -> None:
    """A drop-down list or an input hint on every column's data rows; longer lists on `options`."""
    listed = 0
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + DATA_ROWS - 1}"
        if column.choices:
            inline = len(column.choices) <= INLINE_CHOICES and not any("," in c for c in column.choices)
            if inline:
                source = '"' + ",".join(column.choices) + '"'
            else:
                listed += 1
                target = get_column_letter(listed)
                options.cell(1, listed, f"{column.label}（可选值）").font = Font(bold=True)
                for row, value in enumerate(column.choices, start=2):
                    options.cell(row, listed, value)
                source = f"'{CHOICES_SHEET}'!${target}$2:${target}${len(column.choices) + 1}"
            check = DataValidation(type="list", formula1=source, allow_blank=True)
            check.errorStyle = "stop" if column.strict else "warning"
            check.errorTitle = "不是列表中的值"
            check.error = _cut("请从下拉列表中选择：" + "、".join(column.choices), _PROMPT)
            check.showErrorMessage = True
        elif column.type == "id_number":
            check = DataValidation(type="textLength", operator="between", formula1="15", formula2="18",
                                   allow_blank=True)
            check.errorStyle, check.errorTitle = "warning", "公民身份号码位数不对"
            check.error = "公民身份号码应为18位（老号码15位），请以文本填写。"
            check.showErrorMessage = True
        else:
            check = DataValidation(allow_blank=True)
        check.promptTitle = _cut(f"{column.label}（{column.filler}）", _PROMPT_TITLE)
        check.prompt = _cut(column.hint or f"{column.filler}。", _PROMPT)
        check.showInputMessage = True
        check.add(cells)
        ws.add_data_validation(check)


def _notes(ws: Worksheet, layout: TemplateLayout) -> None:
    """Sheet 填表说明: general instructions, then one row per column."""
    ws.cell(1, 1, "填表说明").font = Font(bold=True, size=14)
    for row, note in enumerate(layout.notes, start=2):
        ws.cell(row, 1, _text(note)).alignment = Alignment(wrap_text=False)
    top = len(layout.notes) + 3
    for index, (name, width) in enumerate(zip(NOTE_COLUMNS, _NOTE_WIDTHS), start=1):
        cell = ws.cell(top, index, name)
        cell.font, cell.border, cell.alignment = Font(bold=True), _BORDER, _CENTRE
        ws.column_dimensions[get_column_letter(index)].width = width
    for offset, (index, column) in enumerate(enumerate(layout.columns, start=1), start=1):
        values = note_row(index, column)
        for position, value in enumerate(values, start=1):
            cell = ws.cell(top + offset, position, _text(value))
            cell.alignment, cell.border = _WRAP, _BORDER
    ws.freeze_panes = ws.cell(top + 1, 3)


def note_row(index: int, column: Column) -> tuple[str, ...]:
    """The 填表说明 row of one column (its cells in NOTE_COLUMNS order)."""
    rules = "\n".join(f"{u.code} {u.name}（{u.severity}）" for u in column.rules)
    basis = "\n".join(f"{u.code}：{u.basis}" for u in column.rules)
    allowed = "、".join(column.choices) + ("" if column.strict or not column.choices else "（也可填其他写法）")
    return (get_column_letter(index), column.label, column.band, column.filler, column.hint, allowed, rules, basis)
