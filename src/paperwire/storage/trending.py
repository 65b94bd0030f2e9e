"""The trending score of docs/ranking.md computed, ordered and paged by the database."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    case,
    exists,
    extract,
    func,
    select,
    union_all,
)

from paperwire.ranking.trending import HOURS_PER_DAY, TrendingEntry
from paperwire.storage.database import Database
from paperwire.storage.schema import paper_links, paper_stats, papers
from paperwire.storage.visibility import is_listed

_EPOCH_JULIAN_DAY = 2440587.5  # julianday('1970-01-01')
_MIN_EXPONENT = -700.0  # exp() below this underflows, which PostgreSQL reports as an error


def trending_page(
    db: Database,
    since: date,
    until: date,
    *,
    anchor: date,
    now: datetime,
    half_life_hours: float,
    limit: int,
    offset: int,
    voted_since: datetime | None = None,
    with_code: bool = False,
) -> tuple[list[TrendingEntry], int]:
    """One page of the listed papers from since to until with any upvote, best score first,
    and how many there are. Listing ages count from anchor (papers listed after it: age 0).

    voted_since also ranks papers listed before since that received a vote here at or
    after that moment (an older paper rediscovered); with_code keeps only papers with a
    code link. Two indexed lookups (listing days; the last vote's time); the scoring and
    the sort run in SQL.
    """
    score = _score(db.dialect, anchor, now, half_life_hours).label("score")
    upvotes = (papers.c.imported_upvotes + func.coalesce(paper_stats.c.votes, 0)).label("upvotes")
    candidates = select(
        papers.c.arxiv_id, score, upvotes, papers.c.listing_day, papers.c.published_at
    ).select_from(papers.outerjoin(paper_stats, paper_stats.c.paper_id == papers.c.id))
    filters = [is_listed(), *([_has_code()] if with_code else [])]
    ranked: Select[Any] | CompoundSelect[Any] = candidates.where(
        papers.c.listing_day.between(since, until),
        (papers.c.imported_upvotes > 0) | (paper_stats.c.votes > 0),
        *filters,
    )
    if voted_since is not None:
        # Driven by the recent votes (ix_paper_stats_decayed_at), not by every paper
        # listed before the window: the planner reads the few voted papers by key.
        voted = select(paper_stats.c.paper_id).where(
            paper_stats.c.decayed_at >= voted_since, paper_stats.c.votes > 0
        )
        rediscovered = candidates.where(
            papers.c.id.in_(voted), papers.c.listing_day < since, *filters
        )
        ranked = union_all(ranked, rediscovered)
    found = ranked.subquery()
    page = select(found).order_by(
        found.c.score.desc(),
        found.c.upvotes.desc(),
        found.c.published_at.desc().nulls_last(),
        found.c.arxiv_id,
    )
    with db.read() as connection:
        rows = connection.execute(page.limit(limit).offset(offset)).all()
        total = connection.scalar(select(func.count()).select_from(found))
    return [_entry(row, anchor) for row in rows], int(total or 0)


def _has_code() -> ColumnElement[bool]:
    linked = select(paper_links.c.paper_id).where(
        paper_links.c.paper_id == papers.c.id, paper_links.c.code_url.is_not(None)
    )
    return exists(linked)


def _score(dialect: str, anchor: date, now: datetime, half_life_hours: float) -> Any:
    """imported × 2^(−listing age / half-life) + decayed × 2^(−(now − decayed_at) / half-life)."""
    per_hour = math.log(2) / half_life_hours
    anchor_days = (anchor - date(1970, 1, 1)).days
    now_days = now.astimezone(UTC).timestamp() / 86_400
    listing_days = anchor_days - _epoch_days(dialect, papers.c.listing_day)
    listing_hours = case((listing_days < 0, 0), else_=listing_days) * HOURS_PER_DAY
    vote_hours = (now_days - _epoch_days(dialect, paper_stats.c.decayed_at)) * HOURS_PER_DAY
    imported = papers.c.imported_upvotes * func.exp(_bounded(-per_hour * listing_hours))
    cast = paper_stats.c.decayed * func.exp(_bounded(-per_hour * vote_hours))
    return imported + func.coalesce(cast, 0.0)


def _epoch_days(dialect: str, column: Any) -> ColumnElement[Any]:
    """Days since 1970-01-01 (fractional) of a date or UTC timestamp column."""
    if dialect == "postgresql":
        return extract("epoch", column) / 86_400
    return func.julianday(column) - _EPOCH_JULIAN_DAY


def _bounded(exponent: Any) -> ColumnElement[Any]:
    return case((exponent < _MIN_EXPONENT, _MIN_EXPONENT), else_=exponent)


def _entry(row: Any, anchor: date) -> TrendingEntry:
    day = (
        row.listing_day
        if isinstance(row.listing_day, date)
        else date.fromisoformat(row.listing_day)
    )
    return TrendingEntry(
        arxiv_id=row.arxiv_id,
        score=float(row.score),
        upvotes=int(row.upvotes),
        age_days=max(0, (anchor - day).days),
    )
