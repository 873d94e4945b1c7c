"""How the XLSX report looks on paper and in front of a committee: print set-up (A4 landscape, the
header row on every page, fitted to the page width, page numbers), the colour legend, and the
native Excel charts of the 汇总 sheet. Pure settings on xlsxwriter objects; nothing is saved here."""

from __future__ import annotations

from typing import Any, Sequence

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
PAPER_A4 = 9   # the paper code of A4 in SpreadsheetML
PAGE_NUMBERS = "第 &P 页，共 &N 页"
#: Chart sizes in centimetres; a row of the sheet is about half a centimetre high.
CHART_WIDTH = 17.0
CHART_HEIGHT = 7.5
BAR_CM = 0.55
ROW_CM = 0.53
_PIXELS_PER_CM = 96 / 2.54


def print_setup(ws: Any, as_of: str | None, title_rows: bool = True) -> None:
    """A4 landscape, fitted to one page wide (as many pages long as needed), gridlines, the
    first row repeated on every page, sheet name and as-of date in the header, page numbers in
    the footer."""
    ws.set_landscape()
    ws.set_paper(PAPER_A4)
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(0)   # shown on screen and printed
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    if title_rows:
        ws.repeat_rows(0)
    header = "&C&A"
    if as_of:
        header += "&R" + f"审查基准日：{as_of}".replace("&", "&&")
    ws.set_header(header, {"margin": 0.3})
    ws.set_footer("&C" + PAGE_NUMBERS, {"margin": 0.3})


def legend_rows() -> list[tuple[str, str, str, str | None]]:
    """(label, code, meaning, fill colour or None) per verdict, worst first: the row fills of
    the 候选人 sheet explained."""
    return [(VERDICT_LABELS[v], v, VERDICT_MEANINGS[v], VERDICT_FILLS[v] if v != "pass" else None) for v in VERDICTS]


def verdict_chart(wb: Any, sheet_title: str, first_row: int, last_row: int, columns: dict[str, int],
                  category_columns: tuple[int, int], places: Sequence[tuple[str, str]],
                  counts: dict[str, Sequence[int]]) -> Any:
    """Verdicts by village: horizontal bars stacked by verdict (VERDICT_COLOURS), one bar per
    row `first_row`..`last_row` (1-based) of the per-village sheet; `columns` gives each
    verdict's column, `category_columns` the township and village columns (two-level labels).
    `places` and `counts` are those cells' values, cached in the chart (a streamed sheet cannot
    be read back)."""
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    ref = _SheetRef(sheet_title)
    categories = ref.cells(category_columns[0], first_row, last_row, category_columns[1])
    levels = [[t for t, _ in places], [v for _, v in places]]
    for verdict in VERDICTS:
        colour = "#" + VERDICT_COLOURS[verdict]
        chart.add_series({"name": VERDICT_LABELS[verdict], "values": ref.cells(columns[verdict], first_row, last_row),
                          "values_data": list(counts[verdict]), "categories": categories, "categories_data": levels,
                          "fill": {"color": colour}, "border": {"color": colour}, "overlap": 100})
    rows = last_row - first_row + 1
    _finish(chart, "各村(社区)审查结论", CHART_WIDTH, max(CHART_HEIGHT, 2.5 + rows * BAR_CM))
    chart.set_x_axis({"name": "人数"})   # a bar chart's value axis is its x axis
    chart.set_y_axis({"reverse": True})  # first village at the top, as in the sheet
    return chart


def distribution_chart(wb: Any, title: str, sheet_title: str, first_row: int, last_row: int, label_column: int,
                       labels: Sequence[str], series: list[tuple[int, str, str, Sequence[int]]]) -> Any:
    """Counts per value (age band, education level) as columns, one series per group:
    `series` gives (column, name, colour, counts) of each group; `labels` are the values of
    `label_column` (rows are 1-based)."""
    chart = wb.add_chart({"type": "column"})
    ref = _SheetRef(sheet_title)
    categories = ref.cells(label_column, first_row, last_row)
    for column, name, colour, counts in series:
        chart.add_series({"name": name, "values": ref.cells(column, first_row, last_row), "values_data": list(counts),
                          "categories": categories, "categories_data": [str(v) for v in labels],
                          "fill": {"color": "#" + colour}})
    _finish(chart, title, CHART_WIDTH, CHART_HEIGHT)
    chart.set_y_axis({"name": "人数"})
    return chart


def _finish(chart: Any, title: str, width_cm: float, height_cm: float) -> None:
    """Title, size and the legend below."""
    chart.set_title({"name": title})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": round(width_cm * _PIXELS_PER_CM), "height": round(height_cm * _PIXELS_PER_CM)})
    chart.height_cm = height_cm


def rows_taken(chart: Any) -> int:
    """How many sheet rows a chart covers, to anchor the next one below it."""
    return int(chart.height_cm / ROW_CM) + 2


class _SheetRef:
    """Cell ranges of a sheet by its title, as chart formulas (1-based rows and columns)."""

    def __init__(self, title: str) -> None:
        self.title = title

    def cells(self, column: int, first_row: int, last_row: int, last_column: int | None = None) -> str:
        return (f"={_quoted(self.title)}!${_letter(column)}${first_row}:"
                f"${_letter(last_column or column)}${last_row}")


def _letter(column: int) -> str:
    """The letters of a 1-based column number: 1 -> A, 28 -> AB."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"
