"""The code-trending score and week's gain, checked against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.ranking.code_trending import (
    HISTORY_DAYS,
    CodeTrend,
    code_trend,
    decayed_trend,
    trend_rank,
)

T = date(2024, 4, 8)
HALF_LIFE = 72.0  # hours: a gain 3 days old counts half


def day(offset: int) -> date:
    return T + timedelta(days=offset)


def test_an_empty_history_scores_nothing() -> None:
    assert code_trend([], T, HALF_LIFE) == CodeTrend(0.0, 0)


def test_the_first_count_is_no_gain() -> None:
    assert code_trend([(T, 500)], T, HALF_LIFE) == CodeTrend(0.0, 0)


def test_gains_are_halved_every_half_life() -> None:
    # 100 → 110 three days ago (10 × 0.5), → 130 today (20 × 1): 25.
    history = [(day(-4), 100), (day(-3), 110), (T, 130)]
    trend = code_trend(history, T, HALF_LIFE)
    assert trend.trend_score == pytest.approx(10 * 0.5 + 20 * 1.0)
    # Younger than a week: gained since the first count.
    assert trend.stars_gained_week == 30


def test_a_gain_across_missing_days_counts_on_the_day_it_is_seen() -> None:
    # Counted 6 days ago and today only: the 40 stars count today, at full weight.
    trend = code_trend([(day(-6), 60), (T, 100)], T, HALF_LIFE)
    assert trend.trend_score == pytest.approx(40.0)


def test_only_the_last_fourteen_days_count() -> None:
    # The gain on day −14 is outside (T − 14, T]; the one on day −13 is inside.
    history = [(day(-20), 0), (day(-14), 8), (day(-13), 12), (T, 12)]
    expected = 4 * 2 ** (-13 * 24 / HALF_LIFE)
    assert code_trend(history, T, HALF_LIFE).trend_score == pytest.approx(expected)


def test_losses_count_as_no_gain_but_the_next_gain_starts_from_the_lower_count() -> None:
    history = [(day(-2), 100), (day(-1), 90), (T, 95)]
    trend = code_trend(history, T, HALF_LIFE)
    assert trend.trend_score == pytest.approx(5.0)  # 0 for the loss, then 90 → 95
    assert trend.stars_gained_week == 0  # 95 − 100, never below 0


def test_the_weeks_gain_is_measured_from_the_latest_count_a_week_old_or_older() -> None:
    history = [(day(-10), 50), (day(-7), 70), (day(-6), 80), (T, 100)]
    assert code_trend(history, T, HALF_LIFE).stars_gained_week == 30  # 100 − 70 (day −7)


def test_the_weeks_gain_bridges_a_long_gap() -> None:
    # No count between day −30 and today: the baseline is the day −30 count.
    assert code_trend([(day(-30), 10), (T, 25)], T, HALF_LIFE).stars_gained_week == 15


def test_days_after_the_scoring_day_are_ignored() -> None:
    history = [(day(-1), 10), (T, 20), (day(1), 999)]
    assert code_trend(history, T, HALF_LIFE) == CodeTrend(10.0, 10)


def test_the_half_life_setting_is_used() -> None:
    trend = code_trend([(day(-2), 0), (day(-1), 8)], T, half_life_hours=24.0)
    assert trend.trend_score == pytest.approx(4.0)


histories = st.lists(
    st.tuples(st.integers(min_value=-60, max_value=0), st.integers(min_value=0, max_value=10**6)),
    max_size=40,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: [(day(offset), stars) for offset, stars in pairs])


@given(histories)
def test_the_recent_history_scores_like_the_whole_history(history: list[tuple[date, int]]) -> None:
    # What storage reads: the last HISTORY_DAYS days plus the latest day before them.
    start = T - timedelta(days=HISTORY_DAYS)
    earlier = sorted(pair for pair in history if pair[0] <= start)[-1:]
    recent = [pair for pair in history if pair[0] > start]
    whole = code_trend(history, T, HALF_LIFE)
    trimmed = code_trend(earlier + recent, T, HALF_LIFE)
    assert trimmed.stars_gained_week == whole.stars_gained_week
    assert trimmed.trend_score == pytest.approx(whole.trend_score)


def test_read_time_decay_halves_every_half_life() -> None:
    scored = datetime(2024, 4, 8, 12, tzinfo=UTC)
    assert decayed_trend(40.0, scored, scored, HALF_LIFE) == 40.0
    assert decayed_trend(40.0, scored, scored + timedelta(hours=72), HALF_LIFE) == 20.0
    assert decayed_trend(40.0, scored, scored + timedelta(hours=144), HALF_LIFE) == 10.0
    assert decayed_trend(40.0, None, scored, HALF_LIFE) == 0.0
    # A scoring moment after now (clocks of two machines) is not inflated.
    assert decayed_trend(40.0, scored, scored - timedelta(hours=5), HALF_LIFE) == 40.0


_SCORED = st.tuples(
    st.floats(min_value=0.01, max_value=1e6),
    st.integers(min_value=0, max_value=2_000),  # hours before the latest scoring
)


@given(st.lists(_SCORED, min_size=2, max_size=12), st.integers(min_value=0, max_value=5_000))
def test_the_stored_rank_sorts_as_the_decayed_scores_do_at_any_later_moment(
    scored: list[tuple[float, int]], later_hours: int
) -> None:
    latest = datetime(2026, 6, 19, 9, 30, tzinfo=UTC)
    moments = [(score, latest - timedelta(hours=hours)) for score, hours in scored]
    now = latest + timedelta(hours=later_hours)
    by_rank = [trend_rank(score, at, 72.0) for score, at in moments]
    by_score = [decayed_trend(score, at, now, 72.0) for score, at in moments]
    for i in range(len(moments)):
        for j in range(len(moments)):
            if by_score[i] > by_score[j] * (1 + 1e-9) and by_score[j] > 1e-300:
                assert by_rank[i] > by_rank[j]  # type: ignore[operator]


def test_a_score_of_zero_has_no_rank() -> None:
    assert trend_rank(0.0, datetime(2026, 6, 19, tzinfo=UTC), 72.0) is None
