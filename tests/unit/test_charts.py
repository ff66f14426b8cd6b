"""The server-side SVG charts: well-formed SVG, labels escaped, axes that hold every value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from staff_pages.charts import Series, bar_chart, nice_top, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("largest", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (180, 200), (501, 1000)]
)
def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value(largest, top):
    assert nice_top(largest) == top


def test_a_trend_chart_draws_one_line_per_series_with_a_point_per_day():
    svg = trend_chart(
        "收件与办结",
        ["12-01", "12-02", "12-03"],
        [Series("收件", [3, 5, 0]), Series("办结", [1, 4, 2])],
    )
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "收件与办结"
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 6
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "收件" in texts and "办结" in texts and "12-01" in texts
    # No point above the plot's top or below its axis.
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert min(ys) >= 30 and max(ys) <= 260 - 40


def test_bar_labels_are_escaped_and_a_ranking_is_numbered():
    svg = bar_chart("排名", [("<b>莱山区</b>", 9), ("芝罘区", 3)], ranked=True)
    root = ET.fromstring(str(svg))  # would fail on an unescaped tag
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "1. <b>莱山区</b>" in texts and "2. 芝罘区" in texts
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0


def test_rates_are_drawn_against_a_full_bar_of_100_percent():
    root = ET.fromstring(str(bar_chart("按时率", [("甲", 0.5)], percent=True)))
    (rect,) = root.iter(f"{SVG}rect")
    assert float(rect.get("width")) == pytest.approx((640 - 150 - 70) / 2, abs=0.1)
    assert "50.0%" in [t.text for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, "0 1 2 3 4"),
        (3, "0 1 2 3 4"),
        (5, "0 2 4 6 8"),
        (18, "0 5 10 15 20"),
        (90, "0 25 50 75 100"),
    ],
)
def test_a_trend_of_counts_has_whole_numbers_on_its_gridlines(largest, ticks):
    root = ET.fromstring(str(trend_chart("t", ["a", "b"], [Series("收件", [0, largest])])))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert " ".join(labels) == ticks
