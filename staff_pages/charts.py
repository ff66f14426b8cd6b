"""Charts drawn on the server as SVG (no script, no CDN: the PCs are often offline).

Three kinds, the ones people would rather look at than read: a trend line (received and completed
per day or month), horizontal bars by unit, and a ranking (bars in order, with their rank). Each
returns safe markup to put straight into a page; labels are escaped here. The SVG scales to its
box (``viewBox``), so one drawing serves 1366×768 and a printout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
FONT = 12
COLOURS = ("#2563a8", "#2f855a", "#c05621", "#6b46c1")


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: its label and one value per x position."""

    label: str
    values: Sequence[float]


def nice_top(largest: float) -> float:
    """Return a round number at or above ``largest`` for the top of an axis (1, 2, 5 × 10ⁿ)."""
    if largest <= 0:
        return 1
    step = 1.0
    while step * 10 <= largest:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= largest:
            return step * factor
    return step * 10


def count_step(least: float) -> int:
    """Return the smallest of 1, 2, 5, 10, 25, 50, 100, 250, … at or above ``least``."""
    step, factors = 1, (1, 2, 5)
    while True:
        for factor in factors:
            if step * factor >= least:
                return int(step * factor)
        step, factors = step * 10, (1, 2.5, 5)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _open(title: str, height: int, chart_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}"'
        f' viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(chart_id)}-title"'
        f' font-size="{FONT}" font-family="sans-serif">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]


def trend_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, chart_id: str = "trend"
) -> Markup:
    """Draw lines of values over ``labels`` (days or months), with a legend and a value axis."""
    height, left, right, top, bottom = 260, 56, 12, 30, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    largest = max((v for s in series for v in s.values), default=0)
    if all(float(v).is_integer() for s in series for v in s.values):
        peak = 4 * count_step(largest / 4)  # counts: the four gridlines on whole numbers
    else:
        peak = nice_top(largest)
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / peak

    parts = _open(title, height, chart_id)
    for tick in range(5):
        value = peak * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(value):.1f}" y2="{y(value):.1f}"'
            ' stroke="#d9dee5" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#4a5568">'
            f"{_number(value)}</text>"
        )
    every = max(1, -(-count // 12))  # at most about a dozen labels under the axis
    for i, label in enumerate(labels):
        if i % every == 0 or i == count - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle"'
                f' fill="#4a5568">{escape(label)}</text>'
            )
    for n, line in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        if len(line.values) > 1:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, v in enumerate(line.values):
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(labels[i] if i < len(labels) else '')} {escape(line.label)}："
                f"{_number(v)}</title></circle>"
            )
        lx = left + n * 110
        parts.append(
            f'<rect x="{lx}" y="8" width="14" height="4" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="14" fill="#1a202c">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    chart_id: str = "bars",
    ranked: bool = False,
    percent: bool = False,
) -> Markup:
    """Draw one horizontal bar per row (label, value); ``ranked`` numbers them 1, 2, 3 …
    in the order given; ``percent`` shows values between 0 and 1 as percentages."""
    bar, gap, top, left, right = 18, 6, 8, 150, 70
    height = top * 2 + max(len(rows), 1) * (bar + gap)
    peak = 1.0 if percent else nice_top(max((v for _, v in rows), default=0))
    plot_w = WIDTH - left - right
    parts = _open(title, height, chart_id)
    if not rows:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="#4a5568">'
            "—</text>"
        )
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar + gap)
        shown = f"{value * 100:.1f}%" if percent else _number(value)
        name = f"{i + 1}. {label}" if ranked else label
        width = max(0.0, plot_w * value / peak) if peak else 0.0
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end" fill="#1a202c">'
            f"{escape(name[:14])}</text>"
            f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{bar}"'
            f' fill="{COLOURS[0] if not ranked else COLOURS[1]}"><title>{escape(label)}：'
            f"{shown}</title></rect>"
            f'<text x="{left + width + 4:.1f}" y="{y + bar - 5}" fill="#1a202c">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
