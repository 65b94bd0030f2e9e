"""When digests are due: daily after each arXiv announcement, weekly on a chosen weekday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from paperwire.digest.model import Frequency
from paperwire.ranking.calendar import ANNOUNCEMENT_TIME, ARXIV_TZ, newest_listing_day

# A digest never reaches further back than this, however long ago the previous one was.
MAX_WINDOW_DAYS = 31


def due_period(frequency: Frequency, weekday: int, at: datetime, delay_minutes: int) -> date:
    """The digest period current at `at`, as the date it is dated with.

    Daily: the newest listing day announced at least delay_minutes before `at` (time for
    the harvest to store it). Weekly: the latest date on the chosen weekday (New York
    calendar) on or before `at`.
    """
    if frequency == "daily":
        return newest_listing_day(at - timedelta(minutes=delay_minutes))
    local = (at - timedelta(minutes=delay_minutes)).astimezone(ARXIV_TZ).date()
    return local - timedelta(days=(local.weekday() - weekday) % 7)


def due_moment(frequency: Frequency, period: date, delay_minutes: int) -> datetime:
    """From when the digest of that period may go out.

    A listing dated D is announced at 20:00 New York time the evening before; a weekly
    digest is due from midnight of its day. Subscriptions confirmed after this moment wait
    for the next period, so a new subscriber is never sent an old one.
    """
    delay = timedelta(minutes=delay_minutes)
    if frequency == "daily":
        return datetime.combine(period - timedelta(days=1), ANNOUNCEMENT_TIME, ARXIV_TZ) + delay
    return datetime.combine(period, time(0, 0), ARXIV_TZ) + delay


def window(period: date, previous: date | None, first_window_days: int) -> tuple[date, date]:
    """The listing days a digest covers, inclusive: those after the previous digest's
    period, or for a first digest the last first_window_days days."""
    earliest = period - timedelta(days=MAX_WINDOW_DAYS - 1)
    if previous is None:
        start = period - timedelta(days=first_window_days - 1)
    else:
        start = previous + timedelta(days=1)
    return max(start, earliest), period
