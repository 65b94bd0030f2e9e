"""Harvest checkpoints: where each arXiv harvest stands, saved with the pages it stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from paperwire.storage.database import Database
from paperwire.storage.schema import harvest_checkpoints as checkpoints

RUNNING = "running"
COMPLETE = "complete"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    source: str
    scope: str
    status: str
    cursor: str | None
    window_from: date | None
    window_until: date | None
    pages: int
    papers: int
    last_error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def harvest_summary(db: Database) -> tuple[datetime | None, int]:
    """When the newest harvest of any source and scope finished, and how many checkpoints
    stand failed (what /metrics reports)."""
    finished = select(func.max(checkpoints.c.finished_at)).where(checkpoints.c.status == COMPLETE)
    failed = select(func.count()).where(checkpoints.c.status == FAILED)
    with db.read() as connection:
        last, failures = connection.scalar(finished), connection.scalar(failed)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite keeps no zone: stored in UTC
    return last, int(failures or 0)


def load_checkpoint(db: Database, source: str, scope: str) -> Checkpoint | None:
    query = select(checkpoints).where(_key(source, scope))
    with db.read() as connection:
        row = connection.execute(query).first()
    return _checkpoint(row._mapping) if row else None


def list_checkpoints(db: Database) -> list[Checkpoint]:
    query = select(checkpoints).order_by(checkpoints.c.source, checkpoints.c.scope)
    with db.read() as connection:
        return [_checkpoint(row._mapping) for row in connection.execute(query)]


def start_harvest(
    db: Database, source: str, scope: str, window: tuple[date | None, date | None] = (None, None)
) -> None:
    """Begin a new run of this harvest from its first page, forgetting any earlier cursor."""
    now = datetime.now(UTC)
    with db.write() as connection:
        connection.execute(delete(checkpoints).where(_key(source, scope)))
        connection.execute(
            checkpoints.insert().values(
                source=source,
                scope=scope,
                status=RUNNING,
                cursor=None,
                window_from=window[0],
                window_until=window[1],
                pages=0,
                papers=0,
                started_at=now,
                updated_at=now,
            )
        )


def record_page(
    connection: Connection, source: str, scope: str, cursor: str | None, papers: int
) -> None:
    """Advance the checkpoint past one stored page; call it inside that page's transaction."""
    connection.execute(
        update(checkpoints)
        .where(_key(source, scope))
        .values(
            cursor=cursor,
            pages=checkpoints.c.pages + 1,
            papers=checkpoints.c.papers + papers,
            status=RUNNING,
            last_error=None,
            updated_at=datetime.now(UTC),
        )
    )


def resume_harvest(db: Database, source: str, scope: str) -> None:
    """Mark a failed or interrupted run as running again, keeping its cursor."""
    _set_status(db, source, scope, RUNNING, error=None)


def finish_harvest(db: Database, source: str, scope: str) -> None:
    _set_status(db, source, scope, COMPLETE, error=None, finished=True)


def fail_harvest(db: Database, source: str, scope: str, error: str) -> None:
    """Record why a run stopped; its cursor stays, so the next run resumes there."""
    _set_status(db, source, scope, FAILED, error=error[:2_000])


def _set_status(
    db: Database, source: str, scope: str, status: str, *, error: str | None, finished: bool = False
) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": status, "last_error": error, "updated_at": now}
    if finished:
        values |= {"finished_at": now, "cursor": None}
    with db.write() as connection:
        connection.execute(update(checkpoints).where(_key(source, scope)).values(**values))


def _key(source: str, scope: str) -> Any:
    return (checkpoints.c.source == source) & (checkpoints.c.scope == scope)


def _checkpoint(values: Any) -> Checkpoint:
    fields = {name: values[name] for name in Checkpoint.__dataclass_fields__}
    for name in ("started_at", "updated_at", "finished_at"):
        moment = fields[name]
        if moment is not None and moment.tzinfo is None:  # SQLite gives naive UTC
            fields[name] = moment.replace(tzinfo=UTC)
    for name in ("window_from", "window_until"):
        if isinstance(fields[name], str):
            fields[name] = date.fromisoformat(fields[name])
    return Checkpoint(**fields)
