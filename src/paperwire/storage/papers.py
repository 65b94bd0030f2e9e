"""Paper queries: upsert, look up, and list papers by listing day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.papers import PAPER_FIELDS, Paper, merge_papers
from paperwire.ranking.trending import TrendingCandidate
from paperwire.storage.database import Database
from paperwire.storage.schema import papers

_PAPER_COLUMNS = [papers.c[name] for name in PAPER_FIELDS]
_UPSERT_ATTEMPTS = 3  # a concurrent writer may insert the same id between our read and write


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.added + other.added, self.updated + other.updated, self.unchanged + other.unchanged
        )


def upsert_papers(db: Database, batch: Sequence[Paper]) -> UpsertCounts:
    """Store a batch in one transaction, merging each paper with what is already stored."""
    for attempt in range(_UPSERT_ATTEMPTS):
        try:
            with db.engine.begin() as connection:
                return _upsert_batch(connection, batch)
        except IntegrityError:
            if attempt == _UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _upsert_batch(connection: Connection, batch: Sequence[Paper]) -> UpsertCounts:
    ids = list({paper.arxiv_id for paper in batch})
    stored = {paper.arxiv_id: paper for paper in _select_papers(connection, ids)}
    current: dict[str, Paper] = dict(stored)
    added = updated = unchanged = 0
    for paper in batch:
        before = current.get(paper.arxiv_id)
        after = paper if before is None else merge_papers(before, paper)
        if before is None:
            added += 1
        elif after != before:
            updated += 1
        else:
            unchanged += 1
        current[paper.arxiv_id] = after
    now = datetime.now(UTC)
    new = [p for i, p in current.items() if i not in stored]
    changed = [p for i, p in current.items() if i in stored and p != stored[i]]
    if new:
        connection.execute(papers.insert(), [_row(p, now) | {"created_at": now} for p in new])
    if changed:
        statement = update(papers).where(papers.c.arxiv_id == bindparam("key"))
        connection.execute(statement, [_row(p, now) | {"key": p.arxiv_id} for p in changed])
    return UpsertCounts(added, updated, unchanged)


def get_paper(db: Database, arxiv_id: str) -> Paper | None:
    with db.engine.connect() as connection:
        found = _select_papers(connection, [arxiv_id])
    return found[0] if found else None


def papers_by_ids(db: Database, arxiv_ids: Sequence[str]) -> list[Paper]:
    """Papers in the order of arxiv_ids; unknown ids are left out."""
    with db.engine.connect() as connection:
        found = {p.arxiv_id: p for p in _select_papers(connection, list(arxiv_ids))}
    return [found[i] for i in arxiv_ids if i in found]


def count_papers(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(papers)) or 0)


def latest_listing_day(db: Database) -> date | None:
    with db.engine.connect() as connection:
        return _as_date(connection.scalar(select(func.max(papers.c.listing_day))))


def previous_listing_day(db: Database, before: date) -> date | None:
    """The latest day before `before` that has papers."""
    query = select(func.max(papers.c.listing_day)).where(papers.c.listing_day < before)
    with db.engine.connect() as connection:
        return _as_date(connection.scalar(query))


def next_listing_day(db: Database, after: date) -> date | None:
    """The earliest day after `after` that has papers."""
    query = select(func.min(papers.c.listing_day)).where(papers.c.listing_day > after)
    with db.engine.connect() as connection:
        return _as_date(connection.scalar(query))


def papers_listed_between(
    db: Database, first: date, last: date, *, limit: int, offset: int = 0
) -> tuple[list[Paper], int]:
    """One page of papers listed from first to last (inclusive), best first, and the total."""
    window = papers.c.listing_day.between(first, last)
    query = (
        select(*_PAPER_COLUMNS)
        .where(window)
        .order_by(
            papers.c.imported_upvotes.desc(),
            papers.c.published_at.desc().nulls_last(),
            papers.c.arxiv_id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
        total = connection.scalar(select(func.count()).select_from(papers).where(window))
    return [_paper(row) for row in rows], int(total or 0)


def trending_candidates(db: Database, since: date) -> list[TrendingCandidate]:
    """Upvoted papers listed on or after since: the input of the trending score."""
    query = select(
        papers.c.arxiv_id, papers.c.imported_upvotes, papers.c.listing_day, papers.c.published_at
    ).where(papers.c.listing_day >= since, papers.c.imported_upvotes > 0)
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        TrendingCandidate(row[0], row[1], _as_date(row[2]) or since, _as_utc(row[3]))
        for row in rows
    ]


def _select_papers(connection: Connection, arxiv_ids: list[str]) -> list[Paper]:
    if not arxiv_ids:
        return []
    query = select(*_PAPER_COLUMNS).where(papers.c.arxiv_id.in_(arxiv_ids))
    return [_paper(row) for row in connection.execute(query)]


def _row(paper: Paper, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(paper, name) for name in PAPER_FIELDS}
    values["authors"] = list(paper.authors)
    values["categories"] = list(paper.categories)
    values["imported_upvotes"] = paper.imported_upvotes or 0
    values["modified_at"] = now
    return values


def _paper(row: Row[Any]) -> Paper:
    values = row._mapping
    return Paper(
        **{name: values[name] for name in PAPER_FIELDS}
        | {
            "authors": tuple(values["authors"]),
            "categories": tuple(values["categories"]),
            "published_at": _as_utc(values["published_at"]),
            "updated_at": _as_utc(values["updated_at"]),
            "listing_day": _as_date(values["listing_day"]),
        }
    )


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything paperwire stores is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_date(value: date | str | None) -> date | None:
    # SQLite's max()/min() return the stored text, not a date.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
