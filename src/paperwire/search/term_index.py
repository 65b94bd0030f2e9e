"""BM25 keyword ranking in memory over every paper's stored terms, kept in step with the
database: the keyword list that hybrid search fuses.

Ranking every paper that holds any of a query's words with FTS5's bm25 costs 300-400 ms
for a long description at 137k papers; the same ranking over postings held in numpy
arrays costs about 5 ms, because the per-paper work is a few vector operations instead
of a function call per matching row (docs/search.md, docs/performance.md).

The postings live in segments, each sorted by term hash. The first is the current index
generation's on disk (index_files.py), mapped read-only and shared by every process on the
machine; without one, every paper is read from the database. A refresh (one indexed read
when nothing changed) turns the terms written since into one more segment and marks the
older rows of re-analyzed papers dead; past MAX_SEGMENTS the small segments are merged
into one. When papers went away, or dead rows pile up, the index is rebuilt from the
generation and what was stored since, with the generation's gone papers marked dead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.search.background import BackgroundRefresh
from paperwire.search.index_files import Generation, IndexFileError, IndexFolder, save_array
from paperwire.search.memory import release_freed_memory
from paperwire.search.row_filter import allowed_rows, with_category_rows
from paperwire.search.row_table import RowTable, load_rows, save_rows
from paperwire.storage import Database
from paperwire.storage import paper_terms as term_store
from paperwire.storage.paper_terms import StoredTerms
from paperwire.storage.search import PaperFilter
from paperwire.terms import HASH_DTYPE, decode_terms

# BM25 over one weighted bag of words per paper (BM25F): a word in the title counts ten
# times, in the authors four times, as FTS5's bm25(10, 4, 1) does. K1 and B were chosen on
# the SciFact train split (docs/search.md).
FIELD_WEIGHTS = np.array([10, 4, 1], dtype=np.uint16)
K1 = 0.9
B = 0.4
# A full load builds one segment per LOAD_CHUNK papers, which bounds the memory a build
# takes; refreshes add smaller ones, merged together once there are more than MAX_SEGMENTS.
LOAD_CHUNK = 50_000
READ_CHUNK = 5_000  # papers read from the database at a time
MAX_SEGMENTS = 12
MAX_DEAD = 0.25  # dead rows per live one that trigger a rebuild
# The k best of many scores are looked for first among a sample of this many rows, whose
# k-th best is a floor for the k-th best of all (top_rows).
SAMPLE_ROWS = 65_536
PREFIX = "terms"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Segment:
    terms: np.ndarray  # uint32 term hashes, ascending, distinct
    starts: np.ndarray  # int64, len(terms) + 1: term i's postings are [starts[i], starts[i+1])
    rows: np.ndarray  # int32 index row of each posting
    counts: np.ndarray  # uint16 field-weighted count of the term in that row's paper
    papers: int  # how many papers' terms it holds

    def postings(self, terms: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows, counts) of each of terms (uint32 hashes, ascending); empty if absent."""
        found = np.searchsorted(self.terms, terms)
        present = found < len(self.terms)
        present[present] = self.terms[found[present]] == terms[present]
        empty = (self.rows[:0], self.counts[:0])
        return [
            (
                self.rows[self.starts[i] : self.starts[i + 1]],
                self.counts[self.starts[i] : self.starts[i + 1]],
            )
            if hit
            else empty
            for i, hit in zip(found.tolist(), present.tolist(), strict=True)
        ]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """An immutable state of the index: queries read one while a refresh builds the next."""

    segments: tuple[_Segment, ...]
    paper_ids: np.ndarray  # int64, one per row
    alive: np.ndarray  # bool: False for a row a later analysis of its paper replaced
    lengths: np.ndarray  # float32 field-weighted number of terms, one per row
    norms: np.ndarray  # float32 BM25 length normalisation, one per row
    listing_days: np.ndarray  # int32 ordinals, 0 when unknown
    categories: dict[str, np.ndarray]  # category -> row numbers
    rows_by_paper: dict[int, int]  # paper id -> its live row, for rows after the base's
    seq: int
    live: int  # papers with a live row
    base: RowTable | None = None  # the generation's rows (the first rows), if any
    generation: str | None = None  # the name of the generation last looked at

    def rows_of(self, paper_ids: np.ndarray) -> np.ndarray:
        """The live row of each of paper_ids, -1 for those not held."""
        rows = np.full(len(paper_ids), -1, np.int64)
        if self.base is not None:
            rows = self.base.rows_of(paper_ids)
            rows[rows >= 0] = np.where(self.alive[rows[rows >= 0]], rows[rows >= 0], -1)
        if self.rows_by_paper:
            later = self.rows_by_paper
            for i, paper_id in enumerate(paper_ids.tolist()):
                rows[i] = later.get(paper_id, rows[i])
        return rows


