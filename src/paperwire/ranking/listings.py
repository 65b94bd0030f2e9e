"""The lists readers browse: a day, week or month of papers, and the trending pages."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from paperwire.papers import Paper
from paperwire.ranking.calendar import Period, period_of, shifted
from paperwire.ranking.trending import TrendingEntry, explain
from paperwire.storage import Database
from paperwire.storage import code_trending as code_store
from paperwire.storage import papers as paper_store
from paperwire.storage import trending as trending_store
from paperwire.storage import votes as vote_store
from paperwire.storage.code_trending import CodeTrendingEntry

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


@dataclass(frozen=True, slots=True)
class CodeTrendingList:
    """One page of papers ranked by the stars their code repositories gained recently."""

    entries: list[tuple[Paper, CodeTrendingEntry]]
    page: PageOf

    def why(self, entry: CodeTrendingEntry) -> str:
        """Why an entry is where it is, e.g. "+56 stars this week · 1,234 ★"."""
        return explain_stars(entry.stars_gained_week, entry.stars)


def explain_stars(gained_week: int, stars: int) -> str:
    """A repository's stars for a reader: the week's gain (when any), then the count."""
    total = f"{stars:,} ★"
    if gained_week <= 0:
        return total
    return f"+{gained_week:,} star{'' if gained_week == 1 else 's'} this week · {total}"


def latest_day(db: Database) -> date | None:
    """The most recent day that has papers: what the front page shows."""
    return paper_store.latest_listing_day(db)


def period_list(
    db: Database, period: Period, page: int, page_size: int, *, with_code: bool = False
) -> PeriodList:
    """One page of a day, week or month, best first, with its neighbours that have papers;
    with_code: only the papers that have a code link."""
    offset = (page - 1) * page_size
    listed_between = (
        code_store.papers_with_code_between if with_code else paper_store.papers_listed_between
    )
    papers, total = listed_between(db, period.start, period.end, limit=page_size, offset=offset)
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
    with_code: bool = False,
) -> TrendingList:
    """Upvoted papers of the last window_days listing days, and older papers voted on in as
    many days, ranked by decayed upvotes (with_code: only those with a code link).

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
    # Older papers voted on within as many days as the window spans compete too.
    voted_since = datetime.now(UTC) - timedelta(days=window_days)
    return ranked_window(
        db,
        since,
        anchor,
        page,
        page_size,
        half_life_hours,
        window_days,
        with_code=with_code,
        voted_since=voted_since,
    )


def period_trending(
    db: Database,
    period: Period,
    *,
    page: int,
    page_size: int,
    half_life_hours: float,
    with_code: bool = False,
) -> TrendingList:
    """The upvoted papers of a day, week or month, ranked by the trending score."""
    days = (period.end - period.start).days + 1
    return ranked_window(
        db, period.start, period.end, page, page_size, half_life_hours, days, with_code=with_code
    )


def ranked_window(
    db: Database,
    since: date,
    anchor: date,
    page: int,
    page_size: int,
    half_life_hours: float,
    window_days: int,
    *,
    with_code: bool = False,
    voted_since: datetime | None = None,
) -> TrendingList:
    """One page of the papers listed from since to anchor (and of older ones voted on since
    voted_since), best trending score first (scored and sorted in SQL), with the votes each
    gained in the last 24 hours (shown page only)."""
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
        with_code=with_code,
        voted_since=voted_since,
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


def code_trending_list(
    db: Database, *, page: int, page_size: int, half_life_hours: float
) -> CodeTrendingList:
    """One page of the papers, of any age, whose repositories gained stars recently, ranked
    by the code-trending score of docs/ranking.md as of now."""
    shown, total = code_store.code_trending_page(
        db,
        now=datetime.now(UTC),
        half_life_hours=half_life_hours,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    by_id = {p.arxiv_id: p for p in paper_store.papers_by_ids(db, [e.arxiv_id for e in shown])}
    return CodeTrendingList(
        entries=[(by_id[e.arxiv_id], e) for e in shown if e.arxiv_id in by_id],
        page=PageOf(page, page_size, total),
    )
