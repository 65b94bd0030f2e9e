"""The stars refresh's storage: which repositories are due, claimed so that two refreshers
never ask about the same one at once, and what each answer records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from paperwire.ranking.code_trending import HISTORY_DAYS, DailyCount, code_trend, trend_rank
from paperwire.storage.counters import CODE_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import paper_links, repositories, repository_stars

GITHUB_HOST = "github.com"
STATUS_OK = "ok"
STATUS_MISSING = "missing"
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class DueRepository:
    """A repository this refresher holds until its claim runs out."""

    id: int
    path: str  # owner/name as last seen
    etag: str | None
    stars: int | None


@dataclass(frozen=True, slots=True)
class Scoring:
    """When a count is recorded, and how it is scored."""

    now: datetime
    next_check_at: datetime
    half_life_hours: float


def count_due(db: Database, now: datetime) -> int:
    """How many GitHub repositories are due for a count as of now."""
    query = select(func.count()).select_from(repositories).where(_is_due(now))
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def next_due_at(db: Database) -> datetime | None:
    """When the next GitHub repository falls due (None: there are none)."""
    query = select(func.min(repositories.c.next_check_at)).where(repositories.c.host == GITHUB_HOST)
    with db.read() as connection:
        return _utc(connection.scalar(query))


def claim_due(db: Database, now: datetime, lease_seconds: float) -> DueRepository | None:
    """Take the GitHub repository due longest ago, moving its next check past the lease so
    that no other refresher takes it meanwhile (a refresher that dies gives it back when
    the lease ends). None when nothing is due.

    A conditional UPDATE decides: a row another refresher claimed in the meantime no longer
    matches it. On PostgreSQL the row is picked with FOR UPDATE SKIP LOCKED, so concurrent
    refreshers take different rows; SQLite's BEGIN IMMEDIATE serialises the claim.
    """
    # The claim is not counted as a change: no page shows next_check_at.
    with db.write() as connection:
        for _ in range(3):  # a row taken between the pick and the UPDATE: pick again
            row = connection.execute(
                select(
                    repositories.c.id,
                    repositories.c.path,
                    repositories.c.etag,
                    repositories.c.stars,
                )
                .where(_is_due(now))
                .order_by(repositories.c.next_check_at, repositories.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            until = now + timedelta(seconds=lease_seconds)
            taken = connection.execute(
                update(repositories)
                .where(repositories.c.id == row.id, _is_due(now))
                .values(next_check_at=until)
            )
            if taken.rowcount == 1:
                return DueRepository(row.id, row.path, row.etag, row.stars)
    return None


def release_claim(db: Database, repository_id: int, now: datetime) -> None:
    """Make a claimed repository due again at once (this refresher did not ask after all)."""
    with db.write() as connection:
        connection.execute(
            update(repositories).where(repositories.c.id == repository_id).values(next_check_at=now)
        )


def record_count(
    db: Database,
    repository_id: int,
    *,
    stars: int,
    etag: str | None,
    remote_id: int | None,
    scoring: Scoring,
) -> bool:
    """Store today's count and the repository's new score; False when the repository no
    longer exists (merged into another by a rename meanwhile)."""
    with db.write() as connection:
        if not _lock(connection, repository_id):
            return False
        _store_count(connection, repository_id, stars, scoring)
        values: dict[str, Any] = {"etag": etag, "status": STATUS_OK, "last_error": None}
        if remote_id is not None:
            values["remote_id"] = remote_id
        _checked(connection, repository_id, scoring, values)
        return True


def record_not_modified(
    db: Database, repository_id: int, *, etag: str | None, scoring: Scoring
) -> bool:
    """A 304: today's count is the stored one; it is still written, and the score redone
    (the days it weighs have moved on)."""
    with db.write() as connection:
        found = _lock(connection, repository_id)
        if found is None:
            return False
        if found.stars is not None:
            _store_count(connection, repository_id, int(found.stars), scoring)
        values: dict[str, Any] = {"status": STATUS_OK, "last_error": None}
        if etag:
            values["etag"] = etag
        _checked(connection, repository_id, scoring, values)
        return True


def record_missing(db: Database, repository_id: int, status: int, scoring: Scoring) -> bool:
    """GitHub no longer shows the repository: its history and last count are kept, and it
    is asked again at scoring.next_check_at."""
    with db.write() as connection:
        if _lock(connection, repository_id) is None:
            return False
        values = {"status": STATUS_MISSING, "etag": None, "last_error": f"HTTP {status}"}
        _checked(connection, repository_id, scoring, values)
        return True


def record_error(db: Database, repository_id: int, message: str, next_check_at: datetime) -> bool:
    """A failed request: the message is kept for `paperwire code status`-like reports and
    the repository is asked again at next_check_at; its count and status are kept."""
    with db.write() as connection:
        changed = connection.execute(
            update(repositories)
            .where(repositories.c.id == repository_id)
            .values(last_error=message[:MAX_ERROR_CHARS], next_check_at=next_check_at)
        )
        count_change(connection, CODE_COUNTER)
        return changed.rowcount == 1


def record_rename(db: Database, repository_id: int, full_name: str) -> int:
    """GitHub now names the repository full_name: its path, URL and its papers' code links
    follow. When another row already has that name, the two are merged into this one
    (links, and the union of their daily counts) and the other is deleted. The id."""
    with db.write() as connection:
        if _lock(connection, repository_id) is None:
            return repository_id
        key = full_name.lower()
        other = connection.scalar(
            select(repositories.c.id).where(
                repositories.c.host == GITHUB_HOST,
                repositories.c.path_key == key,
                repositories.c.id != repository_id,
            )
        )
        if other is not None:
            _merge(connection, keep=repository_id, drop=int(other))
        url = f"https://{GITHUB_HOST}/{full_name}"
        connection.execute(
            update(repositories)
            .where(repositories.c.id == repository_id)
            .values(path=full_name, path_key=key, url=url)
        )
        connection.execute(
            update(paper_links)
            .where(paper_links.c.repository_id == repository_id)
            .values(code_url=url, updated_at=datetime.now(UTC))
        )
        count_change(connection, CODE_COUNTER)
        return repository_id


def star_history(db: Database, repository_id: int) -> list[DailyCount]:
    """Every stored daily count of a repository, oldest first."""
    query = (
        select(repository_stars.c.day, repository_stars.c.stars)
        .where(repository_stars.c.repository_id == repository_id)
        .order_by(repository_stars.c.day)
    )
    with db.read() as connection:
        return [(_day(day), int(stars)) for day, stars in connection.execute(query)]


def _merge(connection: Connection, *, keep: int, drop: int) -> None:
    """Move drop's links and the days keep lacks onto keep, then delete drop."""
    _lock(connection, drop)
    days = connection.execute(
        select(repository_stars.c.day, repository_stars.c.stars).where(
            repository_stars.c.repository_id == drop
        )
    ).all()
    if days:
        insert = dialect_insert(connection, repository_stars)
        connection.execute(
            insert.on_conflict_do_nothing(index_elements=["repository_id", "day"]),
            [{"repository_id": keep, "day": day, "stars": stars} for day, stars in days],
        )
    connection.execute(
        update(paper_links).where(paper_links.c.repository_id == drop).values(repository_id=keep)
    )
    connection.execute(delete(repositories).where(repositories.c.id == drop))


