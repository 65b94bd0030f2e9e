"""The code-trending score: the stars a repository gained lately, each day's gain halved
every half-life (docs/ranking.md); pure functions of its stored daily counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

HOURS_PER_DAY = 24
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TREND_WINDOW_DAYS = 14  # gains of the days in (T − 14 days, T] count
WEEK_DAYS = 7
# What the score needs of a repository's history as of day T: the days after T − 15 (the
# window and the day before it), plus the latest day at or before T − 15, which is the
# previous day of the window's first gain or the week's baseline when the history has a gap.
HISTORY_DAYS = TREND_WINDOW_DAYS + 1

DailyCount = tuple[date, int]  # a UTC day and the last star count seen that day


@dataclass(frozen=True, slots=True)
class CodeTrend:
    trend_score: float
    stars_gained_week: int


def code_trend(history: Sequence[DailyCount], today: date, half_life_hours: float) -> CodeTrend:
    """trend_score and stars_gained_week as of `today` from daily counts (any order; days
    after today are ignored). Passing the whole history or only its last HISTORY_DAYS days
    plus the one stored day before them gives the same result."""
    days = sorted((day, stars) for day, stars in history if day <= today)
    if not days:
        return CodeTrend(0.0, 0)
    return CodeTrend(_trend_score(days, today, half_life_hours), _gained_week(days, today))


def _trend_score(days: list[DailyCount], today: date, half_life_hours: float) -> float:
    """Σ gain_d × 2^(−(T − d) in hours / half-life) over stored days d in (T − 14, T];
    gain_d = max(0, stars(d) − stars(previous stored day)), so a gain across missing days
    counts on the day it is seen, and the first stored day has no gain."""
    start = today - timedelta(days=TREND_WINDOW_DAYS)
    score = 0.0
    for (_, before), (day, stars) in pairwise(days):
        if day > start:
            age_hours = (today - day).days * HOURS_PER_DAY
            score += max(0, stars - before) * 2.0 ** (-age_hours / half_life_hours)
    return score


def _gained_week(days: list[DailyCount], today: date) -> int:
    """stars(latest) − stars(latest stored day ≤ T − 7), or − the first stored count when
    the history is younger than a week; never below 0."""
    cutoff = today - timedelta(days=WEEK_DAYS)
    baseline = days[0][1]
    for day, stars in days:
        if day <= cutoff:
            baseline = stars
    return max(0, days[-1][1] - baseline)


def trend_rank(trend_score: float, scored_at: datetime, half_life_hours: float) -> float | None:
    """A key that sorts repositories as decayed_trend does at any moment after scored_at:
    log2(score) + (hours since 1970 at scored_at) / half-life. Every score halves at the same
    pace, so the order never changes with time and lists can read it from an index. None
    for a score of 0, which ranks nowhere."""
    if trend_score <= 0:
        return None
    hours = (scored_at - _EPOCH).total_seconds() / 3600
    return math.log2(trend_score) + hours / half_life_hours


def decayed_trend(
    trend_score: float, scored_at: datetime | None, now: datetime, half_life_hours: float
) -> float:
    """trend_score × 2^(−(now − scored_at) in hours / half-life): what lists rank by, so a
    repository that is no longer refreshed sinks. Unscored (None): 0."""
    if scored_at is None:
        return 0.0
    hours = max(0.0, (now - scored_at).total_seconds() / 3600)
    return float(trend_score * 2.0 ** (-hours / half_life_hours))
