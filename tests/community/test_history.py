"""The upvote history chart: running totals per day and an inline SVG with a text label."""

from __future__ import annotations

from datetime import date

from paperwire.community.history import history_points, svg_chart


def test_running_totals_start_from_the_baseline() -> None:
    points = history_points(10, {"2026-06-17": 3, "2026-06-18": -1}, date(2026, 6, 18), days=3)
    assert [(p.day.isoformat(), p.upvotes) for p in points] == [
        ("2026-06-16", 10),
        ("2026-06-17", 13),
        ("2026-06-18", 12),
    ]


def test_chart_is_a_labelled_polyline_without_script() -> None:
    svg = svg_chart(history_points(0, {"2026-06-18": 4}, date(2026, 6, 18), days=2))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<script" not in svg
    assert "from 2026-06-17 to 2026-06-18: 0 to 4" in svg
    assert 'points="4.0,56.0 296.0,4.0"' in svg
