"""The paper record every part of paperwire speaks, arXiv id rules, and plausible dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from paperwire.ranking.calendar import FIRST_DAY, next_weekday

_Orderable = TypeVar("_Orderable", date, datetime, int)

# arXiv opened in August 1991: no paper's date is earlier (the earliest in the shared
# OAI-PMH data is 1992-04-02). The same first day bounds the days a URL may name.
EARLIEST_DAY = FIRST_DAY
# A submission after Friday's cut-off is listed on Tuesday, four days on, and a listing day
# dated in New York may already be "tomorrow" for a clock elsewhere: a week's slack keeps
# every real date and still refuses 9999-12-31.
MAX_DAYS_AHEAD = 7
# arXiv papers have at most a few dozen versions; a longer number is not a version (and
# would not fit the database's integer column).
MAX_VERSION_DIGITS = 4

# New-style ids (YYMM.NNNN from 0704, 5-digit numbers since 1501) and old-style archive ids
# (hep-th/9901001, math.GT/0309136), each optionally with a version suffix.
_NEW_ID = r"\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}"
_NEW_ID_MONTH_RE = re.compile(r"^(\d{2})(\d{2})\.")
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID_RE = re.compile(rf"^(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?$")
# An id as papers are keyed (no version), for matching inside a longer pattern.
KEYED_ID_PATTERN = rf"(?:{_NEW_ID}|{_OLD_ID})"
_CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")
_WITHDRAWN_RE = re.compile(r"\b(?:withdrawn|withdraw)\b", re.IGNORECASE)
_URL_PREFIX_RE = re.compile(
    r"^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", re.I
)


class InvalidArxivId(ValueError):
    """Raised for text that is not an arXiv identifier."""


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split '2401.00974v2', 'hep-th/9901001' or an abs/pdf URL into (id, version)."""
    candidate = _URL_PREFIX_RE.sub("", text.strip()).removesuffix(".pdf")
    match = _ID_RE.match(candidate)
    if match is None:
        raise InvalidArxivId(f"not an arXiv identifier: {text[:80]!r}")
    version = match.group("version")
    if version and len(version) > MAX_VERSION_DIGITS:
        raise InvalidArxivId(f"version number too large: {text[:80]!r}")
    return match.group("id"), int(version) if version else None


def category_codes(values: Iterable[str]) -> tuple[str, ...]:
    """The arXiv category codes among values (cs.AI, hep-th, math.GT), in order, once each.

    Sources mix MSC and ACM classes ("68T50", "I.2.7") into category lists; they are not
    arXiv categories and are dropped.
    """
    codes = (value.strip() for value in values)
    return tuple(dict.fromkeys(code for code in codes if _CATEGORY_RE.match(code)))


def is_arxiv_id(text: str) -> bool:
    """True when text is an arXiv id without version, as papers are keyed."""
    match = _ID_RE.match(text)
    return match is not None and match.group("version") is None


class ImplausibleDate(ValueError):
    """A date before arXiv's first year or more than a few days after today."""


def plausible_day(day: date, now: datetime | None = None) -> date:
    """day itself, when it lies between arXiv's first year and MAX_DAYS_AHEAD from now."""
    if day < EARLIEST_DAY:
        raise ImplausibleDate(f"{day.isoformat()} is before arXiv began ({EARLIEST_DAY.year})")
    if day > _latest_plausible_day(now):
        raise ImplausibleDate(f"{day.isoformat()} is more than {MAX_DAYS_AHEAD} days ahead")
    return day


def plausible_moment(moment: datetime, now: datetime | None = None) -> datetime:
    """moment in UTC (a naive one is taken as UTC), when plausible_day accepts its date.

    Its own date is checked before converting: 0001-01-01T00:00+01:00 or
    9999-12-31T23:59-12:00 overflow on the way to UTC.
    """
    plausible_day(moment.date(), now)
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    plausible_day(utc.date(), now)
    return utc


