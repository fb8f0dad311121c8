"""Inline SVG charts, computed at build time: no JavaScript, works offline and from file://.

This module only computes geometry (numbers and already-formatted labels); the SVG
itself is written by the macros in `templates/charts.html.j2`, so every piece of
text in a chart goes through the same autoescaping as the rest of the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.report.common import yymmdd
from grader.report.figures import Exercise
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
    value: str = ""  # printed beside the mark ("" when it would cover another value)
    vy: float = 0.0  # where that value is printed


@dataclass
class Row:
    """One line of a chart's data table (what a screen reader reads instead of the picture)."""

    cells: tuple[str, ...]


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
    rows: list[Row] = field(default_factory=list)

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
    rows: list[Row] = field(default_factory=list)

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
    times = [_when(a).timestamp() for a in attempts]
    t0, t1 = min(times), max(times)
    span = t1 - t0

    def x(t: float) -> float:
        return (x0 + x1) / 2 if span == 0 else x0 + 8 + (x1 - x0 - 16) * (t - t0) / span

    series = []
    placed: list[tuple[float, float]] = []
    for i, ex in enumerate(e for e in exercises if any(a.exercise == e.id for a in attempts)):
        pts = []
        for a in (a for a in attempts if a.exercise == ex.id):
            when = _when(a).astimezone(tz).strftime("%y.%m.%d %H:%M")
            p = Point(x(_when(a).timestamp()), _y(a.pct), f"{ex.id} · {when} · {a.pct:.0f}%")
            _place_value(p, f"{a.pct:.0f}", placed)
            pts.append(p)
        series.append(Series(ex.id, PALETTE[i % len(PALETTE)], pts))
    rows = [
        Row((_when(a).astimezone(tz).strftime("%y.%m.%d %H:%M"), a.exercise, f"{a.pct:.0f}%"))
        for a in sorted(attempts, key=_when)
    ]
    xticks = _date_ticks(t0, t1, x, tz)
    return TrendChart(W, H, (x0, MT, x1, H - MB), yticks, xticks, series, label, rows)


def _when(a: Attempt) -> dt.datetime:
    """When the member handed the notebook in (the grading time for rows recorded without it)."""
    when = a.submitted_at or a.graded_at
    assert when is not None  # gradebook rows always have a grading time
    return when


def _place_value(p: Point, value: str, placed: list[tuple[float, float]]) -> None:
    """Print a mark's value above it, else below it; leave it to the data table when both
    spots would cover a value already printed."""
    for vy in (p.y - 8, p.y + 16):
        if MT + 6 <= vy <= H - MB + 2 and all(abs(p.x - px) >= 20 or abs(vy - py) >= 11 for px, py in placed):
            p.value, p.vy = value, vy
            placed.append((p.x, vy))
            return


def _date_ticks(t0: float, t1: float, x: Callable[[float], float], tz: dt.tzinfo) -> list[Tick]:
    """One label per day with a mark, as many as fit 56 units apart (a date label is ~45
    wide), the first and the last always; days in between that do not fit are skipped."""
    first = dt.datetime.fromtimestamp(t0, tz).date()
    last = dt.datetime.fromtimestamp(t1, tz).date()
    if first == last:
        return [Tick(x(t0), yymmdd(first), "middle")]
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    ticks = [Tick(x(max(t0, min(t1, _noon(d, tz)))), yymmdd(d)) for d in days]
    ticks[0].pos, ticks[-1].pos = x(t0), x(t1)
    keep = [ticks[0]]
    for tk in ticks[1:-1]:
        if tk.pos - keep[-1].pos >= 56 and ticks[-1].pos - tk.pos >= 56:
            keep.append(tk)
    keep.append(ticks[-1])
    keep[0].anchor, keep[-1].anchor = "start", "end"
    keep[0].pos -= 4
    keep[-1].pos += 4
    return keep


def _noon(day: dt.date, tz: dt.tzinfo) -> float:
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz).timestamp()


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
    rows = [Row((f"{i * 10}–{i * 10 + 9 if i < 9 else 100}%", str(c))) for i, c in enumerate(counts)]
    xticks = [
        Tick(x0 + i * bw, f"{i * 10}%" if i == 10 else str(i * 10), "end" if i == 10 else "middle")
        for i in range(0, 11, 2)
    ]
    return Histogram(W, H, (x0, y0, x1, y1), bars, xticks, label, len(percentages), color, rows)
