"""BM25 keyword ranking in memory over every paper's stored terms, kept in step with the
database: the keyword list that hybrid search fuses.

Ranking every paper that holds any of a query's words with FTS5's bm25 costs 300-400 ms
for a long description at 137k papers; the same ranking over postings held in numpy
arrays costs about 5 ms, because the per-paper work is a few vector operations instead
of a function call per matching row (docs/search.md, docs/performance.md).

The postings live in segments, each sorted by term hash. A refresh (one indexed read when
nothing changed) turns the terms written since into one more segment and marks the older
rows of re-analyzed papers dead; past MAX_SEGMENTS the small segments are merged into
one. When papers went away, or dead rows pile up, the index is rebuilt from what is
stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from paperwire.search.memory import release_freed_memory
from paperwire.search.row_filter import allowed_rows, with_category_rows
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
    rows_by_paper: dict[int, int]  # paper id -> its live row
    seq: int

    @property
    def live(self) -> int:
        return len(self.rows_by_paper)


def _empty() -> _Snapshot:
    return _Snapshot(
        (), np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.float32),
        np.zeros(0, np.float32), np.zeros(0, np.int32), {}, {}, 0,
    )  # fmt: skip


@dataclass
class TermIndex:
    """Every paper's terms, ranked against a query by BM25."""

    _snapshot: _Snapshot = field(default_factory=_empty, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __len__(self) -> int:
        return self._snapshot.live

    @property
    def seq(self) -> int:
        """The terms counter as of the last refresh."""
        return self._snapshot.seq

    def refresh(self, db: Database) -> None:
        """Load what was written since the last refresh; one indexed read when nothing was."""
        if term_store.terms_seq(db) == self._snapshot.seq:
            return
        with self._lock:
            seq = term_store.terms_seq(db)
            current = self._snapshot
            if seq == current.seq:
                return
            updated = _with_terms(current, self._read(db, current.seq), seq)
            dead = len(updated.paper_ids) - updated.live
            listed = term_store.count_listed_terms(db)
            if updated.live != listed or dead > updated.live * MAX_DEAD:
                # Papers went away or were hidden (or their terms did), or rewritten papers
                # left too many dead rows behind: start again from everything stored.
                updated = _with_terms(_empty(), self._read(db, 0), seq)
            self._snapshot = updated
        release_freed_memory()

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
        scores = _bm25(snapshot, terms)
        for group in groups:
            _add_group_bm25(snapshot, scores, group)
        allowed = allowed_rows(snapshot.listing_days, snapshot.categories, where)
        if allowed is not None:
            scores[~allowed] = 0
        matched = np.flatnonzero(scores)
        take = min(k, len(matched))
        if not take:
            return []
        top = matched[np.argpartition(-scores[matched], take - 1)[:take]]
        top = top[np.lexsort((snapshot.paper_ids[top], -scores[top]))]
        return [(int(snapshot.paper_ids[i]), float(scores[i])) for i in top]


def _bm25(snapshot: _Snapshot, terms: np.ndarray) -> np.ndarray:
    """Each row's BM25 for the query terms; 0 for rows that hold none of them or are dead."""
    scores = np.zeros(len(snapshot.paper_ids), np.float32)
    papers, norms = snapshot.live, snapshot.norms
    terms = np.unique(np.asarray(terms, HASH_DTYPE))
    by_segment = [segment.postings(terms) for segment in snapshot.segments]
    for found in zip(*by_segment, strict=True):
        matches = sum(len(rows) for rows, _ in found)
        if not matches:
            continue
        # Dead rows still count in the number of matches until segments merge: a handful
        # of re-analyzed papers barely moves it.
        idf = np.float32(np.log(1 + (papers - matches + 0.5) / (matches + 0.5)))
        for rows, counts in found:
            tf = counts.astype(np.float32)
            scores[rows] += idf * tf * np.float32(K1 + 1) / (tf + norms[rows])
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
    by_paper = dict(current.rows_by_paper)
    for row, paper_id in enumerate(paper_ids.tolist(), start=first_row):
        old = by_paper.get(paper_id)
        if old is not None:
            alive[old] = False
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
