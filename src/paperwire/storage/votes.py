"""Upvotes: cast or withdraw one in a transaction that also updates the paper's aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
from sqlalchemy.exc import DBAPIError

from paperwire.ranking.trending import decayed, vote_weight
from paperwire.storage.counters import COMMUNITY_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import paper_stats, papers, submissions, users, vote_buckets, votes
from paperwire.storage.visibility import is_listed

_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


class UnknownPaper(LookupError):
    """No paper with that arXiv id is stored, or it is hidden."""


@dataclass(frozen=True, slots=True)
class VoteResult:
    voted: bool  # whether the user's upvote stands now
    votes: int  # upvotes cast here on the paper, the imported count not included


def cast_vote(
    db: Database,
    user_id: int,
    arxiv_id: str,
    *,
    up: bool | None,
    half_life_hours: float,
    now: datetime | None = None,
) -> VoteResult:
    """Upvote (up=True), withdraw (up=False) or toggle (up=None) one user's vote.

    The paper's aggregate row is locked first, so that concurrent votes on one paper
    apply one after the other and the count always equals the votes stored.
    """
    moment = now or datetime.now(UTC)
    for attempt in range(_ATTEMPTS):
        try:
            with db.write() as connection:
                return _cast(connection, user_id, arxiv_id, up, half_life_hours, moment)
        except DBAPIError as error:
            sqlstate = getattr(error.orig, "sqlstate", None)
            if attempt == _ATTEMPTS - 1 or sqlstate not in _RETRYABLE_SQLSTATES:
                raise
    raise AssertionError("unreachable")


def _cast(
    connection: Connection,
    user_id: int,
    arxiv_id: str,
    up: bool | None,
    half_life_hours: float,
    now: datetime,
) -> VoteResult:
    paper_id = paper_key(connection, arxiv_id)
    stats = lock_stats(connection, paper_id)
    where = (votes.c.user_id == user_id) & (votes.c.paper_id == paper_id)
    cast_at = connection.scalar(select(votes.c.created_at).where(where))
    wanted = cast_at is None if up is None else up
    if wanted == (cast_at is not None):
        return VoteResult(wanted, int(stats.votes))
    if cast_at is None:
        connection.execute(
            votes.insert().values(user_id=user_id, paper_id=paper_id, created_at=now)
        )
        weight = 1.0
    else:
        connection.execute(delete(votes).where(where))
        weight = -vote_weight(_utc(cast_at), now, half_life_hours)
    count = _count_vote(connection, stats, weight, half_life_hours, now)
    count_change(connection, COMMUNITY_COUNTER)
    return VoteResult(wanted, count)


def _count_vote(
    connection: Connection, stats: Any, weight: float, half_life_hours: float, now: datetime
) -> int:
    """Apply one vote (weight +1) or withdrawal (minus its current weight) to the paper's
    aggregates and its bucket of the hour; the new vote count."""
    delta = 1 if weight > 0 else -1
    count = int(stats.votes) + delta
    since = _utc(stats.decayed_at) if stats.decayed_at is not None else None
    carried = decayed(float(stats.decayed), since, now, half_life_hours)
    connection.execute(
        update(paper_stats)
        .where(paper_stats.c.paper_id == stats.paper_id)
        .values(votes=count, decayed=max(0.0, carried + weight) if count else 0.0, decayed_at=now)
    )
    _add_to_bucket(connection, stats.paper_id, now, delta)
    return count


def paper_key(connection: Connection, arxiv_id: str) -> int:
    """The surrogate key of a listed paper; UnknownPaper when there is none, or when it is
    hidden: nobody votes on, comments on or submits a hidden paper."""
    query = select(papers.c.id).where(papers.c.arxiv_id == arxiv_id, is_listed())
    found = connection.scalar(query)
    if found is None:
        raise UnknownPaper(arxiv_id)
    return int(found)


def lock_stats(connection: Connection, paper_id: int) -> Any:
    """The paper's aggregate row, created when missing and locked until commit."""
    insert = dialect_insert(connection, paper_stats).values(paper_id=paper_id)
    connection.execute(insert.on_conflict_do_nothing(index_elements=["paper_id"]))
    query = select(paper_stats).where(paper_stats.c.paper_id == paper_id).with_for_update()
    return connection.execute(query).one()


def _add_to_bucket(connection: Connection, paper_id: int, now: datetime, delta: int) -> None:
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    insert = dialect_insert(connection, vote_buckets).values(
        paper_id=paper_id, hour=hour, delta=delta
    )
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=["paper_id", "hour"],
            set_={"delta": vote_buckets.c.delta + insert.excluded.delta},
        )
    )


