"""Exact nearest-neighbour search over all paper embeddings, kept in step with the database.

Each process holds the vectors as one float32 matrix; a query is one matrix-vector product
(about 4 ms at 100k papers of 256 dimensions on one core), exact by construction. Before
each query the index reads the embeddings counter (one indexed row) and, when it moved,
loads only the embeddings written since, so papers added by an ingest in another process
are searchable at once. See docs/search.md for why exact search was chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from paperwire.search.memory import release_freed_memory
from paperwire.search.row_filter import allowed_rows, with_category_rows
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.embeddings import StoredVectors
from paperwire.storage.search import PaperFilter


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """An immutable state of the index: queries read one while a refresh builds the next."""

    paper_ids: np.ndarray  # int64, one per row
    vectors: np.ndarray  # float32 (rows, dims)
    listing_days: np.ndarray  # int32 ordinals, 0 when unknown
    categories: dict[str, np.ndarray]  # category -> row numbers
    row_categories: tuple[tuple[str, ...], ...]  # the same, row by row
    rows_by_paper: dict[int, int]
    seq: int


def _empty(dims: int) -> _Snapshot:
    return _Snapshot(
        np.zeros(0, np.int64), np.zeros((0, dims), np.float32), np.zeros(0, np.int32),
        {}, (), {}, 0,
    )  # fmt: skip


@dataclass
class VectorIndex:
    """The embeddings of one model, searchable by cosine similarity."""

    model: str
    dims: int
    _snapshot: _Snapshot = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._snapshot = _empty(self.dims)

    def __len__(self) -> int:
        return len(self._snapshot.paper_ids)

    @property
    def seq(self) -> int:
        """The embeddings counter this index has loaded up to."""
        return self._snapshot.seq

    def refresh(self, db: Database) -> None:
        """Load what was written since the last refresh; one indexed read when nothing was."""
        if embedding_store.embeddings_seq(db) == self._snapshot.seq:
            return
        with self._lock:
            seq = embedding_store.embeddings_seq(db)
            current = self._snapshot
            if seq == current.seq:
                return
            updated = _with_rows(current, self._read(db, current.seq), seq)
            if len(updated.paper_ids) != embedding_store.count_listed_embeddings(db, self.model):
                # Rows went away (a paper deleted or hidden, another model's vector stored
                # in its place): start again from everything stored.
                updated = _with_rows(_empty(self.dims), self._read(db, 0), seq)
            self._snapshot = updated
        release_freed_memory()

    def _read(self, db: Database, after_seq: int) -> list[StoredVectors]:
        return list(embedding_store.vectors_since(db, self.model, self.dims, after_seq))

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        snapshot = self._snapshot
        row = snapshot.rows_by_paper.get(paper_id)
        return None if row is None else snapshot.vectors[row]

    def vectors_of(self, paper_ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The vectors of those of paper_ids the index holds, in their order, and which."""
        snapshot = self._snapshot
        found = [
            (key, row) for key in paper_ids if (row := snapshot.rows_by_paper.get(key)) is not None
        ]
        rows = np.array([row for _, row in found], dtype=np.int64)
        return [key for key, _ in found], snapshot.vectors[rows]

    def nearest(
        self,
        query: np.ndarray,
        k: int,
        where: PaperFilter | None = None,
        exclude: int | None = None,
    ) -> list[tuple[int, float]]:
        """The k papers most similar to query (a unit vector), best first, as (id, cosine)."""
        snapshot = self._snapshot
        if k <= 0 or not len(snapshot.paper_ids):
            return []
        scores = snapshot.vectors @ query.astype(np.float32, copy=False)
        allowed = allowed_rows(snapshot.listing_days, snapshot.categories, where)
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        if exclude is not None and exclude in snapshot.rows_by_paper:
            scores[snapshot.rows_by_paper[exclude]] = -np.inf
        take = min(k, len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(snapshot.paper_ids[i]), float(scores[i])) for i in top if scores[i] > -np.inf]


def _with_rows(current: _Snapshot, chunks: list[StoredVectors], seq: int) -> _Snapshot:
    """current with the rows in chunks put in place of older ones or added at the end."""
    seq = max([seq, *[chunk.seq for chunk in chunks]])
    updated = current
    fresh: list[StoredVectors] = []
    for chunk in chunks:
        known = current.rows_by_paper
        is_known = np.fromiter(
            (int(i) in known for i in chunk.paper_ids), bool, len(chunk.paper_ids)
        )
        if is_known.any():
            updated = _replaced(updated, current, _subset(chunk, is_known))
        fresh.append(_subset(chunk, ~is_known))
    return _appended(replace(updated, seq=seq), fresh)


def _replaced(snapshot: _Snapshot, original: _Snapshot, chunk: StoredVectors) -> _Snapshot:
    """snapshot with the vectors, listing days and categories of papers it holds replaced
    by those in chunk (a paper re-embedded, or re-filed under another day or category);
    arrays still shared with the original are copied first."""
    rows = [snapshot.rows_by_paper[int(i)] for i in chunk.paper_ids]
    vectors, days = snapshot.vectors, snapshot.listing_days
    if vectors is original.vectors:
        vectors, days = vectors.copy(), days.copy()
    vectors[rows] = chunk.vectors
    days[rows] = chunk.listing_days
    filed = list(snapshot.row_categories)
    for row, found in zip(rows, chunk.categories, strict=True):
        filed[row] = found
    categories = snapshot.categories
    if filed != list(snapshot.row_categories):
        categories = with_category_rows({}, filed, 0)
    return replace(
        snapshot,
        vectors=vectors,
        listing_days=days,
        categories=categories,
        row_categories=tuple(filed),
    )


def _subset(chunk: StoredVectors, keep: np.ndarray) -> StoredVectors:
    return StoredVectors(
        chunk.paper_ids[keep],
        chunk.vectors[keep],
        chunk.listing_days[keep],
        [found for found, kept in zip(chunk.categories, keep, strict=True) if kept],
        chunk.seq,
    )


def _appended(base: _Snapshot, chunks: list[StoredVectors]) -> _Snapshot:
    chunks = [chunk for chunk in chunks if len(chunk.paper_ids)]
    if not chunks:
        return base
    first_row = len(base.paper_ids)
    new_ids = np.concatenate([chunk.paper_ids for chunk in chunks])
    rows = base.rows_by_paper | dict(
        zip(new_ids.tolist(), range(first_row, first_row + len(new_ids)), strict=True)
    )
    added = [found for chunk in chunks for found in chunk.categories]
    by_category = with_category_rows(base.categories, added, first_row)
    return _Snapshot(
        paper_ids=np.concatenate([base.paper_ids, new_ids]),
        vectors=np.concatenate([base.vectors, *[c.vectors for c in chunks]]),
        listing_days=np.concatenate([base.listing_days, *[c.listing_days for c in chunks]]),
        categories=by_category,
        row_categories=base.row_categories + tuple(added),
        rows_by_paper=rows,
        seq=base.seq,
    )
