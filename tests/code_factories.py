"""Factories for papers with code: a paper's links and a repository with a star history,
written directly, so that list tests need neither link extraction nor the refresh job."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import Connection, select, update

from paperwire.config import Settings
from paperwire.ranking.code_trending import trend_rank
from paperwire.storage import Database
from paperwire.storage.code import ensure_repository
from paperwire.storage.counters import CODE_COUNTER, count_change, dialect_insert
from paperwire.storage.schema import paper_links, papers, repositories, repository_stars

DEFAULT_HALF_LIFE_HOURS = Settings.model_fields["trending_half_life_hours"].default


def add_repository(
    db: Database,
    path: str,
    *,
    host: str = "github.com",
    history: Mapping[date, int] | None = None,
    trend_score: float = 0.0,
    scored_at: datetime | None = None,
    stars_gained_week: int = 0,
) -> int:
    """A repository at host/path with a star count per day (the latest is its `stars`) and
    the scores the refresh job would have written; its id."""
    history = dict(history or {})
    moment = scored_at or (datetime.now(UTC) if history else None)
    rank = trend_rank(trend_score, moment, DEFAULT_HALF_LIFE_HOURS) if moment else None
    with db.write() as connection:
        key = ensure_repository(connection, host, path, f"https://{host}/{path}")
        if history:
            connection.execute(
                repository_stars.insert(),
                [{"repository_id": key, "day": d, "stars": n} for d, n in sorted(history.items())],
            )
        connection.execute(
            update(repositories)
            .where(repositories.c.id == key)
            .values(
                status="ok" if history else "new",
                stars=history[max(history)] if history else None,
                trend_score=trend_score,
                trend_rank=rank,
                scored_at=moment,
                stars_gained_week=stars_gained_week,
            )
        )
        count_change(connection, CODE_COUNTER)
    return key


def link_code(
    db: Database,
    arxiv_id: str,
    code_url: str | None,
    *,
    project_url: str | None = None,
    repository_id: int | None = None,
) -> None:
    """Give a stored paper its code and project links (source "text")."""
    with db.write() as connection:
        paper_id = _paper_id(connection, arxiv_id)
        values = {
            "paper_id": paper_id,
            "code_url": code_url,
            "code_source": "text" if code_url else None,
            "project_url": project_url,
            "project_source": "text" if project_url else None,
            "repository_id": repository_id,
            "updated_at": datetime.now(UTC),
        }
        insert = dialect_insert(connection, paper_links).values(**values)
        connection.execute(insert.on_conflict_do_update(index_elements=["paper_id"], set_=values))
        count_change(connection, CODE_COUNTER)


def link_repository(
    db: Database,
    arxiv_id: str,
    path: str,
    *,
    history: Mapping[date, int] | None = None,
    trend_score: float = 0.0,
    scored_at: datetime | None = None,
    stars_gained_week: int = 0,
) -> int:
    """A GitHub repository linked as arxiv_id's code; its id."""
    key = add_repository(
        db,
        path,
        history=history,
        trend_score=trend_score,
        scored_at=scored_at,
        stars_gained_week=stars_gained_week,
    )
    link_code(db, arxiv_id, f"https://github.com/{path}", repository_id=key)
    return key


def _paper_id(connection: Connection, arxiv_id: str) -> int:
    found = connection.scalar(select(papers.c.id).where(papers.c.arxiv_id == arxiv_id))
    if found is None:
        raise LookupError(f"no stored paper {arxiv_id}")
    return int(found)