def _empty(generation: str | None = None) -> _Snapshot:
    return _Snapshot(
        (), np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.float32),
        np.zeros(0, np.float32), np.zeros(0, np.int32), {}, {}, 0, 0, None, generation,
    )  # fmt: skip


@dataclass
class TermIndex:
    """Every paper's terms, ranked against a query by BM25."""

    folder: IndexFolder | None = None  # where generations are written; None: memory only
    _snapshot: _Snapshot = field(default_factory=_empty, init=False)
    _pristine: _Snapshot = field(default_factory=_empty, init=False)  # the generation alone
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _background: BackgroundRefresh = field(
        default_factory=lambda: BackgroundRefresh("keyword index"), init=False
    )

    def __len__(self) -> int:
        return self._snapshot.live

    @property
    def seq(self) -> int:
        """The terms counter as of the last refresh."""
        return self._snapshot.seq

    @property
    def generation(self) -> str | None:
        """The generation on disk this index ranks, if any."""
        snapshot = self._snapshot
        return None if snapshot.base is None else snapshot.generation

    def refresh(self, db: Database, *, inline_rows: int | None = None) -> None:
        """Load what was written since the last refresh, and switch to a newer generation
        when one was built; one indexed read (and one small file read) when nothing was.
        With inline_rows, more rows than that are loaded in a background thread instead,
        and this call returns at once (an index holding nothing yet loads here)."""
        moved, seq = self._generation_moved(), self._snapshot.seq
        if not moved and term_store.terms_seq(db) == seq:
            return
        if not moved and self._background.deferred(
            lambda: self.refresh(db),
            inline_rows,
            holds_papers=len(self) > 0,
            rows_behind=lambda: term_store.count_terms_since(db, seq),
        ):
            return
        with self._lock:
            current, moved = self._snapshot, self._generation_moved()
            if moved:
                self._pristine = current = self._opened()
            seq = term_store.terms_seq(db)
            updated = current
            if seq != current.seq:
                updated = _with_terms(current, self._read(db, current.seq), seq)
            if (moved or seq != self._snapshot.seq) and (
                updated.live != term_store.count_listed_terms(db)
                or _dead_after_base(updated) > updated.live * MAX_DEAD
            ):
                # Papers went away or were hidden (or their terms did), or papers rewritten
                # since the generation left too many dead rows behind: start again from the
                # generation (its own dead rows go with the next one built).
                updated = self._rebuilt(db, seq)
            self._snapshot = updated
        release_freed_memory()

    def _generation_moved(self) -> bool:
        return self.folder is not None and self.folder.current_name() != self._snapshot.generation

    def _opened(self) -> _Snapshot:
        assert self.folder is not None
        name = self.folder.current_name()
        generation = self.folder.current()
        if generation is not None:
            try:
                return _from_generation(generation)
            except (IndexFileError, OSError, KeyError, ValueError) as error:
                log.warning("index generation %s: %s; ranking without it", name, error)
        return _empty(name)

    def _rebuilt(self, db: Database, seq: int) -> _Snapshot:
        """The generation with its gone papers marked dead, and what was stored since."""
        start = self._pristine
        if start.base is not None:
            listed = np.isin(start.paper_ids, term_store.listed_term_ids(db))
            start = replace(start, alive=listed, live=int(np.count_nonzero(listed)))
        return _with_terms(start, self._read(db, start.seq), seq)

    @staticmethod
    def _read(db: Database, after_seq: int) -> Iterator[StoredTerms]:
        return term_store.terms_since(db, after_seq, chunk=READ_CHUNK)

    def rank(
        self,
        terms: np.ndarray,
        k: int,
        where: PaperFilter | None = None,
        *,
        groups: Sequence[np.ndarray] = (),
    ) -> list[tuple[int, float]]:
        """The k papers with the highest BM25 for any of terms (term hashes), best first,
        as (paper id, score). Each of groups (the stems a prefix stands for) counts as one
        more term: its stems' counts in a paper are added, and its rarity is that of the
        papers holding any of them, so that a rare spelling weighs no more than a common
        one."""
        snapshot = self._snapshot
        if k <= 0 or not snapshot.live:
            return []
        allowed = allowed_rows(snapshot.listing_days, snapshot.categories, where)
        scores = _bm25(snapshot, terms)
        for group in groups:
            _add_group_bm25(snapshot, scores, group)
        if allowed is not None:
            scores[~allowed] = 0
        top = top_rows(scores, k)
        top = top[np.lexsort((snapshot.paper_ids[top], -scores[top]))]
        return [(int(snapshot.paper_ids[i]), float(scores[i])) for i in top]


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the (up to) k highest positive scores, in no order.

    Only rows at or above a floor are sorted: the k-th best score of an evenly spread
    sample of rows is no higher than the k-th best of all. At 1M papers a long query
    matches most of them, and selecting among every match took 12 ms of a 25 ms ranking."""
    step = max(1, len(scores) // SAMPLE_ROWS)
    floor = np.float32(0)
    if step > 1:
        sample = scores[::step]
        if len(sample) > k:
            floor = max(floor, np.partition(sample, len(sample) - k)[len(sample) - k])
    chosen = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores)
    take = min(k, len(chosen))
    if not take:
        return chosen
    return chosen[np.argpartition(-scores[chosen], take - 1)[:take]]


def _idf(papers: int, matches: int) -> np.float32:
    return np.float32(np.log(1 + (papers - matches + 0.5) / (matches + 0.5)))


def _gain(snapshot: _Snapshot, idf: np.float32, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """BM25 of one term for each of rows, given its field-weighted count in each."""
    tf = counts.astype(np.float32)
    gain: np.ndarray = idf * tf * np.float32(K1 + 1) / (tf + snapshot.norms[rows])
    return gain


def _dead_after_base(snapshot: _Snapshot) -> int:
    """Dead rows that a rebuild on the same generation would drop."""
    first = len(snapshot.base) if snapshot.base is not None else 0
    later = len(snapshot.paper_ids) - first
    return later - int(np.count_nonzero(snapshot.alive[first:]))


def _bm25(snapshot: _Snapshot, terms: np.ndarray) -> np.ndarray:
    """Each row's BM25 for the query terms; 0 for rows that hold none of them or are dead."""
    scores = np.zeros(len(snapshot.paper_ids), np.float32)
    papers = snapshot.live
    terms = np.unique(np.asarray(terms, HASH_DTYPE))
    by_segment = [segment.postings(terms) for segment in snapshot.segments]
    for found in zip(*by_segment, strict=True):
        matches = sum(len(rows) for rows, _ in found)
        if not matches:
            continue
        # Dead rows still count in the number of matches until segments merge: a handful
        # of re-analyzed papers barely moves it.
        idf = _idf(papers, matches)
        for rows, counts in found:
            scores[rows] += _gain(snapshot, idf, rows, counts)
    if snapshot.live < len(snapshot.alive):
        scores[~snapshot.alive] = 0
    return scores


