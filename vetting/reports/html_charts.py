"""Chart geometry for the HTML report: horizontal bar charts as plain numbers (positions, widths,
colours, labels) that the template draws as inline SVG. No markup here: every text reaches
the page through the template's autoescaping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pandas as pd

from vetting.reports.overview import VERDICT_COLOURS, percent
from vetting.vocab import VERDICT_LABELS, VERDICTS

#: Layout in SVG user units: bar areas (villages, distributions), the room for the text after a
#: bar, bar height and the gap between bars; a label column is as wide as its longest label.
BAR_AREA = 420
SMALL_BAR_AREA = 200
VALUE_WIDTH = 96
CHAR_WIDTH = 12
MAX_LABEL_WIDTH = 264
BAR_HEIGHT = 16
GAP = 6
TOP = 8
#: Bar colours of a distribution: counted towards a declared target, or not.
TARGET_COLOUR = "1F6FB2"
OTHER_COLOUR = "A9C4DE"


@dataclass
class Segment:
    """One coloured piece of a bar."""

    x: float
    width: float
    colour: str
    title: str


@dataclass
class Bar:
    """One row of a chart: its label, its pieces and the text after it."""

    y: float
    label: str
    segments: list[Segment]
    value: str
    value_x: float


@dataclass
class Chart:
    """A horizontal bar chart: SVG size, rows, and a legend of (colour, label)."""

    title: str
    width: int
    height: int
    bars: list[Bar]
    legend: list[tuple[str, str]] = field(default_factory=list)
    label_width: int = 0

    @property
    def bar_height(self) -> int:
        """The height of each bar."""
        return BAR_HEIGHT


def _height(rows: int) -> int:
    return TOP * 2 + max(rows, 1) * (BAR_HEIGHT + GAP)


def _scale(largest: float, area: int) -> float:
    return area / largest if largest > 0 else 0.0


def label_width(labels: Iterable[str]) -> int:
    """Room for the longest label (CJK characters are about 12 units wide at 12px), capped."""
    return min(MAX_LABEL_WIDTH, max((len(str(label)) for label in labels), default=2) * CHAR_WIDTH + 10)


def verdict_chart(overview: pd.DataFrame) -> Chart:
    """Verdicts by village: one stacked bar per township and village (village_overview rows),
    a segment per verdict in VERDICT_COLOURS, the number of candidates after the bar."""
    scale = _scale(float(overview["candidates"].max()) if len(overview) else 0.0, BAR_AREA)
    rows = overview.to_dict("records")
    left = label_width(f"{row['township']} {row['village']}" for row in rows)
    bars = []
    for i, row in enumerate(rows):
        y, x, segments = TOP + i * (BAR_HEIGHT + GAP), float(left), []
        for verdict in VERDICTS:
            count = int(row[verdict])
            if count:
                segments.append(Segment(x, count * scale, VERDICT_COLOURS[verdict], f"{VERDICT_LABELS[verdict]} {count}人"))
                x += count * scale
        bars.append(Bar(y, f"{row['township']} {row['village']}", segments, f"{int(row['candidates'])}人", x + 4))
    legend = [(VERDICT_COLOURS[v], VERDICT_LABELS[v]) for v in VERDICTS]
    return Chart("各村(社区)审查结论", left + BAR_AREA + VALUE_WIDTH, _height(len(bars)), bars, legend, left)


def distribution_chart(title: str, dist: pd.DataFrame, counted: Iterable[str] = (), target: str = "") -> Chart:
    """One bar per value of a distribution (label, count, share): the count and share after the
    bar; bars of the values that count towards a declared target (`counted`, named `target`)
    drawn darker, with a legend saying so."""
    counted = set(counted)
    scale = _scale(float(dist["count"].max()) if len(dist) else 0.0, SMALL_BAR_AREA)
    left = label_width(dist["label"])
    bars = []
    for i, row in enumerate(dist.itertuples(index=False)):
        y, width = TOP + i * (BAR_HEIGHT + GAP), int(row.count) * scale
        colour = TARGET_COLOUR if row.label in counted else OTHER_COLOUR
        segments = [Segment(float(left), width, colour, f"{row.label} {int(row.count)}人")] if row.count else []
        bars.append(Bar(y, row.label, segments, f"{int(row.count)}人（{percent(row.share)}）", left + width + 4))
    legend = [(TARGET_COLOUR, f"计入目标：{target}"), (OTHER_COLOUR, "其他")] if counted and target else []
    return Chart(title, left + SMALL_BAR_AREA + VALUE_WIDTH, _height(len(bars)), bars, legend, left)

