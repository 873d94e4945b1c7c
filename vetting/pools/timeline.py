"""One reserve's ratings across recorded runs and this run's roster (pure): one rating per
half-year, who gains priority (two 优秀 in a row) and who is to be removed (two 不称职 in a row).

The same half-year can be reported several times: a roster's 前一次考核 is the previous roster's
最近一次考核. It counts once: the latest source wins (this run's roster, then the newest recorded
run), and a source that said otherwise is kept beside it so that the report can say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from vetting.pools.periods import adjacent, period_label

EXCELLENT, FAILING = "优秀", "不称职"


@dataclass(frozen=True)
class Source:
    """Where a rating was read: a recorded run (`run_id`, its as-of date, file and row) or this
    run's roster (`run_id` None)."""

    run_id: int | None
    as_of: str | None
    file: str | None = None
    row: int | None = None

    def label(self) -> str:
        """审查记录#2（基准日2026-06-30）, or 本次花名册 with the file and row."""
        if self.run_id is None:
            where = f"{self.file} 第{self.row}行" if self.file else ""
            return f"本次花名册{('（' + where + '）') if where else ''}"
        return f"审查记录#{self.run_id}（基准日{self.as_of}）"

    def order(self) -> tuple[int, int]:
        """Newer sources sort later: recorded runs by id, this run's roster last."""
        return (1, 0) if self.run_id is None else (0, self.run_id)


@dataclass(frozen=True)
class Rating:
    """The rating of one half-year, the source it is taken from, and other sources' differing values."""

    period: str
    rating: str
    source: Source
    differing: tuple[tuple[str, Source], ...] = ()

    def text(self) -> str:
        """2026年上半年优秀（审查记录#2（基准日2026-06-30）；审查记录#1 记为称职）."""
        other = "".join(f"；{s.label()}记为{r}" for r, s in self.differing)
        return f"{period_label(self.period)}{self.rating}（{self.source.label()}{other}）"


@dataclass(frozen=True)
class Timeline:
    """A reserve's ratings in half-year order; the first two 不称职 in a row (`removed`) and the
    last two ratings when both are 优秀 in a row (`priority`)."""

    ratings: tuple[Rating, ...]
    removed: tuple[Rating, Rating] | None = None
    priority: tuple[Rating, Rating] | None = None

    def recorded(self) -> bool:
        """Whether any rating comes from an earlier recorded run (not only this run's roster)."""
        return any(r.source.run_id is not None or r.differing for r in self.ratings)

    def text(self) -> str:
        """Every half-year's rating in order, joined for a reason."""
        return "；".join(r.text() for r in self.ratings)


def timeline(observations: Iterable[tuple[str, str, Source]]) -> Timeline:
    """The timeline of one person from (half-year, rating, source) observations in any order:
    one rating per half-year (the newest source's), then removal and priority."""
    by_period: dict[str, list[tuple[str, Source]]] = {}
    for period, rating, source in observations:
        by_period.setdefault(period, []).append((rating, source))
    ratings = []
    for period in sorted(by_period):
        seen = sorted(by_period[period], key=lambda item: item[1].order())
        rating, source = seen[-1]
        differing = tuple((r, s) for r, s in seen[:-1] if r != rating)
        ratings.append(Rating(period, rating, source, differing))
    pairs = list(zip(ratings, ratings[1:]))
    removed = next(((a, b) for a, b in pairs
                    if a.rating == b.rating == FAILING and adjacent(a.period, b.period)), None)
    last = pairs[-1] if pairs else None
    priority = last if last and last[0].rating == last[1].rating == EXCELLENT and \
        adjacent(last[0].period, last[1].period) else None
    return Timeline(tuple(ratings), removed, priority)


def pair_text(pair: tuple[Rating, Rating]) -> str:
    """Two ratings in a row with their sources, as a reason cites them."""
    return "、".join(r.text() for r in pair)
