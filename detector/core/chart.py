"""The HTML report's trend chart: inline SVG, one panel per measure, one line per client, no script.

Drawn here rather than by a charting library so the page needs nothing from the network; every label is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detector.core.daily import MEASURES, Series, Trend
from detector.core.text import printable

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#5f6b7a",
)
"""Tableau 10, distinguishable side by side; the last, grey, is kept for the findings beyond the first nine."""

MAX_SERIES = len(PALETTE) - 1

Scale = Callable[[int], float]

WIDTH, HEIGHT = 380, 210
LEFT, RIGHT, TOP, BOTTOM = 40, 24, 28, 34


def esc(value: object) -> str:
    return html.escape(printable(str(value)), quote=True)


@dataclass(frozen=True)
class Line:
    label: str
    title: str
    color: str
    values: dict[str, list[int]]


def lines(trend: Trend) -> list[Line]:
    """One line per series, the first nine in their own colours; the rest summed in one grey line."""
    shown = [
        Line(series_label(s), series_title(s), PALETTE[i], s.values) for i, s in enumerate(trend.series[:MAX_SERIES])
    ]
    rest = trend.series[MAX_SERIES:]
    if rest:
        summed = {name: [sum(v) for v in zip(*(s.values[name] for s in rest), strict=True)] for name, _ in MEASURES}
        label = f"{len(rest)} other findings"
        shown.append(Line(label, label, PALETTE[-1], summed))
    return shown


def series_label(series: Series) -> str:
    """`user/backup-cron · Botocore 1.4.67`: who, and with what."""
    finding = series.finding
    who = finding.principal_arn.split(":", 5)[-1]
    if finding.client:
        client = " ".join(part for part in (finding.client, finding.client_version) if part)
    else:
        client = finding.user_agent.strip("[]").split(" ")[0] or "no user agent"
    return f"{who} · {client}"


def series_title(series: Series) -> str:
    finding = series.finding
    return f"{finding.principal_arn} from {finding.source_ip or 'no source IP'}: {finding.user_agent or '(no agent)'}"


def render(trend: Trend) -> str:
    """The panels and their shared legend; an empty string when no finding has daily counts. A panel leaves out the
    lines that are zero every day."""
    drawn = lines(trend)
    if not drawn:
        return ""
    panels = "".join(_panel(trend.days, drawn, name, title) for name, title in MEASURES)
    legend = "".join(
        f'<li data-series="{i}" title="{esc(line.title)}"><span class="swatch" style="background:{line.color}">'
        f"</span>{esc(line.label)}</li>"
        for i, line in enumerate(drawn)
    )
    return f'<div class="chart"><div class="panels">{panels}</div><ul class="legend">{legend}</ul></div>'


def nice_step(value: float) -> int:
    """The smallest whole 1, 2 or 5 times a power of ten that is at least `value`."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def axis(largest: int) -> list[int]:
    """Gridline values from 0 to at least `largest`, at most five steps of a round size."""
    step = nice_step(largest / 4)
    return list(range(0, step * max(1, math.ceil(largest / step)) + 1, step))


def colors(trend: Trend) -> dict[int, str]:
    """Each charted finding's colour, by its position in the trend: the table shows the same swatch."""
    return {i: PALETTE[i] for i in range(min(len(trend.series), MAX_SERIES))}


def _panel(days: Sequence[str], drawn: Sequence[Line], measure: str, title: str) -> str:
    gridlines = axis(max((max(line.values[measure], default=0) for line in drawn), default=0))
    top = gridlines[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + (plot_w / 2 if len(days) == 1 else plot_w * index / (len(days) - 1))

    def y(count: int) -> float:
        return TOP + plot_h * (1 - count / top)

    grid = "".join(
        f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
        f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>'
        for value in gridlines
    )
    ticks = "".join(
        f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{esc(day[5:])}</text>'
        for i, day in enumerate(days)
        if len(days) <= 8 or i % math.ceil(len(days) / 8) == 0
    )
    paths = "".join(
        _line(i, line, [(x(d), y(v), f"{days[d]}: {v}") for d, v in enumerate(line.values[measure])])
        for i, line in enumerate(drawn)
        if any(line.values[measure])
    )
    return (
        f'<svg class="panel" data-measure="{measure}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{esc(title)} per day"><text class="panel-title" x="{LEFT}" y="16">{esc(title)} per day</text>'
        f"{grid}{ticks}{paths}</svg>"
    )


def _line(index: int, line: Line, points: Sequence[tuple[float, float, str]]) -> str:
    """A series' polyline through (x, y) with a dot and tooltip at each day of `points` that has a request."""
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
    dots = "".join(
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3"><title>{esc(line.label)}, {esc(tip)}</title></circle>'
        for px, py, tip in points
        if not tip.endswith(": 0")
    )
    return (
        f'<g data-series="{index}" style="color:{line.color}"><title>{esc(line.title)}</title>'
        f'<polyline points="{path}"/>{dots}</g>'
    )
