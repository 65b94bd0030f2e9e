"""The days URLs may name (1991-2200), and period arithmetic that never overflows."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.ranking.calendar import (
    InvalidPeriod,
    NoSuchPeriod,
    PeriodKind,
    parse_day,
    parse_period,
    period_of,
    shifted,
)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("day", "9999-12-31"),
        ("day", "0001-01-01"),
        ("day", "1990-12-31"),
        ("day", "2201-01-01"),
        ("day", "2024-02-30"),
        ("week", "9999-W52"),
        ("week", "0001-W01"),
        ("week", "2023-W53"),  # 2023 has 52 ISO weeks
        ("month", "9999-12"),
        ("month", "0000-01"),
    ],
)
def test_labels_of_the_right_form_outside_the_calendar_name_no_period(
    kind: PeriodKind, label: str
) -> None:
    with pytest.raises(NoSuchPeriod):
        parse_period(kind, label)


@pytest.mark.parametrize(
    ("kind", "label"),
    [("day", "0"), ("day", "2024-13-01"), ("week", "2024-W60"), ("month", "2024-4"), ("day", "")],
)
def test_malformed_labels_are_invalid_but_not_missing(kind: PeriodKind, label: str) -> None:
    with pytest.raises(InvalidPeriod) as raised:
        parse_period(kind, label)
    assert not isinstance(raised.value, NoSuchPeriod)


def test_the_ends_of_the_range_are_periods() -> None:
    assert parse_period("day", "1991-01-01").start == date(1991, 1, 1)
    assert parse_period("month", "2200-12").end == date(2200, 12, 31)
    assert parse_period("week", "2020-W53").start == date(2020, 12, 28)


@pytest.mark.parametrize("kind", ["day", "week", "month"])
@pytest.mark.parametrize("day", [date.max, date.min, date(9999, 12, 27)])
def test_periods_of_extreme_stored_days_do_not_overflow(kind: PeriodKind, day: date) -> None:
    period = period_of(kind, day)
    assert period.start <= day <= period.end and period.label


def test_shifting_stops_at_the_ends_of_the_calendar() -> None:
    assert shifted(date(9999, 12, 30), 7) == date.max
    assert shifted(date(1, 1, 3), -13) == date.min
    assert shifted(date(2024, 4, 8), -13) == date(2024, 3, 26)


@pytest.mark.parametrize(
    "text", ["0", "1700000000", "20240408", "2024-04-08T00:00", "2024-02-30", "1970-01-01", ""]
)
def test_query_days_are_iso_dates_within_the_range(text: str) -> None:
    with pytest.raises(ValueError):
        parse_day(text)


def test_a_query_day_is_read_as_written() -> None:
    assert parse_day("2024-04-08") == date(2024, 4, 8)
