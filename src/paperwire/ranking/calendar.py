"""arXiv's announcement calendar and the day / week / month windows that lists cover."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

ARXIV_TZ = ZoneInfo("America/New_York")
# Submissions received before 14:00 Eastern on a weekday are announced that evening, in the
# listing dated the next weekday (a Friday cut-off is announced on Sunday, dated Monday).
SUBMISSION_CUTOFF = time(14, 0)
ANNOUNCEMENT_TIME = time(20, 0)
_WEEKEND = (5, 6)
_ANNOUNCEMENT_FREE_DAYS = (4, 5)  # no announcement on Friday or Saturday evening

PeriodKind = Literal["day", "week", "month"]
# The days a URL or query parameter may name: arXiv began in 1991, and the calendar
# arithmetic of pages (a week's Sunday, a month's last day) stays far from date.max.
FIRST_DAY = date(1991, 1, 1)
LAST_DAY = date(2200, 12, 31)
DAY_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
WEEK_PATTERN = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def listing_day_for_submission(submitted_at: datetime) -> date:
    """The date of the daily listing in which a paper submitted at that moment appears.

    Holidays on which arXiv skips an announcement are not modelled: such papers are placed
    on the weekday the regular schedule gives.
    """
    if submitted_at.tzinfo is None:
        raise ValueError("submission time must be timezone-aware")
    local = submitted_at.astimezone(ARXIV_TZ)
    cutoff_day = local.date()
    if local.weekday() in _WEEKEND or local.time() >= SUBMISSION_CUTOFF:
        cutoff_day = next_weekday(cutoff_day)
    return next_weekday(cutoff_day)


def newest_listing_day(now: datetime) -> date:
    """The date of the newest daily listing arXiv can have announced at this moment.

    Listings are announced at 20:00 Eastern from Sunday to Thursday, each dated the
    following weekday; nothing is announced on Friday or Saturday evening.
    """
    local = now.astimezone(ARXIV_TZ)
    candidate = local.date() + timedelta(days=1 if local.time() >= ANNOUNCEMENT_TIME else 0)
    while candidate.weekday() in _WEEKEND:
        candidate -= timedelta(days=1)
    return candidate


def start_of_listing_day(day: date) -> datetime:
    """Midnight in arXiv's time zone on a listing day: when that day's list is current."""
    return datetime.combine(day, time(0, 0), ARXIV_TZ)


def next_weekday(day: date) -> date:
    """The first Monday-to-Friday date after day."""
    following = day + timedelta(days=1)
    while following.weekday() in _WEEKEND:
        following += timedelta(days=1)
    return following


class InvalidPeriod(ValueError):
    """Raised for a day, week or month label that does not parse."""


class NoSuchPeriod(InvalidPeriod):
    """Raised for a label of the right form that names no period in FIRST_DAY..LAST_DAY
    (2024-02-30, 2023-W53, 9999-12)."""


def shifted(day: date, days: int) -> date:
    """day moved by days, held at date.min or date.max instead of overflowing: a stored
    date far in the past or future must not make a page fail."""
    if days >= 0:
        return day + timedelta(days=min(days, (date.max - day).days))
    return day - timedelta(days=min(-days, (day - date.min).days))


def parse_day(text: str) -> date:
    """A YYYY-MM-DD day within FIRST_DAY..LAST_DAY; ValueError with a reason otherwise
    (numbers such as 0 are not read as timestamps, nor other ISO forms as days)."""
    if not re.fullmatch(DAY_PATTERN, text):
        raise ValueError(f"not a YYYY-MM-DD date: {text[:40]!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"no such date: {text!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{text} is outside {FIRST_DAY.year}-{LAST_DAY.year}")
    return day


@dataclass(frozen=True, slots=True)
class Period:
    """A window of listing days, inclusive at both ends."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def label(self) -> str:
        """The URL form: 2024-04-08, 2024-W15 or 2024-04."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def title(self) -> str:
        """How the period reads on a page: 'Mon, 8 Apr 2024', 'Week 15, 2024', 'April 2024'."""
        if self.kind == "day":
            return f"{self.start:%a}, {self.start.day} {self.start:%b %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            span = f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b}"
            return f"Week {week}, {year} ({span})"
        return f"{self.start:%B %Y}"

    def containing(self, day: date) -> Period:
        """The period of the same kind that holds day."""
        return period_of(self.kind, day)


def period_of(kind: PeriodKind, day: date) -> Period:
    """The day, ISO week (Monday to Sunday) or calendar month that holds day."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = shifted(day, -day.weekday())
        return Period("week", start, shifted(start, 6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def parse_period(kind: PeriodKind, label: str) -> Period:
    """Parse the URL label of a period; raise InvalidPeriod with a readable reason, or
    NoSuchPeriod when the label has the right form but names no period in range."""
    pattern = {"day": DAY_PATTERN, "week": WEEK_PATTERN, "month": MONTH_PATTERN}[kind]
    if not re.fullmatch(pattern, label):
        raise InvalidPeriod(f"not a valid {kind}: {label[:40]!r}")
    try:
        period = period_of(kind, _first_day(kind, label))
    except ValueError:
        raise NoSuchPeriod(f"there is no {kind} {label}") from None
    if period.end < FIRST_DAY or period.start > LAST_DAY:
        raise NoSuchPeriod(
            f"{label} is outside the days paperwire lists ({FIRST_DAY.year}-{LAST_DAY.year})"
        )
    return period


def _first_day(kind: PeriodKind, label: str) -> date:
    if kind == "day":
        return date.fromisoformat(label)
    if kind == "week":
        year, week = _numbers(_WEEK_RE, label)
        return date.fromisocalendar(year, week, 1)
    year, month = _numbers(_MONTH_RE, label)
    return date(year, month, 1)


def _numbers(pattern: re.Pattern[str], label: str) -> tuple[int, int]:
    match = pattern.fullmatch(label)
    if match is None:
        raise ValueError(label)
    return int(match.group(1)), int(match.group(2))


def next_announcement_after(now: datetime) -> datetime:
    """The first of arXiv's 20:00 Eastern announcements (Sunday to Thursday) after now."""
    local = now.astimezone(ARXIV_TZ)
    day = local.date()
    while True:
        moment = datetime.combine(day, ANNOUNCEMENT_TIME, ARXIV_TZ)
        if moment > local and day.weekday() not in _ANNOUNCEMENT_FREE_DAYS:
            return moment
        day += timedelta(days=1)
