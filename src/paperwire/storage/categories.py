"""Category queries: the most recently listed papers filed under one arXiv category."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import Connection, Select, Text, cast, select

from paperwire.papers import Paper
from paperwire.storage.database import Database
from paperwire.storage.papers import papers_by_ids
from paperwire.storage.schema import papers
from paperwire.storage.visibility import is_listed

# How far back from the newest listing day each try looks before the last one reads all.
_WINDOWS_DAYS = (7, 60, 500)
_LIKE_ESCAPE = "\\"


def papers_in_category(db: Database, category: str, limit: int) -> list[Paper]:
    """Up to limit papers whose categories include category, most recently listed first.

    Papers without a listing day are not listed anywhere and are left out.
    """
    with db.read() as connection:
        ids = _recent_ids(connection, category, limit)
    # SQLite's LIKE ignores the case of ASCII letters (cs.ai would match cs.AI); the exact
    # test here makes both backends answer the same.
    return [paper for paper in papers_by_ids(db, ids) if category in paper.categories]


def _recent_ids(connection: Connection, category: str, limit: int) -> list[str]:
    """Look at the newest days first and widen the window until limit papers are found.

    A window on listing_day is a range of ix_papers_listing_rank, so a common category is
    answered from the last days' rows alone; PostgreSQL, which cannot estimate how many
    rows the LIKE keeps, would otherwise read and sort the whole table for every request.
    """
    newest = connection.scalar(
        select(papers.c.listing_day)
        .where(papers.c.listing_day.is_not(None), is_listed())
        .order_by(papers.c.listing_day.desc())
        .limit(1)
    )
    if newest is None:
        return []
    newest = newest if isinstance(newest, date) else date.fromisoformat(newest)
    for days in _WINDOWS_DAYS:
        query = _recent_ids_query(category, limit, since=newest - timedelta(days=days))
        ids = list(connection.scalars(query))
        if len(ids) >= limit:
            return ids
    return list(connection.scalars(_recent_ids_query(category, limit, since=None)))


def _recent_ids_query(category: str, limit: int, since: date | None) -> Select[str]:
    # categories is a JSON list: its text holds each code as a quoted JSON string, so the
    # quotes make "cs.AI" match the whole code only (never cs.AIX or xcs.AI).
    needle = _escape_like(json.dumps(category))
    in_window = (
        papers.c.listing_day.is_not(None) if since is None else papers.c.listing_day >= since
    )
    return (
        select(papers.c.arxiv_id)
        .where(
            in_window,
            is_listed(),
            cast(papers.c.categories, Text).like(f"%{needle}%", escape=_LIKE_ESCAPE),
        )
        # listing_day leads ix_papers_listing_rank: the database walks it from the newest
        # day and sorts only within a day.
        .order_by(
            papers.c.listing_day.desc(),
            papers.c.published_at.desc().nulls_last(),
            papers.c.arxiv_id,
        )
        .limit(limit)
    )


def _escape_like(text: str) -> str:
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text