def _add_group_bm25(snapshot: _Snapshot, scores: np.ndarray, group: np.ndarray) -> None:
    """Add to scores each live row's BM25 for one term made of several stems."""
    terms = np.unique(np.asarray(group, HASH_DTYPE))
    found = [posting for segment in snapshot.segments for posting in segment.postings(terms)]
    if not terms.size or not any(len(rows) for rows, _ in found):
        return
    rows, position = np.unique(np.concatenate([r for r, _ in found]), return_inverse=True)
    weights = np.concatenate([c for _, c in found]).astype(np.float32)
    tf = np.bincount(position, weights=weights).astype(np.float32)
    matches = len(rows)
    idf = np.float32(np.log(1 + (snapshot.live - matches + 0.5) / (matches + 0.5)))
    gain = idf * tf * np.float32(K1 + 1) / (tf + snapshot.norms[rows])
    scores[rows] += np.where(snapshot.alive[rows], gain, np.float32(0))


def _with_terms(current: _Snapshot, chunks: Iterable[StoredTerms], seq: int) -> _Snapshot:
    """current with the papers in chunks added as new rows (their old rows marked dead):
    one new segment per LOAD_CHUNK papers, so that a build never sorts more at a time."""
    pending: list[_Decoded] = []
    for chunk in chunks:
        pending.append(_decoded(chunk))  # the stored bytes can go at once
        if sum(len(part.paper_ids) for part in pending) >= LOAD_CHUNK:
            current, pending = _with_segment(current, pending), []
    if pending:
        current = _with_segment(current, pending)
    segments = current.segments
    small = [segment for segment in segments if segment.papers < LOAD_CHUNK]
    if len(segments) > MAX_SEGMENTS and len(small) > 1:
        large = tuple(segment for segment in segments if segment.papers >= LOAD_CHUNK)
        segments = (*large, _merged(small, current.alive))
    alive_lengths = current.lengths[current.alive]
    average = float(alive_lengths.mean()) if len(alive_lengths) else 1.0
    norms = (K1 * (1 - B + B * current.lengths / max(average, 1.0))).astype(np.float32)
    return replace(current, segments=segments, norms=norms, seq=max(seq, current.seq))


