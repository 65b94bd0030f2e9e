"""Change counters that caches compare, and the dialect's INSERT … ON CONFLICT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperwire.storage.database import Database
from paperwire.storage.schema import change_counters

PAPERS_COUNTER = "papers"
COMMUNITY_COUNTER = "community"  # votes, comments, submissions
CODE_COUNTER = "code"  # papers' links, repositories' stars
# Readers' libraries, "not interested" marks and follows: only logged-in pages show them.
LIBRARY_COUNTER = "library"


def count_change(connection: Connection, name: str) -> None:
    """Move a counter forward inside the writing transaction."""
    connection.execute(
        update(change_counters)
        .where(change_counters.c.name == name)
        .values(value=change_counters.c.value + 1, changed_at=datetime.now(UTC))
    )


def advance_counter(connection: Connection, name: str) -> int:
    """Move a counter forward inside the writing transaction; its new value."""
    count_change(connection, name)
    query = select(change_counters.c.value).where(change_counters.c.name == name)
    return int(connection.scalar(query) or 0)


# Read by every page and cache check: built once (see storage/papers.py).
_VALUE = select(change_counters.c.value).where(change_counters.c.name == bindparam("name"))


def counter_value(db: Database, name: str) -> int:
    with db.read() as connection:
        return int(connection.scalar(_VALUE, {"name": name}) or 0)


@dataclass(frozen=True, slots=True)
class DataChange:
    """Where the data a page shows stands: one value per counter, and the latest change."""

    version: tuple[int, ...]
    changed_at: datetime | None


def data_change(
    db: Database, names: Sequence[str] = (PAPERS_COUNTER, COMMUNITY_COUNTER, CODE_COUNTER)
) -> DataChange:
    """The counters' values (in the order of names) and when the latest moved: one read."""
    query = select(change_counters.c.name, change_counters.c.value, change_counters.c.changed_at)
    with db.read() as connection:
        rows = {
            row[0]: row
            for row in connection.execute(query.where(change_counters.c.name.in_(names)))
        }
    times = [_utc(rows[name][2]) for name in names if name in rows and rows[name][2] is not None]
    return DataChange(
        tuple(int(rows[name][1]) if name in rows else 0 for name in names),
        max(times) if times else None,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT with on_conflict_do_nothing/on_conflict_do_update for this connection's
    dialect (SQLite and PostgreSQL spell ON CONFLICT the same way)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
