"""Nearest-neighbour search over all paper embeddings, kept in step with the database.

The bulk of the vectors comes from the current index generation on disk (vector_base.py:
mapped float32 rows and an HNSW graph, shared by every process on the machine); the
embeddings written after it was built form an overlay held in this process as one float32
matrix and scanned exactly (one matrix-vector product). Before each query the index reads
the embeddings counter (one indexed row) and, when it moved, loads only the embeddings
written since, so papers added by an ingest in another process are searchable at once; a
paper re-embedded or gone since the generation was built is masked out of it. Without a
generation (a fresh database, a command-line search) the overlay holds every vector, which
is exact search as before. See docs/search.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from paperwire.search.background import BackgroundRefresh
from paperwire.search.index_files import IndexFileError, IndexFolder
from paperwire.search.memory import release_freed_memory
from paperwire.search.row_filter import allowed_rows, with_category_rows
from paperwire.search.vector_base import (
    EXPANSION_NEAR_PAPER,
    EXPANSION_NEAR_QUERY,
    VectorBase,
    open_vector_base,
)
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.embeddings import StoredVectors
from paperwire.storage.search import PaperFilter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The overlay: vectors written after the generation (all of them without one)."""

    paper_ids: np.ndarray  # int64, one per row
    vectors: np.ndarray  # float32 (rows, dims)
    listing_days: np.ndarray  # int32 ordinals, 0 when unknown
    categories: dict[str, np.ndarray]  # category -> row numbers
    row_categories: tuple[tuple[str, ...], ...]  # the same, row by row
    rows_by_paper: dict[int, int]
    seq: int


