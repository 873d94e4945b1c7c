"""How the XLSX report looks on paper and in front of a committee: print set-up (A4 landscape, the
header row on every page, fitted to the page width, page numbers), the colour legend, and the
native Excel charts of the 汇总 sheet. Pure settings on openpyxl objects; nothing is saved here."""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, MultiLevelStrRef, StrRef
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from vetting.reports.overview import VERDICT_COLOURS, VERDICT_FILLS
from vetting.vocab import VERDICT_LABELS, VERDICTS

#: What each verdict means, for the legend beside its colour.
VERDICT_MEANINGS = {
    "disqualified": "有不得确定为人选的情形",
    "unsuitable": "有不宜确定为人选的情形",
    "review": "材料存疑或证据不足以判定，须人工复核",
    "pending": "尚有联审部门未出具意见或事实待补，暂不能判定",
    "pass": "已覆盖的规则未发现问题（行无底色）",
}
LEGEND_HEADINGS = ("图例（行底色）", "结论代码", "含义")
PAPER_A4 = "9"   # the paper code of A4 in SpreadsheetML
PAGE_NUMBERS = "第 &P 页，共 &N 页"
#: Chart sizes in centimetres; a row of the sheet is about half a centimetre high.
CHART_WIDTH = 17.0
CHART_HEIGHT = 7.5
BAR_CM = 0.55
ROW_CM = 0.53


def print_setup(ws: Any, as_of: str | None, title_rows: bool = True) -> None:
    """A4 landscape, fitted to one page wide (as many pages long as needed), gridlines, the
    first row repeated on every page, sheet name and as-of date in the header, page numbers in
    the footer. Call before the first row is written (write-only sheets write their properties
    first)."""
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = "&A"
    if as_of:
        ws.oddHeader.right.text = f"审查基准日：{as_of}".replace("&", "&&")
    ws.oddFooter.center.text = PAGE_NUMBERS


def legend_rows() -> list[tuple[str, str, str, str | None]]:
    """(label, code, meaning, fill colour or None) per verdict, worst first: the row fills of
    the 候选人 sheet explained."""
    return [(VERDICT_LABELS[v], v, VERDICT_MEANINGS[v], VERDICT_FILLS[v] if v != "pass" else None) for v in VERDICTS]


def verdict_chart(sheet_title: str, first_row: int, last_row: int, columns: dict[str, int],
                  category_columns: tuple[int, int]) -> BarChart:
    """Verdicts by village: horizontal bars stacked by verdict (VERDICT_COLOURS), one bar per
    row `first_row`..`last_row` of the per-village sheet; `columns` gives each verdict's
    column, `category_columns` the township and village columns (two-level labels)."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.title, chart.y_axis.title = "各村(社区)审查结论", "人数"
    rows = last_row - first_row + 1
    chart.width, chart.height = CHART_WIDTH, max(CHART_HEIGHT, 2.5 + rows * BAR_CM)
    ref = _SheetRef(sheet_title)
    for verdict in VERDICTS:
        series = Series(ref.cells(columns[verdict], first_row, last_row), title=VERDICT_LABELS[verdict])
        series.graphicalProperties.solidFill = VERDICT_COLOURS[verdict]
        series.graphicalProperties.line.solidFill = VERDICT_COLOURS[verdict]
        chart.series.append(series)
    _label(chart, ref.cells(category_columns[0], first_row, last_row, category_columns[1]))
    chart.x_axis.scaling.orientation = "maxMin"   # first village at the top, as in the sheet
    return chart


def distribution_chart(title: str, sheet_title: str, first_row: int, last_row: int, label_column: int,
                       series: list[tuple[int, str, str]]) -> BarChart:
    """Counts per value (age band, education level) as columns, one series per group:
    `series` gives (column, name, colour) of each group's counts."""
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title, chart.y_axis.title = title, "人数"
    chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
    ref = _SheetRef(sheet_title)
    for column, name, colour in series:
        bars = Series(ref.cells(column, first_row, last_row), title=name)
        bars.graphicalProperties.solidFill = colour
        chart.series.append(bars)
    _label(chart, ref.cells(label_column, first_row, last_row))
    return chart


def _label(chart: BarChart, categories: Reference) -> None:
    """Text categories (two columns: two-level labels, township over village), axes shown
    (openpyxl leaves them to the reader's default, which hides them in recent Excel), legend
    below."""
    ref = str(categories)
    two_levels = categories.min_col != categories.max_col
    for series in chart.series:
        series.cat = AxDataSource(multiLvlStrRef=MultiLevelStrRef(f=ref)) if two_levels else \
            AxDataSource(strRef=StrRef(f=ref))
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"


def rows_taken(chart: BarChart) -> int:
    """How many sheet rows a chart covers, to anchor the next one below it."""
    return int(chart.height / ROW_CM) + 2


class _SheetRef:
    """Cell ranges of a sheet by its title (write-only sheets have no cells to look at)."""

    def __init__(self, title: str) -> None:
        self.title = title

    def cells(self, column: int, first_row: int, last_row: int, last_column: int | None = None) -> Reference:
        return Reference(range_string=f"{_quoted(self.title)}!${_letter(column)}${first_row}:"
                                      f"${_letter(last_column or column)}${last_row}")


def _letter(column: int) -> str:
    return get_column_letter(column)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"
