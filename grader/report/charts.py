"""Inline SVG charts, computed at build time: no JavaScript, works offline and from file://.

This module only computes geometry (numbers and already-formatted labels); the SVG
itself is written by the macros in `templates/charts.html.j2`, so every piece of
text in a chart goes through the same autoescaping as the rest of the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from grader.report.common import yymmdd
from grader.report.progress import Exercise
from grader.results.attempt import Attempt

# Okabe-Ito based: distinguishable for the common colour-vision deficiencies, dark enough on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#B8860B", "#56B4E9", "#7F3C8D", "#444444"]

W, H = 420, 210
ML, MR, MT, MB = 34, 10, 10, 30  # margins: room for the y labels and the date labels


@dataclass
class Tick:
    pos: float
    label: str
    anchor: str = "middle"


@dataclass
class Point:
    x: float
    y: float
    label: str  # tooltip


@dataclass
class Series:
    name: str
    color: str
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class TrendChart:
    width: int
    height: int
    plot: tuple[float, float, float, float]  # x0, y0, x1, y1
    yticks: list[Tick]
    xticks: list[Tick]
    series: list[Series]
    label: str

    @property
    def empty(self) -> bool:
        return not self.series


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    count: int
    label: str


@dataclass
class Histogram:
    width: int
    height: int
    plot: tuple[float, float, float, float]
    bars: list[Bar]
    xticks: list[Tick]
    label: str
    total: int
    color: str = field(default=PALETTE[0])

    @property
    def empty(self) -> bool:
        return self.total == 0


def _y(pct: float) -> float:
    return MT + (H - MT - MB) * (1 - max(0.0, min(100.0, pct)) / 100.0)


def trend(attempts: list[Attempt], exercises: list[Exercise], tz: dt.tzinfo, label: str) -> TrendChart:
    """Score (% of the maximum) of every attempt over time, one line per exercise."""
    x0, x1 = ML, W - MR
    yticks = [Tick(_y(v), f"{v}") for v in (0, 25, 50, 75, 100)]
    if not attempts:
        return TrendChart(W, H, (x0, MT, x1, H - MB), yticks, [], [], label)
    times = [a.graded_at.timestamp() for a in attempts]
    t0, t1 = min(times), max(times)
    span = t1 - t0

    def x(t: float) -> float:
        return (x0 + x1) / 2 if span == 0 else x0 + 8 + (x1 - x0 - 16) * (t - t0) / span

    series = []
    for i, ex in enumerate(e for e in exercises if any(a.exercise == e.id for a in attempts)):
        pts = [Point(x(a.graded_at.timestamp()), _y(a.pct),
                     f"{ex.id} · {a.graded_at.astimezone(tz).strftime('%y.%m.%d %H:%M')} · {a.pct:.0f}%")
               for a in attempts if a.exercise == ex.id]
        series.append(Series(ex.id, PALETTE[i % len(PALETTE)], pts))
    # Date labels at the start, the end and the middle of the time span, never closer than 90 units.
    xticks: list[Tick] = []
    stamps = [t0] if span == 0 else [t0, (t0 + t1) / 2, t1]
    for ts in stamps:
        pos = x(ts)
        day = yymmdd(dt.datetime.fromtimestamp(ts, tz))
        if all(abs(pos - tk.pos) >= 90 and tk.label != day for tk in xticks):
            anchor = "middle" if span == 0 else ("start" if ts == t0 else ("end" if ts == t1 else "middle"))
            xticks.append(Tick(pos - 4 if anchor == "start" else pos + 4 if anchor == "end" else pos, day, anchor))
    return TrendChart(W, H, (x0, MT, x1, H - MB), yticks, xticks, series, label)


def histogram(percentages: list[float], label: str, color: str = PALETTE[0]) -> Histogram:
    """Ten bins of 10 percentage points (the last one includes 100)."""
    x0, x1, y0, y1 = ML, W - MR, MT + 12, H - MB
    counts = [0] * 10
    for p in percentages:
        counts[min(9, max(0, int(p // 10)))] += 1
    top = max(counts) or 1
    bw = (x1 - x0) / 10
    bars = []
    for i, c in enumerate(counts):
        h = (y1 - y0) * c / top
        lo, hi = i * 10, i * 10 + 9 if i < 9 else 100
        bars.append(Bar(x0 + i * bw + 2, y1 - h, bw - 4, h, c, f"{lo}–{hi}%: {c}"))
    xticks = [Tick(x0 + i * bw, f"{i * 10}%" if i == 10 else str(i * 10), "end" if i == 10 else "middle")
              for i in range(0, 11, 2)]
    return Histogram(W, H, (x0, y0, x1, y1), bars, xticks, label, len(percentages), color)