@dataclass(frozen=True, slots=True)
class PaperStats:
    votes: int = 0
    comments: int = 0
    submitter: str | None = None  # the username that submitted the paper, if one did


# Read on every paper page: built once (see _LISTED_BY_ARXIV_ID in storage/papers.py).
_STATS = (
    select(papers.c.arxiv_id, paper_stats.c.votes, paper_stats.c.comments, users.c.username)
    .outerjoin(paper_stats, paper_stats.c.paper_id == papers.c.id)
    .outerjoin(submissions, submissions.c.paper_id == papers.c.id)
    .outerjoin(users, users.c.id == submissions.c.user_id)
    .where(papers.c.arxiv_id.in_(bindparam("arxiv_ids", expanding=True)))
)
_CHANGES = (
    select(vote_buckets.c.hour, vote_buckets.c.delta)
    .join(papers, papers.c.id == vote_buckets.c.paper_id)
    .where(papers.c.arxiv_id == bindparam("arxiv_id"), vote_buckets.c.hour >= bindparam("since"))
)


def stats_for(db: Database, arxiv_ids: Sequence[str]) -> dict[str, PaperStats]:
    """Votes cast here, visible comments and submitter of each paper that has any: one query."""
    if not arxiv_ids:
        return {}
    with db.read() as connection:
        rows = connection.execute(_STATS, {"arxiv_ids": list(arxiv_ids)})
        return {row[0]: PaperStats(int(row[1] or 0), int(row[2] or 0), row[3]) for row in rows}


def voted_among(db: Database, user_id: int, arxiv_ids: Sequence[str]) -> set[str]:
    """Which of these papers the user has upvoted."""
    return marked_among(db, votes, user_id, arxiv_ids)


def marked_among(db: Database, marks: Table, user_id: int, arxiv_ids: Sequence[str]) -> set[str]:
    """Which of these papers have a row in marks (a table keyed by user_id and paper_id:
    votes, library items, "not interested") for the user."""
    if not arxiv_ids:
        return set()
    query = (
        select(papers.c.arxiv_id)
        .join(marks, marks.c.paper_id == papers.c.id)
        .where(marks.c.user_id == user_id, papers.c.arxiv_id.in_(list(arxiv_ids)))
    )
    with db.read() as connection:
        return set(connection.scalars(query))


def gains_since(db: Database, arxiv_ids: Sequence[str], since: datetime) -> dict[str, int]:
    """Net upvotes each paper gained from the hour holding `since` on (hourly buckets)."""
    if not arxiv_ids:
        return {}
    start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    query = (
        select(papers.c.arxiv_id, func.sum(vote_buckets.c.delta))
        .join(vote_buckets, vote_buckets.c.paper_id == papers.c.id)
        .where(papers.c.arxiv_id.in_(list(arxiv_ids)), vote_buckets.c.hour >= start)
        .group_by(papers.c.arxiv_id)
    )
    with db.read() as connection:
        return {row[0]: int(row[1] or 0) for row in connection.execute(query)}


def daily_changes(db: Database, arxiv_id: str, since: datetime) -> dict[str, int]:
    """The net vote change of each UTC day (YYYY-MM-DD) from `since` on."""
    days: dict[str, int] = {}
    with db.read() as connection:
        for hour, delta in connection.execute(_CHANGES, {"arxiv_id": arxiv_id, "since": since}):
            key = _utc(hour).date().isoformat()
            days[key] = days.get(key, 0) + int(delta)
    return days


def upvoted_by(db: Database, user_id: int, limit: int) -> list[str]:
    """The arXiv ids a user upvoted, most recent first."""
    query = (
        select(papers.c.arxiv_id)
        .join(votes, votes.c.paper_id == papers.c.id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.created_at.desc(), papers.c.arxiv_id)
        .limit(limit)
    )
    with db.read() as connection:
        return list(connection.scalars(query))


def count_votes(db: Database, arxiv_id: str) -> tuple[int, int]:
    """(votes rows, the aggregate's count) of a paper: equal unless something is wrong."""
    with db.read() as connection:
        paper_id = paper_key(connection, arxiv_id)
        rows = connection.scalar(select(func.count()).where(votes.c.paper_id == paper_id))
        stored = connection.scalar(
            select(paper_stats.c.votes).where(paper_stats.c.paper_id == paper_id)
        )
    return int(rows or 0), int(stored or 0)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
