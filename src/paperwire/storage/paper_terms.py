"""Stored paper terms: written with each paper's text, read in chunks by the keyword index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select, update

from paperwire.storage.counters import advance_counter, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.index_rows import (
    count_listed_rows,
    count_rows_since,
    listed_row_ids,
    rows_since,
)
from paperwire.storage.schema import change_counters, paper_terms, papers
from paperwire.terms import ANALYZER, encode_paper

TERMS_COUNTER = "terms"
KEYS_PER_QUERY = 1_000  # bound parameters per query, as texts_by_keys reads


@dataclass(frozen=True, slots=True)
class StoredTerms:
    """Paper terms written after some seq, with what the keyword index filters on."""

    paper_ids: np.ndarray  # int64
    blobs: list[bytes]  # one per paper, in the format of paperwire/terms.py
    listing_days: np.ndarray  # int32 proleptic ordinals, 0 when unknown
    categories: list[tuple[str, ...]]
    seq: int  # the newest seq included


def write_terms(connection: Connection, arxiv_ids: Sequence[str]) -> None:
    """Analyze the stored text of these papers and store their terms, in the caller's
    transaction (the one that wrote the text)."""
    if not arxiv_ids:
        return
    query = _texts().where(papers.c.arxiv_id.in_(list(arxiv_ids)))
    _store(connection, _encoded(connection.execute(query).all()))


def refile_terms(connection: Connection, arxiv_ids: Sequence[str]) -> None:
    """Give the stored terms of these papers a new seq, in the caller's transaction, so
    that keyword indexes read them again (a paper shown again after it was hidden)."""
    if not arxiv_ids:
        return
    seq = advance_counter(connection, TERMS_COUNTER)
    keys = select(papers.c.id).where(papers.c.arxiv_id.in_(list(arxiv_ids)))
    connection.execute(update(paper_terms).where(paper_terms.c.paper_id.in_(keys)).values(seq=seq))


def papers_needing_terms(
    db: Database, *, after_paper_id: int = 0, limit: int = 1000
) -> tuple[list[int], int, int]:
    """Keys of papers after after_paper_id, by id, whose terms or pairs are missing or were
    made by another analyzer; the last key looked at (0 when there are no more) and how
    many were."""
    query = (
        select(papers.c.id, paper_terms.c.analyzer, paper_terms.c.pairs.is_not(None))
        .outerjoin(paper_terms, paper_terms.c.paper_id == papers.c.id)
        .where(papers.c.id > after_paper_id)
        .order_by(papers.c.id)
        .limit(limit)
    )
    with db.read() as connection:
        rows = connection.execute(query).all()
    last = int(rows[-1][0]) if rows else 0
    stale = [int(key) for key, analyzer, paired in rows if analyzer != ANALYZER or not paired]
    return stale, last, len(rows)


def write_terms_for_keys(db: Database, keys: Sequence[int]) -> None:
    """Analyze and store the terms of papers by key, where they are still missing or stale.

    The texts are analyzed outside the write transaction: an ingest running beside this
    (as beside a bulk load's follower) needs the write lock meanwhile. If that ingest
    changes a text in between, it stores the new text's terms itself, and these then
    leave them be.
    """
    if not keys:
        return
    with db.read() as connection:
        rows = connection.execute(_texts().where(papers.c.id.in_(list(keys)))).all()
    encoded = _encoded(rows)
    with db.write() as connection:
        _store(connection, encoded, only_stale=True)


def terms_seq(db: Database) -> int:
    """A number that grows with every write of terms: one indexed read."""
    query = select(change_counters.c.value).where(change_counters.c.name == TERMS_COUNTER)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def count_terms(db: Database) -> int:
    """How many papers have terms made by the current analyzer."""
    query = select(func.count()).where(paper_terms.c.analyzer == ANALYZER)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def count_listed_terms(db: Database) -> int:
    """How many papers readers may see have terms made by the current analyzer: what a
    keyword index holds once current."""
    return count_listed_rows(db, paper_terms, paper_terms.c.analyzer == ANALYZER)


def count_terms_since(db: Database, after_seq: int) -> int:
    """Papers whose terms were written after after_seq (by any analyzer)."""
    return count_rows_since(db, paper_terms, after_seq)


def listed_term_ids(db: Database) -> np.ndarray:
    """The ids of the papers readers may see that have current terms, ascending."""
    return listed_row_ids(db, paper_terms, paper_terms.c.analyzer == ANALYZER)


def count_missing_pairs(db: Database) -> int:
    """How many papers with current terms have no stored pairs (analysed before migration
    0015): the feed analyses their text until `paperwire embed` stores them."""
    query = select(func.count()).where(
        paper_terms.c.analyzer == ANALYZER, paper_terms.c.pairs.is_(None)
    )
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def model_terms_by_keys(db: Database, keys: Sequence[int]) -> dict[int, tuple[bytes, bytes]]:
    """The stored terms and pairs of those papers that have both, by key."""
    found: dict[int, tuple[bytes, bytes]] = {}
    query = select(paper_terms.c.paper_id, paper_terms.c.terms, paper_terms.c.pairs).where(
        paper_terms.c.analyzer == ANALYZER, paper_terms.c.pairs.is_not(None)
    )
    with db.read() as connection:
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = list(keys[start : start + KEYS_PER_QUERY])
            rows = connection.execute(query.where(paper_terms.c.paper_id.in_(chunk)))
            found.update((int(key), (bytes(terms), bytes(pairs))) for key, terms, pairs in rows)
    return found


def terms_since(db: Database, after_seq: int, *, chunk: int = 20_000) -> Iterator[StoredTerms]:
    """Terms of the current analyzer written after after_seq, in chunks, oldest first."""
    for filing, blobs in rows_since(
        db,
        paper_terms,
        paper_terms.c.terms,
        paper_terms.c.analyzer == ANALYZER,
        after_seq=after_seq,
        chunk=chunk,
    ):
        yield StoredTerms(
            filing.paper_ids,
            [bytes(blob) for blob in blobs],
            filing.listing_days,
            filing.categories,
            filing.seq,
        )


def _texts() -> Any:
    return select(papers.c.id, papers.c.title, papers.c.authors, papers.c.abstract)


def _encoded(rows: Sequence[Any]) -> list[tuple[int, bytes, bytes]]:
    """(key, terms, pairs) of (key, title, authors, abstract) rows."""
    return [
        (key, *encode_paper(title, authors or (), abstract))
        for key, title, authors, abstract in rows
    ]


def _store(
    connection: Connection, encoded: list[tuple[int, bytes, bytes]], *, only_stale: bool = False
) -> None:
    """Store encoded terms; only_stale: not over terms already current (another writer
    analyzed a newer text since these were read)."""
    if not encoded:
        return
    # The counter row is locked from here to the commit: analyze the texts before.
    seq = advance_counter(connection, TERMS_COUNTER)
    values = [
        {"paper_id": key, "analyzer": ANALYZER, "terms": terms, "pairs": pairs, "seq": seq}
        for key, terms, pairs in encoded
    ]
    statement = dialect_insert(connection, paper_terms)
    stale = (paper_terms.c.analyzer != ANALYZER) | paper_terms.c.pairs.is_(None)
    upsert = statement.on_conflict_do_update(
        index_elements=[paper_terms.c.paper_id],
        set_={name: statement.excluded[name] for name in ("analyzer", "terms", "pairs", "seq")},
        where=stale if only_stale else None,
    )
    connection.execute(upsert, values)
