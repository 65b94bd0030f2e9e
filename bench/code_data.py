"""Papers with code for the page benchmark: links found in the stored papers, and SYNTHETIC
star histories for their GitHub repositories (no request goes to GitHub)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update

from paperwire.code.backfill import backfill_links
from paperwire.ranking.code_trending import HISTORY_DAYS, code_trend, trend_rank
from paperwire.storage import Database
from paperwire.storage.counters import CODE_COUNTER, count_change
from paperwire.storage.schema import paper_links, repositories, repository_stars

SEED = 20240408
BATCH = 2_000


@dataclass(frozen=True, slots=True)
class CodeData:
    links_from: str  # which pass found the links
    papers_with_code: int
    repositories: int
    github_repositories: int
    trending_repositories: int  # trend_score > 0

    def describe(self) -> str:
        return (
            f"code links ({self.links_from}): {self.papers_with_code:,} papers, "
            f"{self.repositories:,} repositories ({self.github_repositories:,} on GitHub, "
            f"{self.trending_repositories:,} with SYNTHETIC recent star gains)"
        )


def add_code(db: Database, half_life_hours: float) -> CodeData:
    """Links for every stored paper, then a synthetic 15-day star history per GitHub
    repository, scored with the documented formula as the refresh job would."""
    links_from = _add_links(db)
    today = datetime.now(UTC).date()
    with db.write() as connection:
        github = list(
            connection.scalars(select(repositories.c.id).where(repositories.c.host == "github.com"))
        )
        trending = _add_histories(connection, github, today, half_life_hours)
        count_change(connection, CODE_COUNTER)
        with_code = connection.scalar(
            select(func.count()).where(paper_links.c.code_url.is_not(None))
        )
        total = connection.scalar(select(func.count()).select_from(repositories))
    return CodeData(links_from, int(with_code or 0), int(total or 0), len(github), trending)


def _add_links(db: Database) -> str:
    """Links as an instance gets them for papers stored before links existed."""
    backfill_links(db)
    return "paperwire.code.backfill.backfill_links"


def _add_histories(connection: Any, keys: list[int], today: date, half_life: float) -> int:
    """A made-up daily count per repository for HISTORY_DAYS days: a heavy-tailed base,
    most repositories gaining nothing on most days, a few gaining many stars."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    stars_rows: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for key in keys:
        count = int(rng.lognormvariate(3.0, 1.8))
        history = []
        for offset in range(HISTORY_DAYS, -1, -1):
            if rng.random() < 0.15:
                count += int(rng.expovariate(1 / 20))
            history.append((today - timedelta(days=offset), count))
        stars_rows += [{"repository_id": key, "day": d, "stars": n} for d, n in history]
        trend = code_trend(history, today, half_life)
        scores.append(
            {
                "key": key,
                "stars": count,
                "trend_score": trend.trend_score,
                "trend_rank": trend_rank(trend.trend_score, now, half_life),
                "stars_gained_week": trend.stars_gained_week,
                "scored_at": now,
            }
        )
    if stars_rows:
        connection.execute(repository_stars.insert(), stars_rows)
        statement = (
            update(repositories).where(repositories.c.id == bindparam("key")).values(status="ok")
        )
        connection.execute(statement, scores)
    return sum(1 for row in scores if row["trend_score"] > 0)
