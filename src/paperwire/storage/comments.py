"""Comment rows, and the per-paper count of visible comments kept in step with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from paperwire.storage.counters import COMMUNITY_COUNTER, count_change
from paperwire.storage.database import Database
from paperwire.storage.schema import comments, paper_stats, papers, users
from paperwire.storage.votes import lock_stats, paper_key


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    arxiv_id: str
    user_id: int
    username: str
    body: str  # Markdown as written
    hidden: bool
    created_at: datetime
    edited_at: datetime | None


_COLUMNS = [
    comments.c.id,
    papers.c.arxiv_id,
    comments.c.user_id,
    users.c.username,
    comments.c.body,
    comments.c.hidden,
    comments.c.created_at,
    comments.c.edited_at,
]


def add_comment(db: Database, user_id: int, arxiv_id: str, body: str) -> int:
    """Store a comment and count it; the new comment's id. UnknownPaper for a bad id."""
    with db.write() as connection:
        paper_id = paper_key(connection, arxiv_id)
        lock_stats(connection, paper_id)
        values = {"paper_id": paper_id, "user_id": user_id, "body": body}
        inserted = connection.execute(
            comments.insert().values(values | {"created_at": datetime.now(UTC)})
        ).inserted_primary_key
        _recount(connection, paper_id, +1)
    assert inserted is not None
    return int(inserted[0])


def comments_on(db: Database, arxiv_id: str) -> list[Comment]:
    """Every comment on a paper, hidden ones included, oldest first."""
    with db.read() as connection:
        return [_comment(row) for row in connection.execute(_ON_PAPER, {"arxiv_id": arxiv_id})]


def comment_by_id(db: Database, comment_id: int) -> Comment | None:
    with db.read() as connection:
        row = connection.execute(_select().where(comments.c.id == comment_id)).first()
    return None if row is None else _comment(row)


def edit_comment(db: Database, comment_id: int, author_id: int, body: str) -> bool:
    """Replace the text of the author's own comment; False when it is not theirs."""
    statement = (
        update(comments)
        .where(comments.c.id == comment_id, comments.c.user_id == author_id)
        .values(body=body, edited_at=datetime.now(UTC))
    )
    with db.write() as connection:
        changed = connection.execute(statement).rowcount == 1
        if changed:
            count_change(connection, COMMUNITY_COUNTER)
    return changed


def delete_comment(db: Database, comment_id: int, author_id: int) -> bool:
    """Delete the author's own comment; False when it is not theirs."""
    mine = (comments.c.id == comment_id) & (comments.c.user_id == author_id)
    with db.write() as connection:
        row = connection.execute(select(comments.c.paper_id, comments.c.hidden).where(mine)).first()
        if row is None:
            return False
        lock_stats(connection, row.paper_id)
        connection.execute(delete(comments).where(mine))
        _recount(connection, row.paper_id, 0 if row.hidden else -1)
    return True


def set_hidden(db: Database, comment_id: int, hidden: bool) -> bool:
    """Hide or show a comment (moderation); False when there is no such comment."""
    with db.write() as connection:
        query = select(comments.c.paper_id, comments.c.hidden).where(comments.c.id == comment_id)
        row = connection.execute(query).first()
        if row is None:
            return False
        lock_stats(connection, row.paper_id)
        connection.execute(
            update(comments).where(comments.c.id == comment_id).values(hidden=hidden)
        )
        _recount(connection, row.paper_id, 0 if bool(row.hidden) == hidden else -1 if hidden else 1)
    return True


def _recount(connection: Connection, paper_id: int, change: int) -> None:
    if change:
        connection.execute(
            update(paper_stats)
            .where(paper_stats.c.paper_id == paper_id)
            .values(comments=paper_stats.c.comments + change)
        )
    count_change(connection, COMMUNITY_COUNTER)


def _select() -> Any:
    return (
        select(*_COLUMNS)
        .join(papers, papers.c.id == comments.c.paper_id)
        .join(users, users.c.id == comments.c.user_id)
    )


# Read on every paper page: built once (see storage/papers.py).
_ON_PAPER = (
    _select().where(papers.c.arxiv_id == bindparam("arxiv_id")).order_by(comments.c.created_at)
)


def _comment(row: Any) -> Comment:
    return Comment(
        id=int(row.id),
        arxiv_id=row.arxiv_id,
        user_id=int(row.user_id),
        username=row.username,
        body=row.body,
        hidden=bool(row.hidden),
        created_at=_utc(row.created_at),
        edited_at=_utc(row.edited_at) if row.edited_at is not None else None,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
