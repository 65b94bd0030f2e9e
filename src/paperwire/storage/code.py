"""What lists and pages show of a paper's code: its links, its repository's stars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select

from paperwire.storage.counters import dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import paper_links, papers, repositories


@dataclass(frozen=True, slots=True)
class PaperCode:
    """A paper's links and, when its code is a tracked repository, that repository's stars."""

    code_url: str | None = None
    project_url: str | None = None
    stars: int | None = None  # None: not counted yet (or not a host whose stars are tracked)
    stars_gained_week: int = 0
    repository_status: str | None = None  # new, ok, missing

    @property
    def has_code(self) -> bool:
        return self.code_url is not None


NO_CODE = PaperCode()


# Read on every page that lists papers: built once (see storage/papers.py).
_CODE = (
    select(
        papers.c.arxiv_id,
        paper_links.c.code_url,
        paper_links.c.project_url,
        repositories.c.stars,
        repositories.c.stars_gained_week,
        repositories.c.status,
    )
    .select_from(
        papers.join(paper_links, paper_links.c.paper_id == papers.c.id).outerjoin(
            repositories, repositories.c.id == paper_links.c.repository_id
        )
    )
    .where(papers.c.arxiv_id.in_(bindparam("arxiv_ids", expanding=True)))
)


def code_for(db: Database, arxiv_ids: Sequence[str]) -> dict[str, PaperCode]:
    """The links and stars of the papers among arxiv_ids that have any: one query."""
    if not arxiv_ids:
        return {}
    with db.read() as connection:
        rows = connection.execute(_CODE, {"arxiv_ids": sorted(set(arxiv_ids))}).all()
    return {
        row.arxiv_id: PaperCode(
            code_url=row.code_url,
            project_url=row.project_url,
            stars=row.stars,
            stars_gained_week=int(row.stars_gained_week or 0),
            repository_status=row.status,
        )
        for row in rows
    }


def ensure_repository(connection: Connection, host: str, path: str, url: str) -> int:
    """The id of the repository at host/path (compared without regard to case), added as
    new (due for its first star count now) when it is not known yet."""
    key = path.lower()
    now = datetime.now(UTC)
    insert = dialect_insert(connection, repositories).values(
        host=host, path=path, path_key=key, url=url, created_at=now, next_check_at=now
    )
    connection.execute(insert.on_conflict_do_nothing(index_elements=["host", "path_key"]))
    query = select(repositories.c.id).where(
        repositories.c.host == host, repositories.c.path_key == key
    )
    return int(connection.scalar(query) or 0)
