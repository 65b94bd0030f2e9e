"""Change counters that caches compare, and the dialect's INSERT … ON CONFLICT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperwire.storage.database import Database
from paperwire.storage.schema import change_counters

PAPERS_COUNTER = "papers"
COMMUNITY_COUNTER = "community"  # votes, comments, submissions


def count_change(connection: Connection, name: str) -> None:
    """Move a counter forward inside the writing transaction."""
    connection.execute(
        update(change_counters)
        .where(change_counters.c.name == name)
        .values(value=change_counters.c.value + 1, changed_at=datetime.now(UTC))
    )


def counter_value(db: Database, name: str) -> int:
    query = select(change_counters.c.value).where(change_counters.c.name == name)
    with db.engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT with on_conflict_do_nothing/on_conflict_do_update for this connection's
    dialect (SQLite and PostgreSQL spell ON CONFLICT the same way)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
