"""The lists readers browse: a day, week or month of papers, and the trending page."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from paperwire.papers import Paper
from paperwire.ranking.calendar import Period, period_of, shifted
from paperwire.ranking.trending import TrendingEntry, explain
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.storage import trending as trending_store
from paperwire.storage import votes as vote_store

GAIN_WINDOW_HOURS = 24


@dataclass(frozen=True, slots=True)
class PageOf:
    number: int
    size: int
    total_items: int

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.total_items / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True)
class PeriodList:
    period: Period
    papers: list[Paper]
    page: PageOf
    previous: Period | None  # the nearest earlier period that has papers
    following: Period | None  # the nearest later period that has papers


@dataclass(frozen=True, slots=True)
class TrendingList:
    anchor: date | None  # the listing day the ages are counted from; None: no papers yet
    entries: list[tuple[Paper, TrendingEntry]]
    page: PageOf
    window_days: int
    gains: dict[str, int] = field(default_factory=dict)  # net upvotes in the last 24 h

    def why(self, entry: TrendingEntry) -> str:
        """Why an entry is where it is, e.g. "+37 upvotes in the last 24 h · 52 upvotes…"."""
        return explain(entry, self.gains.get(entry.arxiv_id, 0))


def latest_day(db: Database) -> date | None:
    """The most recent day that has papers: what the front page shows."""
    return paper_store.latest_listing_day(db)


def period_list(db: Database, period: Period, page: int, page_size: int) -> PeriodList:
    """One page of a day, week or month, best first, with its neighbours that have papers."""
    offset = (page - 1) * page_size
    papers, total = paper_store.papers_listed_between(
        db, period.start, period.end, limit=page_size, offset=offset
    )
    before = paper_store.previous_listing_day(db, period.start)
    after = paper_store.next_listing_day(db, period.end)
    return PeriodList(
        period=period,
        papers=papers,
        page=PageOf(page, page_size, total),
        previous=period_of(period.kind, before) if before else None,
        following=period_of(period.kind, after) if after else None,
    )


def trending_list(
    db: Database,
    *,
    today: date,
    page: int,
    page_size: int,
    window_days: int,
    half_life_hours: float,
) -> TrendingList:
    """Upvoted papers of the last window_days listing days, ranked by decayed upvotes.

    The window ends at the most recent listing day in the database (or at `today`, the
    newest listing arXiv can have announced, if that is earlier: a guard against
    future-dated records), so an instance that stopped harvesting still shows its last
    trending papers.
    """
    latest = paper_store.latest_listing_day(db)
    if latest is None:
        return TrendingList(None, [], PageOf(page, page_size, 0), window_days)
    anchor = min(latest, today)
    since = shifted(anchor, 1 - window_days)  # a stored 0001-01-03 must not overflow
    return ranked_window(db, since, anchor, page, page_size, half_life_hours, window_days)


def period_trending(
    db: Database, period: Period, *, page: int, page_size: int, half_life_hours: float
) -> TrendingList:
    """The upvoted papers of a day, week or month, ranked by the trending score."""
    days = (period.end - period.start).days + 1
    return ranked_window(db, period.start, period.end, page, page_size, half_life_hours, days)


def ranked_window(
    db: Database,
    since: date,
    anchor: date,
    page: int,
    page_size: int,
    half_life_hours: float,
    window_days: int,
) -> TrendingList:
    """One page of the papers listed from since to anchor, best trending score first (scored
    and sorted in SQL), with the votes each gained in the last 24 hours (shown page only)."""
    now = datetime.now(UTC)
    shown, total = trending_store.trending_page(
        db,
        since,
        anchor,
        anchor=anchor,
        now=now,
        half_life_hours=half_life_hours,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    ids = [e.arxiv_id for e in shown]
    by_id = {p.arxiv_id: p for p in paper_store.papers_by_ids(db, ids)}
    return TrendingList(
        anchor=anchor,
        entries=[(by_id[e.arxiv_id], e) for e in shown if e.arxiv_id in by_id],
        page=PageOf(page, page_size, total),
        window_days=window_days,
        gains=vote_store.gains_since(db, ids, now - timedelta(hours=GAIN_WINDOW_HOURS)),
    )