@dataclass(frozen=True, slots=True)
class _Decoded:
    """One chunk of stored terms, decoded: postings in paper order."""

    paper_ids: np.ndarray
    sizes: np.ndarray  # terms per paper
    hashes: np.ndarray
    counts: np.ndarray  # uint16 field-weighted
    listing_days: np.ndarray
    categories: list[tuple[str, ...]]
    seq: int


def _decoded(chunk: StoredTerms) -> _Decoded:
    sizes, hashes, field_counts = decode_terms(chunk.blobs)
    counts = field_counts @ FIELD_WEIGHTS
    return _Decoded(
        chunk.paper_ids, sizes, hashes, counts, chunk.listing_days, chunk.categories, chunk.seq
    )


def _with_segment(current: _Snapshot, parts: list[_Decoded]) -> _Snapshot:
    """current with the papers of parts as new rows in one new segment."""
    paper_ids = np.concatenate([part.paper_ids for part in parts])
    sizes = np.concatenate([part.sizes for part in parts])
    counts = np.concatenate([part.counts for part in parts])
    papers, first_row = len(paper_ids), len(current.paper_ids)
    in_chunk = np.repeat(np.arange(papers), sizes)
    lengths = np.bincount(in_chunk, weights=counts, minlength=papers).astype(np.float32)
    alive = np.concatenate([current.alive, np.ones(papers, bool)])
    old = current.rows_of(paper_ids)
    alive[old[old >= 0]] = False
    by_paper = dict(current.rows_by_paper)
    for row, paper_id in enumerate(paper_ids.tolist(), start=first_row):
        old_row = by_paper.get(paper_id)
        if old_row is not None:  # the same paper twice in these parts
            alive[old_row] = False
        by_paper[paper_id] = row
    hashes = np.concatenate([part.hashes for part in parts])
    segment = _segment(hashes, (in_chunk + first_row).astype(np.int32), counts, papers)
    categories = [found for part in parts for found in part.categories]
    return replace(
        current,
        segments=(*current.segments, segment),
        paper_ids=np.concatenate([current.paper_ids, paper_ids]),
        alive=alive,
        lengths=np.concatenate([current.lengths, lengths]),
        listing_days=np.concatenate([current.listing_days, *[p.listing_days for p in parts]]),
        categories=with_category_rows(current.categories, categories, first_row),
        rows_by_paper=by_paper,
        seq=max(current.seq, *[part.seq for part in parts]),
        live=int(np.count_nonzero(alive)),
    )


