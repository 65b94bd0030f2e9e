"""Rows of a per-paper table that an in-memory index loads: those of listed papers written
after a seq, with the listing day and categories the index filters on."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Table, func, select

from paperwire.storage.database import Database
from paperwire.storage.schema import papers


@dataclass(frozen=True, slots=True)
class Filing:
    """The papers of a chunk of rows, and what each is filed under."""

    paper_ids: np.ndarray  # int64
    listing_days: np.ndarray  # int32 proleptic ordinals, 0 when unknown
    categories: list[tuple[str, ...]]
    seq: int  # the newest seq included


def rows_since(
    db: Database,
    table: Table,
    payload: ColumnElement[Any],
    *conditions: ColumnElement[bool],
    after_seq: int,
    chunk: int,
) -> Iterator[tuple[Filing, list[Any]]]:
    """The rows of table (keyed by paper_id, with a seq column) of papers not hidden,
    written after after_seq and meeting conditions, in chunks, oldest writes first: each
    chunk's filing and its payload values, in the same order."""
    query = (
        select(table.c.paper_id, payload, table.c.seq, papers.c.listing_day, papers.c.categories)
        .join(papers, papers.c.id == table.c.paper_id)
        .where(table.c.seq > after_seq, papers.c.hidden_at.is_(None), *conditions)
        .order_by(table.c.seq, table.c.paper_id)
    )
    with db.read() as connection:
        result = connection.execution_options(stream_results=True).execute(query)
        for rows in result.partitions(chunk):
            yield _filing(rows), [row[1] for row in rows]


def count_listed_rows(db: Database, table: Table, *conditions: ColumnElement[bool]) -> int:
    """How many rows of table meeting conditions rows_since would load from the start."""
    every = select(func.count()).select_from(table).where(*conditions)
    # Counted apart from the rest: joining every row to its paper would cost a read of
    # each paper, where hidden papers are few and found by ix_papers_hidden_at. (Written
    # as IN, not a join: SQLite then starts from the hidden papers; with a join it walked
    # every row of the condition's index instead, 650 ms at 1M papers against 0.1 ms.)
    hidden_ids = select(papers.c.id).where(papers.c.hidden_at.is_not(None))
    hidden = (
        select(func.count())
        .select_from(table)
        .where(table.c.paper_id.in_(hidden_ids.scalar_subquery()), *conditions)
    )
    with db.read() as connection:
        return int(connection.scalar(every) or 0) - int(connection.scalar(hidden) or 0)


def count_rows_since(db: Database, table: Table, after_seq: int) -> int:
    """How many rows of table were written after after_seq (of any model or analyzer, and
    of hidden papers too): how far an index built at after_seq is behind. Counted by the
    seq index alone: with the model or analyzer as a condition SQLite walked that index
    instead, every row of it (0.6 s at 1M papers)."""
    query = select(func.count()).select_from(table).where(table.c.seq > after_seq)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def listed_row_ids(db: Database, table: Table, *conditions: ColumnElement[bool]) -> np.ndarray:
    """The paper ids (int64, ascending) of the rows of table meeting conditions that
    rows_since would load from the start: what an index on disk checks its papers against
    when some went away."""
    query = (
        select(table.c.paper_id)
        .join(papers, papers.c.id == table.c.paper_id)
        .where(papers.c.hidden_at.is_(None), *conditions)
        .order_by(table.c.paper_id)
    )
    with db.read() as connection:
        result = connection.execution_options(stream_results=True).execute(query)
        parts = [
            np.fromiter((row[0] for row in rows), np.int64, count=len(rows))
            for rows in result.partitions(100_000)
        ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _filing(rows: Sequence[Any]) -> Filing:
    return Filing(
        paper_ids=np.fromiter((row[0] for row in rows), np.int64, count=len(rows)),
        listing_days=np.fromiter((day_ordinal(row[3]) for row in rows), np.int32, len(rows)),
        categories=[filed_under(row[4]) for row in rows],
        seq=int(max(row[2] for row in rows)),
    )


def filed_under(categories: Sequence[str] | None) -> tuple[str, ...]:
    """A paper's categories as kept by the in-memory indexes: interned, since every process
    holds them for each of its papers and a few hundred names repeat across all of them."""
    return tuple(sys.intern(category) for category in categories or ())


def day_ordinal(day: date | str | None) -> int:
    if day is None:
        return 0
    return (day if isinstance(day, date) else date.fromisoformat(day)).toordinal()