def _lock(connection: Connection, repository_id: int) -> Any:
    """The repository's row, locked for this transaction on PostgreSQL (a merge deleting
    it waits, or is waited for); None when it is gone."""
    return connection.execute(
        select(repositories.c.id, repositories.c.stars)
        .where(repositories.c.id == repository_id)
        .with_for_update()
    ).first()


def _store_count(connection: Connection, repository_id: int, stars: int, scoring: Scoring) -> None:
    """Upsert today's count, then score the history the formula needs."""
    today = scoring.now.astimezone(UTC).date()
    insert = dialect_insert(connection, repository_stars).values(
        repository_id=repository_id, day=today, stars=stars
    )
    connection.execute(
        insert.on_conflict_do_update(index_elements=["repository_id", "day"], set_={"stars": stars})
    )
    trend = code_trend(
        _recent_history(connection, repository_id, today), today, scoring.half_life_hours
    )
    connection.execute(
        update(repositories)
        .where(repositories.c.id == repository_id)
        .values(
            stars=stars,
            trend_score=trend.trend_score,
            trend_rank=trend_rank(trend.trend_score, scoring.now, scoring.half_life_hours),
            stars_gained_week=trend.stars_gained_week,
            scored_at=scoring.now,
        )
    )


def _recent_history(connection: Connection, repository_id: int, today: date) -> list[DailyCount]:
    """The days after today − HISTORY_DAYS and the latest one at or before it."""
    start = today - timedelta(days=HISTORY_DAYS)
    of_repository = repository_stars.c.repository_id == repository_id
    recent = connection.execute(
        select(repository_stars.c.day, repository_stars.c.stars).where(
            of_repository, repository_stars.c.day > start
        )
    ).all()
    earlier = connection.execute(
        select(repository_stars.c.day, repository_stars.c.stars)
        .where(of_repository, repository_stars.c.day <= start)
        .order_by(repository_stars.c.day.desc())
        .limit(1)
    ).all()
    return [(_day(day), int(stars)) for day, stars in [*earlier, *recent]]


def _checked(
    connection: Connection, repository_id: int, scoring: Scoring, values: dict[str, Any]
) -> None:
    connection.execute(
        update(repositories)
        .where(repositories.c.id == repository_id)
        .values(values | {"checked_at": scoring.now, "next_check_at": scoring.next_check_at})
    )
    count_change(connection, CODE_COUNTER)


def _is_due(now: datetime) -> Any:
    # `host || ''` keeps SQLite's planner off the (host, path_key) index, which would
    # sort every GitHub row on each claim (measured: 350 → 120 claims/s from 2,000 to
    # 20,000 repositories); this way it walks ix_repositories_next_check_at in order.
    # An index on (host, next_check_at) would make the trick unnecessary.
    return (repositories.c.host.concat("") == GITHUB_HOST) & (repositories.c.next_check_at <= now)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
