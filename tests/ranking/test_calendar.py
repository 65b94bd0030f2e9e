"""arXiv's announcement calendar and the day / week / month windows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.ranking.calendar import (
    ARXIV_TZ,
    InvalidPeriod,
    listing_day_for_submission,
    newest_listing_day,
    next_announcement_after,
    parse_period,
    period_of,
)


def _eastern(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ARXIV_TZ)


@pytest.mark.parametrize(
    ("submitted", "listed"),
    [
        (_eastern(2024, 4, 1, 9), date(2024, 4, 2)),  # Monday morning: announced Monday night
        (_eastern(2024, 4, 1, 13, 59), date(2024, 4, 2)),
        (_eastern(2024, 4, 1, 14, 0), date(2024, 4, 3)),  # at the cut-off: the next cycle
        (_eastern(2024, 4, 4, 15), date(2024, 4, 8)),  # Thursday afternoon: dated Monday
        (_eastern(2024, 4, 5, 10), date(2024, 4, 8)),  # Friday morning: announced Sunday
        (_eastern(2024, 4, 5, 16), date(2024, 4, 9)),  # Friday afternoon: dated Tuesday
        (_eastern(2024, 4, 6, 12), date(2024, 4, 9)),  # Saturday
        (_eastern(2024, 4, 7, 23), date(2024, 4, 9)),  # Sunday night
    ],
)
def test_listing_day_follows_the_14h_eastern_cutoff(submitted: datetime, listed: date) -> None:
    assert listing_day_for_submission(submitted) == listed


def test_listing_day_uses_eastern_time_across_utc_midnight() -> None:
    # 01:30 UTC on Tuesday is still Monday 21:30 in New York (after Monday's cut-off).
    assert listing_day_for_submission(datetime(2024, 4, 2, 1, 30, tzinfo=UTC)) == date(2024, 4, 3)


def test_listing_day_handles_daylight_saving_change() -> None:
    # 2024-03-10 is the spring-forward Sunday; 18:30 UTC Monday 11 March is 14:30 EDT.
    assert listing_day_for_submission(datetime(2024, 3, 11, 17, 30, tzinfo=UTC)) == date(
        2024, 3, 12
    )
    assert listing_day_for_submission(datetime(2024, 3, 11, 18, 30, tzinfo=UTC)) == date(
        2024, 3, 13
    )


@pytest.mark.parametrize(
    ("now", "newest"),
    [
        (_eastern(2024, 4, 8, 10), date(2024, 4, 8)),  # Monday morning: Sunday's announcement
        (_eastern(2024, 4, 8, 20, 1), date(2024, 4, 9)),  # Monday night: Tuesday's listing is out
        (_eastern(2024, 4, 12, 21), date(2024, 4, 12)),  # no announcement on Friday night
        (_eastern(2024, 4, 13, 12), date(2024, 4, 12)),  # Saturday
        (_eastern(2024, 4, 14, 19), date(2024, 4, 12)),  # Sunday before the announcement
        (_eastern(2024, 4, 14, 20), date(2024, 4, 15)),  # Sunday 20:00: Monday's listing
    ],
)
def test_newest_listing_day_follows_the_20h_announcements(now: datetime, newest: date) -> None:
    assert newest_listing_day(now) == newest


@pytest.mark.parametrize(
    ("now", "announcement"),
    [
        (_eastern(2024, 4, 8, 10), _eastern(2024, 4, 8, 20)),  # Monday morning: that evening
        (_eastern(2024, 4, 8, 20), _eastern(2024, 4, 9, 20)),  # at 20:00 sharp: the next one
        (_eastern(2024, 4, 11, 21), _eastern(2024, 4, 14, 20)),  # Thursday night: Sunday
        (_eastern(2024, 4, 12, 9), _eastern(2024, 4, 14, 20)),  # Friday
        (_eastern(2024, 11, 3, 12), _eastern(2024, 11, 3, 20)),  # the day clocks go back
    ],
)
def test_next_announcement_skips_friday_and_saturday(now: datetime, announcement: datetime) -> None:
    assert next_announcement_after(now) == announcement


def test_listing_day_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        listing_day_for_submission(datetime(2024, 4, 1, 12))


def test_week_is_iso_monday_to_sunday_and_labelled_by_iso_year() -> None:
    week = period_of("week", date(2024, 12, 31))
    assert (week.start, week.end) == (date(2024, 12, 30), date(2025, 1, 5))
    assert week.label == "2025-W01"
    assert parse_period("week", "2025-W01") == week


def test_month_covers_leap_february() -> None:
    month = parse_period("month", "2024-02")
    assert (month.start, month.end) == (date(2024, 2, 1), date(2024, 2, 29))
    assert month.title == "February 2024"


def test_day_label_round_trips() -> None:
    day = parse_period("day", "2024-04-08")
    assert day.label == "2024-04-08"
    assert day.title == "Mon, 8 Apr 2024"


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("day", "2024-13-01"),
        ("day", "20240408"),
        ("day", "2024-04-08x"),
        ("week", "2024-W54"),
        ("week", "2024-15"),
        ("month", "2024-00"),
        ("month", "2024-4"),
        ("day", "9" * 500),
    ],
)
def test_bad_period_labels_are_refused(kind: str, label: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(kind, label)  # type: ignore[arg-type]