def _latest_plausible_day(now: datetime | None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date() + timedelta(days=MAX_DAYS_AHEAD)


def first_listing_day_of_id(arxiv_id: str) -> date | None:
    """The earliest listing day a new-style id allows: the first weekday of its YYMM month.

    arXiv numbers a paper in the month it announces it, so a submission held back for
    moderation (2405.10957, submitted 2024-04-05) is listed in its id's month. Old-style
    ids give None: paperwire does not rely on their month.
    """
    match = _NEW_ID_MONTH_RE.match(arxiv_id)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    first = date(2000 + int(match.group(1)), int(match.group(2)), 1)
    return next_weekday(first - timedelta(days=1))


def listing_day_for_id(arxiv_id: str, day: date | None) -> date | None:
    """day, moved forward to the id's first listing day when it is earlier than that."""
    earliest = first_listing_day_of_id(arxiv_id)
    if day is None or earliest is None or day >= earliest:
        return day
    return earliest


def checked_listing_day(arxiv_id: str, day: date | None) -> date | None:
    """The listing day to store for a paper a source lists (or submits) on day: moved into
    the id's month (listing_day_for_id) and refused (ImplausibleDate) when implausible."""
    moved = listing_day_for_id(arxiv_id, day)
    return plausible_day(moved) if moved is not None else None


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as paperwire stores it; None means 'not known' and never erases a value."""

    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    version: int | None = None
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    comment: str | None = None
    doi: str | None = None
    journal_ref: str | None = None
    published_at: datetime | None = None  # first version, timezone-aware UTC
    updated_at: datetime | None = None  # latest version known, timezone-aware UTC
    listing_day: date | None = None  # the day the paper appears on the daily list
    # True when a listing said on which day the paper appeared; False when the day was
    # computed from the submission time with arXiv's calendar.
    listing_day_exact: bool = False
    imported_upvotes: int | None = None
    # Links the record itself gives (an upvote snapshot's githubRepo and projectPage),
    # normalised: stored in paper_links, not in the papers row, and left out of comparing
    # papers, so that a record repeating them changes no paper.
    record_code_url: str | None = field(default=None, compare=False)
    record_project_url: str | None = field(default=None, compare=False)

    @property
    def withdrawn(self) -> bool:
        """arXiv marks a withdrawal with a new version whose comment says so."""
        return self.comment is not None and _WITHDRAWN_RE.search(self.comment) is not None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


RECORD_LINK_FIELDS = ("record_code_url", "record_project_url")
# The fields stored in the papers row.
PAPER_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Paper) if f.name not in RECORD_LINK_FIELDS
)


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """Combine what is stored with a newly seen record of the same paper.

    A newer (or same) version replaces the descriptive metadata; an older one only fills
    gaps. The first-version date and the listing day keep their earliest value (a listing
    day no earlier than the id's month allows), and an imported upvote count is replaced by
    the newest import.
    """
    newer = _is_newer(incoming, stored)
    base, other = (incoming, stored) if newer else (stored, incoming)
    merged = _fill_gaps(base, other)
    listing_day, exact = _merged_listing_day(stored, incoming)
    return replace(
        merged,
        published_at=_earliest(stored.published_at, incoming.published_at),
        listing_day=listing_day,
        listing_day_exact=exact,
        updated_at=_latest(stored.updated_at, incoming.updated_at),
        version=_latest(stored.version, incoming.version),
        imported_upvotes=(
            incoming.imported_upvotes
            if incoming.imported_upvotes is not None
            else stored.imported_upvotes
        ),
        record_code_url=incoming.record_code_url or stored.record_code_url,
        record_project_url=incoming.record_project_url or stored.record_project_url,
    )


def _merged_listing_day(stored: Paper, incoming: Paper) -> tuple[date | None, bool]:
    """A day a listing reported beats a computed one; otherwise the earliest day wins.

    Both days are first moved into the id's month, so a day stored before that rule (a held
    paper placed on its submission day) is corrected by the next record of the paper.
    """
    if stored.listing_day_exact != incoming.listing_day_exact:
        exact = stored if stored.listing_day_exact else incoming
        if exact.listing_day is not None:
            return listing_day_for_id(exact.arxiv_id, exact.listing_day), True
    day = _earliest(
        listing_day_for_id(stored.arxiv_id, stored.listing_day),
        listing_day_for_id(stored.arxiv_id, incoming.listing_day),
    )
    return day, stored.listing_day_exact or incoming.listing_day_exact


def _is_newer(incoming: Paper, stored: Paper) -> bool:
    versions = (incoming.version, stored.version)
    if None not in versions and versions[0] != versions[1]:
        return incoming.version > stored.version  # type: ignore[operator]
    if incoming.updated_at is not None and stored.updated_at is not None:
        return incoming.updated_at >= stored.updated_at
    # Same version, or versions unknown: keep what is stored and only fill its gaps.
    return False


def _fill_gaps(base: Paper, other: Paper) -> Paper:
    changes: dict[str, Any] = {}
    for name in PAPER_FIELDS:
        if _is_empty(getattr(base, name)) and not _is_empty(getattr(other, name)):
            changes[name] = getattr(other, name)
    return replace(base, **changes) if changes else base


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == ()


def _earliest(a: _Orderable | None, b: _Orderable | None) -> _Orderable | None:
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def _latest(a: _Orderable | None, b: _Orderable | None) -> _Orderable | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)