def _segment(hashes: np.ndarray, rows: np.ndarray, counts: np.ndarray, papers: int) -> _Segment:
    """Postings (term hash, row, count) sorted by term, rows ascending within a term."""
    order = np.argsort(hashes, kind="stable")
    hashes = hashes[order]
    terms, per_term = np.unique(hashes, return_counts=True)
    starts = np.zeros(len(terms) + 1, np.int64)
    np.cumsum(per_term, out=starts[1:])
    return _Segment(terms, starts, rows[order], counts[order], papers)


def _merged(segments: list[_Segment], alive: np.ndarray) -> _Segment:
    """One segment with the live postings of all."""
    hashes = np.concatenate([np.repeat(s.terms, np.diff(s.starts)) for s in segments])
    rows = np.concatenate([s.rows for s in segments])
    counts = np.concatenate([s.counts for s in segments])
    keep = alive[rows]
    papers = sum(segment.papers for segment in segments)
    return _segment(hashes[keep], rows[keep], counts[keep], papers)


def save_term_base(folder: Path, index: TermIndex) -> dict[str, Any]:
    """Write the live rows of a (memory-only, refreshed) index as the terms part of a
    generation being built; what meta.json must hold of it."""
    snapshot = index._snapshot
    keep = np.flatnonzero(snapshot.alive)
    renumber = np.full(len(snapshot.alive), -1, np.int64)
    renumber[keep] = np.arange(len(keep))
    segment = _merged(list(snapshot.segments), snapshot.alive)
    by_category = {
        name: renumber[rows[snapshot.alive[rows]]] for name, rows in snapshot.categories.items()
    }
    meta = save_rows(
        folder, PREFIX, snapshot.paper_ids[keep], snapshot.listing_days[keep], by_category
    )
    save_array(folder, f"{PREFIX}_hashes", segment.terms)
    save_array(folder, f"{PREFIX}_starts", segment.starts)
    save_array(folder, f"{PREFIX}_rows", renumber[segment.rows].astype(np.int32))
    save_array(folder, f"{PREFIX}_counts", segment.counts)
    save_array(folder, f"{PREFIX}_lengths", snapshot.lengths[keep])
    return meta | {"terms_seq": snapshot.seq}


def _from_generation(generation: Generation) -> _Snapshot:
    """The terms part of a generation as a snapshot whose arrays are mapped read-only."""
    if "terms_seq" not in generation.meta:
        return _empty(generation.name)
    table = load_rows(generation, PREFIX)
    papers = len(table)
    segment = _Segment(
        terms=generation.array(f"{PREFIX}_hashes"),
        starts=generation.array(f"{PREFIX}_starts"),
        rows=generation.array(f"{PREFIX}_rows"),
        counts=generation.array(f"{PREFIX}_counts"),
        papers=max(papers, LOAD_CHUNK),  # never merged into smaller segments (copied)
    )
    lengths = generation.array(f"{PREFIX}_lengths")
    snapshot = _Snapshot(
        segments=(segment,),
        paper_ids=table.paper_ids,
        alive=np.ones(papers, bool),
        lengths=lengths,
        norms=np.zeros(papers, np.float32),
        listing_days=table.listing_days,
        categories=dict(table.categories),
        rows_by_paper={},
        seq=int(generation.meta["terms_seq"]),
        live=papers,
        base=table,
        generation=generation.name,
    )
    return _with_terms(snapshot, (), snapshot.seq)