def _empty(dims: int, seq: int = 0) -> _Snapshot:
    return _Snapshot(
        np.zeros(0, np.int64), np.zeros((0, dims), np.float32), np.zeros(0, np.int32),
        {}, (), {}, seq,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _State:
    """An immutable state of the index: queries read one while a refresh builds the next."""

    generation: str | None  # the name of the generation last looked at (None: none yet)
    base: VectorBase | None  # its vectors, when it has them for this model
    unlisted: np.ndarray  # bool per base row: the paper was hidden or deleted since
    usable: np.ndarray  # bool per base row: neither unlisted nor held anew by the overlay
    usable_count: int
    overlay: _Snapshot

    @property
    def live(self) -> int:
        return self.usable_count + len(self.overlay.paper_ids)


def _state(generation: str | None, base: VectorBase | None, dims: int) -> _State:
    rows = len(base) if base is not None else 0
    unlisted = np.zeros(rows, bool)
    overlay = _empty(dims, base.seq if base is not None else 0)
    return _State(generation, base, unlisted, ~unlisted, rows, overlay)


def _with_overlay(state: _State, overlay: _Snapshot, unlisted: np.ndarray | None = None) -> _State:
    """state with a new overlay: base rows of papers the overlay holds are masked out."""
    unlisted = state.unlisted if unlisted is None else unlisted
    usable = ~unlisted
    if state.base is not None and len(overlay.paper_ids):
        rows = state.base.rows.rows_of(overlay.paper_ids)
        usable[rows[rows >= 0]] = False
    count = int(np.count_nonzero(usable))
    return replace(state, unlisted=unlisted, usable=usable, usable_count=count, overlay=overlay)


@dataclass
class VectorIndex:
    """The embeddings of one model, searchable by cosine similarity."""

    model: str
    dims: int
    folder: IndexFolder | None = None  # where generations are written; None: memory only
    _state: _State = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _background: BackgroundRefresh = field(
        default_factory=lambda: BackgroundRefresh("vector index"), init=False
    )

    def __post_init__(self) -> None:
        self._state = _state(None, None, self.dims)

    def __len__(self) -> int:
        return self._state.live

    @property
    def seq(self) -> int:
        """The embeddings counter this index has loaded up to."""
        return self._state.overlay.seq

    @property
    def generation(self) -> str | None:
        """The generation on disk this index searches, if any."""
        base = self._state.base
        return None if base is None else base.name

    def refresh(self, db: Database, *, inline_rows: int | None = None) -> None:
        """Load what was written since the last refresh, and switch to a newer generation
        when one was built; one indexed read (and one small file read) when nothing was.
        With inline_rows, more rows than that are loaded in a background thread instead,
        and this call returns at once (an index holding nothing yet loads here)."""
        moved = self._generation_moved()
        seq = self._state.overlay.seq
        if not moved and embedding_store.embeddings_seq(db) == seq:
            return
        if not moved and self._background.deferred(
            lambda: self.refresh(db),
            inline_rows,
            holds_papers=len(self) > 0,
            rows_behind=lambda: embedding_store.count_embeddings_since(db, seq),
        ):
            return
        with self._lock:
            state, moved = self._state, self._generation_moved()
            if moved:
                state = self._opened()
            seq = embedding_store.embeddings_seq(db)
            if seq != state.overlay.seq:
                overlay = _with_rows(state.overlay, self._read(db, state.overlay.seq), seq)
                state = _with_overlay(state, overlay)
            if (moved or seq != self._state.overlay.seq) and (
                state.live != embedding_store.count_listed_embeddings(db, self.model)
            ):
                # Rows went away (a paper deleted or hidden, another model's vector stored
                # in its place): read the overlay anew and mask the base's gone papers.
                state = self._rebuilt(db, state, seq)
            self._state = state
        release_freed_memory()

    def in_memory(self) -> StoredVectors:
        """The rows this index holds in memory (every vector when it has no generation):
        what a build writes out."""
        overlay = self._state.overlay
        return StoredVectors(
            overlay.paper_ids,
            overlay.vectors,
            overlay.listing_days,
            list(overlay.row_categories),
            overlay.seq,
        )

    def _generation_moved(self) -> bool:
        return self.folder is not None and self.folder.current_name() != self._state.generation

    def _opened(self) -> _State:
        """An empty state on the current generation (the overlay still to read)."""
        assert self.folder is not None
        name = self.folder.current_name()
        base = None
        generation = self.folder.current()
        if generation is not None:
            try:
                base = open_vector_base(generation, self.model, self.dims)
            except (IndexFileError, OSError, RuntimeError, ValueError) as error:
                log.warning("index generation %s: %s; searching without it", name, error)
        return _state(name, base, self.dims)

    def _rebuilt(self, db: Database, state: _State, seq: int) -> _State:
        """state with its overlay read anew and the base's unlisted papers masked out."""
        fresh = _state(state.generation, state.base, self.dims)
        overlay = _with_rows(fresh.overlay, self._read(db, fresh.overlay.seq), seq)
        unlisted = fresh.unlisted
        if state.base is not None:
            listed = embedding_store.listed_embedding_ids(db, self.model)
            unlisted = ~np.isin(state.base.rows.paper_ids, listed)
        return _with_overlay(fresh, overlay, unlisted)

    def _read(self, db: Database, after_seq: int) -> list[StoredVectors]:
        return list(embedding_store.vectors_since(db, self.model, self.dims, after_seq))

    def vector_of(self, paper_id: int) -> np.ndarray | None:
        """One paper's vector as vectors_of gives it, without its arrays of one (every
        paper page asks)."""
        state = self._state
        row = state.overlay.rows_by_paper.get(paper_id)
        if row is not None:
            return np.array(state.overlay.vectors[row], np.float32)
        if state.base is None:
            return None
        row = state.base.rows.row_of(paper_id)
        if row is None or not state.usable[row]:
            return None
        return np.array(state.base.vectors[row], np.float32)

    def vectors_of(self, paper_ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The vectors of those of paper_ids the index holds, in their order, and which."""
        state = self._state
        overlay, base = state.overlay, state.base
        keys = np.asarray(paper_ids, np.int64)
        in_overlay = np.fromiter(
            (overlay.rows_by_paper.get(key, -1) for key in keys.tolist()), np.int64, len(keys)
        )
        in_base = np.full(len(keys), -1, np.int64)
        if base is not None:
            in_base = base.rows.rows_of(keys)
            in_base[in_base >= 0] = np.where(
                state.usable[in_base[in_base >= 0]], in_base[in_base >= 0], -1
            )
        from_overlay = in_overlay >= 0
        from_base = ~from_overlay & (in_base >= 0)
        vectors = np.empty((len(keys), self.dims), np.float32)
        vectors[from_overlay] = overlay.vectors[in_overlay[from_overlay]]
        if base is not None:
            vectors[from_base] = base.vectors[in_base[from_base]]
        found = from_overlay | from_base
        return keys[found].tolist(), vectors[found]

    def nearest(
        self,
        query: np.ndarray,
        k: int,
        where: PaperFilter | None = None,
        exclude: int | None = None,
        *,
        near_paper: bool = False,
    ) -> list[tuple[int, float]]:
        """The k papers most similar to query (a unit vector), best first, as (id, cosine).
        near_paper: query is a stored paper's own vector, which a narrower walk serves."""
        state = self._state
        if k <= 0 or not state.live:
            return []
        query = query.astype(np.float32, copy=False)
        found = _overlay_nearest(state.overlay, query, k, where, exclude)
        if state.base is not None and state.usable_count:
            expansion = EXPANSION_NEAR_PAPER if near_paper else EXPANSION_NEAR_QUERY
            found += _base_nearest(state, query, k, where, exclude, expansion)
            found.sort(key=lambda hit: -hit[1])
        return found[:k]


def _overlay_nearest(
    snapshot: _Snapshot, query: np.ndarray, k: int, where: PaperFilter | None, exclude: int | None
) -> list[tuple[int, float]]:
    if not len(snapshot.paper_ids):
        return []
    scores = snapshot.vectors @ query
    allowed = allowed_rows(snapshot.listing_days, snapshot.categories, where)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    if exclude is not None and exclude in snapshot.rows_by_paper:
        scores[snapshot.rows_by_paper[exclude]] = -np.inf
    take = min(k, len(scores))
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(snapshot.paper_ids[i]), float(scores[i])) for i in top if scores[i] > -np.inf]


def _base_nearest(
    state: _State,
    query: np.ndarray,
    k: int,
    where: PaperFilter | None,
    exclude: int | None,
    expansion: int,
) -> list[tuple[int, float]]:
    base = state.base
    assert base is not None
    usable, count = state.usable, state.usable_count
    allowed = allowed_rows(base.rows.listing_days, base.rows.categories, where)
    excluded = base.rows.row_of(exclude) if exclude is not None else None
    if allowed is not None or excluded is not None:
        usable = usable & allowed if allowed is not None else usable.copy()
        if excluded is not None:
            usable[excluded] = False
        count = int(np.count_nonzero(usable))
    rows, scores = base.nearest_rows(query, k, usable, count, expansion=expansion)
    paper_ids = base.rows.paper_ids[rows]
    return list(zip(paper_ids.tolist(), scores.astype(float).tolist(), strict=True))


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
