"""Chart data as rows (for the table, the CSV and the SVG alike) and SVG geometry.

One list of rows per chart keeps the picture, its text alternative and its download from
ever disagreeing. Geometry is computed here so the templates only place numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .aggregates import CHOICES, LAYERS, Overview, share

PALETTE = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a1b9a", "#00695c", "#8d6e00", "#ad1457")
"""Colours with at least 4.5:1 contrast on white (the bars carry labels beside them)."""
CHARTS = ("choices", "purposes", "trend", "languages", "gpc", "layers")

BAR_WIDTH = 300
ROW_HEIGHT = 28


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


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    points: str


TREND_WIDTH = 600
TREND_HEIGHT = 200
TREND_LEFT = 40
TREND_TOP = 10


def trend_lines(o: Overview, labels: dict[str, str]) -> list[Line]:
    """One polyline per purpose across the period's days (a day without decisions is skipped)."""
    days = o.period.days()
    step = (TREND_WIDTH - TREND_LEFT - 10) / max(1, len(days) - 1)
    lines = []
    for i, p in enumerate(o.purposes):
        points = []
        for d, day in enumerate(days):
            rate = o.trend.get(day, {}).get(p)
            if rate is None or not rate.seen:
                continue
            x = TREND_LEFT + d * step
            y = TREND_TOP + (1 - rate.share) * (TREND_HEIGHT - 2 * TREND_TOP)
            points.append(f"{x:.1f},{y:.1f}")
        lines.append(Line(labels.get(p, p), PALETTE[i % len(PALETTE)], " ".join(points)))
    return lines
