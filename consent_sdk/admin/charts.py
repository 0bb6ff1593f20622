"""Chart data as rows (for the table, the CSV and the SVG alike) and SVG geometry.

One list of rows per chart keeps the picture, its text alternative and its download from
ever disagreeing. Geometry is computed here so the templates only place numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..impressions.funnel import OUTCOMES, Funnel
from .aggregates import CHOICES, LAYERS, Overview, share

PALETTE = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a1b9a", "#00695c", "#8d6e00", "#ad1457")
"""Colours with at least 4.5:1 contrast on white (the bars carry labels beside them)."""
CHARTS = ("choices", "purposes", "trend", "languages", "gpc", "layers", "versions")

BAR_CHART_WIDTH = 320
"""A bar chart's width: each row is its label and figures, and under them the bar."""
BAR_WIDTH = BAR_CHART_WIDTH
ROW_HEIGHT = 44


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    whole: int

    @property
    def share(self) -> float:
        return share(self.count, self.whole)

    @property
    def width(self) -> int:
        return round(self.share * BAR_WIDTH)

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f} %"


def bars(o: Overview, chart: str, t: dict[str, str], labels: dict[str, str]) -> list[Bar]:
    """The bars of a bar chart: label, count and what the count is a share of."""
    n = o.decisions
    if chart == "choices":
        return [Bar(t[k], o.choices.get(k, 0), n) for k in CHOICES]
    if chart == "layers":
        return [Bar(t[k], o.layers.get(k, 0), n) for k in LAYERS]
    if chart == "gpc":
        return [Bar(t["with_gpc"], o.gpc, n), Bar(t["without_gpc"], n - o.gpc, n)]
    if chart == "languages":
        return [Bar(lang, count, n) for lang, count in o.languages.items()]
    if chart == "versions":
        return [Bar(v, rate.granted, rate.seen) for v, rate in o.versions.items()]
    if chart == "purposes":
        return [Bar(labels.get(p, p), o.rates[p].granted, o.rates[p].seen) for p in o.purposes]
    raise KeyError(chart)


def csv_rows(o: Overview, chart: str, t: dict[str, str], labels: dict[str, str]) -> list[list[Any]]:
    """The chart's data as CSV rows, header first; shares rounded to 4 places."""
    if chart == "trend":
        rows: list[list[Any]] = [["day", "purpose", "granted", "seen", "share"]]
        for day, rates in sorted(o.trend.items()):
            for p, rate in rates.items():
                rows.append([day.isoformat(), p, rate.granted, rate.seen, round(rate.share, 4)])
        return rows
    rows = [["label", "count", "of", "share"]]
    for bar in bars(o, chart, t, labels):
        rows.append([bar.label, bar.count, bar.whole, round(bar.share, 4)])
    return rows


def funnel_bars(f: Funnel, t: dict[str, str]) -> list[Bar]:
    """Shown → decided: of the banners shown, how many led to each answer, and to none."""
    n = f.shown.total
    return [*(Bar(t[k], f.answered[k], n) for k in OUTCOMES), Bar(t["nothing"], f.nothing, n)]


def funnel_csv(f: Funnel, t: dict[str, str]) -> list[list[Any]]:
    """The funnel as CSV: the shares of the total, then each (day, language, policy version)."""
    rows: list[list[Any]] = [["label", "count", "of", "share"]]
    rows += [[b.label, b.count, b.whole, round(b.share, 4)] for b in funnel_bars(f, t)]
    rows.append([])
    rows.append(["day", "language", "policy_version", "shown", *OUTCOMES])
    keys = sorted(set(f.shown.rows) | set(f.rows))
    for key in keys:
        answered = f.rows.get(key, dict.fromkeys(OUTCOMES, 0))
        day, language, version = key
        shown = f.shown.rows.get(key, 0)
        rows.append([day.isoformat(), language, version, shown, *(answered[k] for k in OUTCOMES)])
    return rows


@dataclass(frozen=True)
class Line:
    """One purpose's polyline and its points (drawn as dots, so a single day shows too)."""

    label: str
    colour: str
    points: list[tuple[float, float]]

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis: ``at`` is x on the day axis, y on the share axis."""

    at: float
    label: str


TREND_WIDTH = 880
TREND_HEIGHT = 260
TREND_LEFT = 52
TREND_RIGHT = 20
TREND_TOP = 14
TREND_BOTTOM = 34
TREND_DAY_TICKS = 7
"""At most this many dates under the day axis, so they never overlap."""


def _x(index: int, days: int) -> float:
    if days <= 1:
        return TREND_LEFT + (TREND_WIDTH - TREND_LEFT - TREND_RIGHT) / 2
    return TREND_LEFT + index * (TREND_WIDTH - TREND_LEFT - TREND_RIGHT) / (days - 1)


def _y(value: float) -> float:
    return TREND_TOP + (1 - value) * (TREND_HEIGHT - TREND_TOP - TREND_BOTTOM)


def trend_lines(o: Overview, labels: dict[str, str]) -> list[Line]:
    """One polyline per purpose across the period's days (a day without decisions is skipped)."""
    days = o.period.days()
    lines = []
    for i, p in enumerate(o.purposes):
        points = []
        for d, day in enumerate(days):
            rate = o.trend.get(day, {}).get(p)
            if rate is not None and rate.seen:
                points.append((_x(d, len(days)), _y(rate.share)))
        lines.append(Line(labels.get(p, p), PALETTE[i % len(PALETTE)], points))
    return lines


def share_ticks() -> list[Tick]:
    """0 %, 25 %, … 100 % up the share axis (and the grid lines across)."""
    return [Tick(_y(v / 4), f"{v * 25} %") for v in range(5)]


def day_ticks(days: list[date]) -> list[Tick]:
    """The first and last day and evenly spaced ones between, at most ``TREND_DAY_TICKS``."""
    if not days:
        return []
    step = max(1, -(-(len(days) - 1) // (TREND_DAY_TICKS - 1)))
    picked = list(range(0, len(days), step))
    if picked[-1] != len(days) - 1:
        if len(days) - 1 - picked[-1] < step / 2:
            picked.pop()
        picked.append(len(days) - 1)
    return [Tick(_x(i, len(days)), days[i].isoformat()) for i in picked]
