"""Lists of papers with code: ranked by their repositories' recent stars, or a period's.

The code-trending ranking of docs/ranking.md: each repository's trend_score (written by
`paperwire code refresh` as of scored_at) is carried forward to now, halving every
half-life, so a repository that is no longer refreshed sinks instead of staying on top.
Lists sort by the stored trend_rank, which orders repositories exactly as those decayed
scores do; the scores themselves are computed for the shown rows only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, extract, func, select

from paperwire.papers import Paper
from paperwire.storage.database import Database
from paperwire.storage.papers import papers_by_ids
from paperwire.storage.schema import paper_links, paper_stats, papers, repositories, submissions
from paperwire.storage.visibility import is_listed, is_listed_key

_EPOCH_JULIAN_DAY = 2440587.5  # julianday('1970-01-01')
_MIN_EXPONENT = -700.0  # exp() below this underflows, which PostgreSQL reports as an error
_HOURS_PER_DAY = 24
# Deeper pages sort every candidate instead (the keys would not fit in one query).
_MAX_REACHABLE_REPOSITORIES = 2_000


@dataclass(frozen=True, slots=True)
class CodeTrendingEntry:
    """One paper of the code-trending list and the numbers it is ranked by."""

    arxiv_id: str
    score: float  # its repository's trend_score decayed to now
    stars: int
    stars_gained_week: int


def code_trending_page(
    db: Database, *, now: datetime, half_life_hours: float, limit: int, offset: int
) -> tuple[list[CodeTrendingEntry], int]:
    """One page of the listed papers, of any age, whose code repository gained stars in the
    scoring window (trend_score > 0), best decayed score first, and how many there are.

    Ties go to more stars, then to the newer paper, then to the id. A list where no
    repository gained stars is empty: nothing is ranked by stars alone.
    """
    score = _decayed_score(db.dialect, now, half_life_hours).label("score")
    stars = func.coalesce(repositories.c.stars, 0).label("stars")
    linked = repositories.join(paper_links, paper_links.c.repository_id == repositories.c.id)
    scored = [
        repositories.c.trend_rank.is_not(None),
        repositories.c.status != "missing",
        paper_links.c.code_url.is_not(None),
    ]
    page = (
        select(papers.c.arxiv_id, score, stars, repositories.c.stars_gained_week)
        .select_from(linked.join(papers, papers.c.id == paper_links.c.paper_id))
        .where(*scored, is_listed())
        .order_by(
            repositories.c.trend_rank.desc(),
            stars.desc(),
            papers.c.published_at.desc().nulls_last(),
            papers.c.arxiv_id,
        )
    )
    # Counted without reading the papers' (wide) rows: the same rule as is_listed(), on
    # the links' paper keys.
    count = select(func.count()).select_from(linked).where(*scored, _listed_key())
    with db.read() as connection:
        reachable = _repositories_reaching(connection, offset + limit)
        if reachable is not None:
            page = page.where(repositories.c.id.in_(reachable))
        rows = connection.execute(page.limit(limit).offset(offset)).all()
        total = connection.scalar(count)
    entries = [
        CodeTrendingEntry(
            row.arxiv_id, float(row.score), int(row.stars), int(row.stars_gained_week)
        )
        for row in rows
    ]
    return entries, int(total or 0)


def _repositories_reaching(connection: Connection, papers_needed: int) -> list[int] | None:
    """The keys of the repositories whose papers can be among the first papers_needed of
    the list, or None for "all of them" (a page that deep, or few repositories ranked).

    Each ranked repository with a listed paper gives the list at least one paper, so the
    first papers_needed papers all belong to repositories ranked at or above the
    papers_needed-th of those. Both reads follow ix_repositories_trend_rank in order, and
    the page then looks its few repositories up by key: without this, SQLite's planner
    reads every linked paper and sorts them all (about 40 ms at 16,000 ranked papers).
    """
    if papers_needed > _MAX_REACHABLE_REPOSITORIES:
        return None
    listed_paper = (
        select(paper_links.c.paper_id)
        .where(
            paper_links.c.repository_id == repositories.c.id,
            paper_links.c.code_url.is_not(None),
            _listed_key(),
        )
        .exists()
    )
    ranked = [repositories.c.trend_rank.is_not(None), repositories.c.status != "missing"]
    floor = connection.scalar(
        select(repositories.c.trend_rank)
        .where(*ranked, listed_paper)
        .order_by(repositories.c.trend_rank.desc())
        .limit(1)
        .offset(papers_needed - 1)
    )
    if floor is None:
        return None
    reaching = select(repositories.c.id).where(*ranked, repositories.c.trend_rank >= floor)
    return list(connection.scalars(reaching))


def _listed_key() -> ColumnElement[bool]:
    """paper_links.paper_id names a paper readers may see (storage/visibility.py's rule)."""
    return is_listed_key(paper_links.c.paper_id)


def _decayed_score(dialect: str, now: datetime, half_life_hours: float) -> Any:
    """trend_score × 2^(−(now − scored_at) in hours / half-life), as
    ranking.code_trending.decayed_trend computes it (the tests hold the two equal)."""
    per_hour = math.log(2) / half_life_hours
    now_days = now.astimezone(UTC).timestamp() / 86_400
    exponent = (_epoch_days(dialect, repositories.c.scored_at) - now_days) * (
        _HOURS_PER_DAY * per_hour
    )
    # Clamped in one expression so that each row's timestamp is read once: at most 0 (a
    # clock a little behind the refresh job's must not make a score grow), at least the
    # point where exp() would underflow.
    greatest, least = (
        (func.greatest, func.least) if dialect == "postgresql" else (func.max, func.min)
    )
    return repositories.c.trend_score * func.exp(greatest(_MIN_EXPONENT, least(0.0, exponent)))


def _epoch_days(dialect: str, column: Any) -> ColumnElement[Any]:
    """Days since 1970-01-01 (fractional) of a UTC timestamp column."""
    if dialect == "postgresql":
        return extract("epoch", column) / 86_400
    return func.julianday(column) - _EPOCH_JULIAN_DAY


def papers_with_code_between(
    db: Database,
    first: date,
    last: date,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = False,
) -> tuple[list[Paper], int]:
    """storage.papers.papers_listed_between (most upvoted first, or newest_first) narrowed
    to the papers that have a code link: one page and the total."""
    window = _with_code_window(first, last)
    upvotes = papers.c.imported_upvotes + func.coalesce(paper_stats.c.votes, 0)
    recency = [papers.c.published_at.desc().nulls_last(), papers.c.arxiv_id.desc()]
    page_ids = (
        window.with_only_columns(papers.c.arxiv_id)
        .outerjoin(paper_stats, paper_stats.c.paper_id == papers.c.id)
        .order_by(*(recency if newest_first else [upvotes.desc(), *recency]))
        .limit(limit)
        .offset(offset)
    )
    with db.read() as connection:
        ids = list(connection.scalars(page_ids))
        total = connection.scalar(window.with_only_columns(func.count()))
    found = {paper.arxiv_id: paper for paper in papers_by_ids(db, ids)}
    return [found[i] for i in ids if i in found], int(total or 0)


def _with_code_window(first: date, last: date) -> Select[Any]:
    """The listed papers of first..last (or submitted by a reader on one of those days)
    that have a code link, as a SELECT of papers joined to their links."""
    submitted = select(submissions.c.paper_id).where(submissions.c.listing_day.between(first, last))
    in_window = papers.c.listing_day.between(first, last) | papers.c.id.in_(submitted)
    return (
        select(papers.c.id)
        .select_from(papers.join(paper_links, paper_links.c.paper_id == papers.c.id))
        .where(in_window, paper_links.c.code_url.is_not(None), is_listed())
    )
