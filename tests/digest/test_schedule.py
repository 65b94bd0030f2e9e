"""When digests are due, and which listing days they cover."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from paperwire.digest.schedule import MAX_WINDOW_DAYS, due_moment, due_period, window

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2024, 4, 8, 20, 30), date(2024, 4, 8)),  # Monday before the announcement
        (datetime(2024, 4, 8, 21, 5), date(2024, 4, 9)),  # an hour after it
        (datetime(2024, 4, 12, 23, 0), date(2024, 4, 12)),  # no announcement on Friday
        (datetime(2024, 4, 14, 21, 30), date(2024, 4, 15)),  # Sunday's announces Monday
    ],
)
def test_daily_period_is_the_newest_listing_announced_an_hour_ago(
    local: datetime, expected: date
) -> None:
    at = local.replace(tzinfo=NEW_YORK)
    assert due_period("daily", 0, at, delay_minutes=60) == expected


def test_weekly_period_is_the_latest_chosen_weekday() -> None:
    wednesday = datetime(2024, 4, 10, 12, 0, tzinfo=NEW_YORK)
    assert due_period("weekly", 0, wednesday, 0) == date(2024, 4, 8)
    assert due_period("weekly", 2, wednesday, 0) == date(2024, 4, 10)
    assert due_period("weekly", 4, wednesday, 0) == date(2024, 4, 5)


def test_due_moments_follow_the_announcement_and_midnight() -> None:
    assert due_moment("daily", date(2024, 4, 9), 60) == datetime(2024, 4, 9, 1, 0, tzinfo=UTC)
    assert due_moment("weekly", date(2024, 4, 8), 0) == datetime(2024, 4, 8, 4, 0, tzinfo=UTC)


def test_window_follows_the_previous_digest_and_is_bounded() -> None:
    day = date(2024, 4, 10)
    assert window(day, date(2024, 4, 8), 14) == (date(2024, 4, 9), day)
    assert window(day, None, 14) == (date(2024, 3, 28), day)
    first, _ = window(day, date(2023, 1, 1), 14)
    assert (day - first).days == MAX_WINDOW_DAYS - 1
