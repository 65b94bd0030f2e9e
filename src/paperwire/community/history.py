"""A paper's upvote history as a small SVG chart, built from daily net changes (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

HISTORY_DAYS = 30
WIDTH_PX = 300
HEIGHT_PX = 60
_PAD_PX = 4


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    day: date
    upvotes: int  # the total at the end of that day, imported upvotes included


def history_points(
    baseline: int, changes: dict[str, int], last_day: date, days: int = HISTORY_DAYS
) -> list[HistoryPoint]:
    """Running totals for each of the last `days` days: baseline is the total before the first."""
    total = baseline
    points = []
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        total += changes.get(day.isoformat(), 0)
        points.append(HistoryPoint(day, total))
    return points


def svg_chart(points: list[HistoryPoint]) -> str:
    """An inline SVG line chart with a text alternative; numbers and dates only, no scripts."""
    if not points:
        return ""
    top = max(max(p.upvotes for p in points), 1)
    step = (WIDTH_PX - 2 * _PAD_PX) / max(len(points) - 1, 1)
    coordinates = " ".join(
        f"{_PAD_PX + i * step:.1f},{_y(p.upvotes, top):.1f}" for i, p in enumerate(points)
    )
    first, last = points[0], points[-1]
    label = (
        f"Upvotes from {first.day.isoformat()} to {last.day.isoformat()}: "
        f"{first.upvotes} to {last.upvotes}"
    )
    return (
        f'<svg class="history" role="img" aria-label="{label}" viewBox="0 0 {WIDTH_PX} '
        f'{HEIGHT_PX}" width="{WIDTH_PX}" height="{HEIGHT_PX}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>"
        f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="{coordinates}"/>'
        "</svg>"
    )


def _y(upvotes: int, top: int) -> float:
    usable = HEIGHT_PX - 2 * _PAD_PX
    return HEIGHT_PX - _PAD_PX - usable * upvotes / top
