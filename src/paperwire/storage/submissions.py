"""Papers users submitted: who, when, and the day whose list they join."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from paperwire.storage.counters import COMMUNITY_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import papers, submissions
from paperwire.storage.votes import paper_key


def add_submission(db: Database, user_id: int, arxiv_id: str, listing_day: date) -> bool:
    """Record a submission; False when the paper was already submitted (by anyone)."""
    with db.write() as connection:
        paper_id = paper_key(connection, arxiv_id)
        values = {
            "paper_id": paper_id,
            "user_id": user_id,
            "listing_day": listing_day,
            "submitted_at": datetime.now(UTC),
        }
        insert = dialect_insert(connection, submissions).values(values)
        statement = insert.on_conflict_do_nothing().returning(submissions.c.paper_id)
        added = connection.execute(statement).first() is not None
        if added:
            count_change(connection, COMMUNITY_COUNTER)
    return added


def submitted_by(db: Database, user_id: int, limit: int) -> list[str]:
    """The arXiv ids a user submitted, most recent first."""
    query = (
        select(papers.c.arxiv_id)
        .join(submissions, submissions.c.paper_id == papers.c.id)
        .where(submissions.c.user_id == user_id)
        .order_by(submissions.c.submitted_at.desc())
        .limit(limit)
    )
    with db.read() as connection:
        return list(connection.scalars(query))
