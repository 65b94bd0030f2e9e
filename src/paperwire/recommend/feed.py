"""The "for you" feed: a reader's recent papers, ranked by a model of what they saved,
upvoted and marked "not interested", and by the authors and categories they follow."""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache, partial

import numpy as np

from paperwire.papers import Paper
from paperwire.recommend.explain import shared_key_terms, surface_words
from paperwire.recommend.model import (
    Papers,
    ReaderModel,
    TermRows,
    stored_rows,
    train_reader_model,
)
from paperwire.search.engine import Searcher
from paperwire.storage import Database
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage import paper_terms as term_store
from paperwire.storage.embeddings import embeddings_seq
from paperwire.storage.follows import Follow, follow_key
from paperwire.storage.library import ReaderSignals
from paperwire.storage.papers import (
    latest_listing_day,
    papers_by_keys,
    papers_version,
    texts_by_keys,
    titles_by_keys,
)
from paperwire.terms import analyze, encode_paper, term_hash

FEED_DAYS = 7  # the feed ranks the papers listed on the last seven days
MAX_SIGNALS = 500  # of each kind (saved, upvoted, rejected): the most recent ones teach
# Ordinary recent papers the model contrasts the reader with (docs/recommend.md: 1,000
# ranks worse, the idf of rare terms needs a couple of thousand).
BACKGROUND_PAPERS = 2_000
# Pools of listing days a process keeps (the feed's week, lists sorted for a reader) hold
# about 3.5 KB a paper (vector and terms): the least recently used go beyond this many.
MAX_POOLED_PAPERS = 40_000
TITLE_CACHE_SIZE = 20_000  # titles whose key-term analysis a process keeps
TERM_CACHE_PAPERS = 200_000  # papers whose terms a process keeps (about 1.7 KB each)
# Added to a paper's standardised model score: a followed author's paper comes first, a
# followed category's paper rises about one standard deviation.
AUTHOR_BOOST = 4.0
CATEGORY_BOOST = 1.0
# Offered to a reader who has saved and followed nothing yet (the busiest AI-related ones).
COLD_START_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.IR", "stat.ML")


PaperLoader = Callable[[Sequence[int]], Mapping[int, Paper]]
TitleLoader = Callable[[Sequence[int]], Mapping[int, tuple[str, str]]]  # arXiv id, title
# Searcher.vectors_of: the embeddings of those of some keys that have one, and which.
VectorLoader = Callable[[Sequence[int]], tuple[list[int], np.ndarray]]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a paper is in the feed, in words the reader can check."""

    text: str  # the whole sentence (API, e-mail)
    arxiv_id: str | None = None  # the paper it resembles, for a link…
    title: str | None = None  # …and that paper's title, which a page makes the link…
    tail: str = ""  # …followed by this


@dataclass(frozen=True, slots=True)
class FeedEntry:
    paper: Paper
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Feed:
    """One page of a reader's feed and what it was learned from."""

    entries: list[FeedEntry]
    total: int
    first: date | None
    last: date | None
    positives: int  # papers saved or upvoted that the model learned from
    rejected: int
    follows: list[Follow] = field(default_factory=list)

    @property
    def is_cold(self) -> bool:
        """Nothing to rank by yet: no saved or upvoted paper and nothing followed."""
        return self.positives == 0 and not self.follows


class TermCache:
    """Papers' stored terms and pairs (what the reader model reads besides embeddings), by
    paper key, kept per process so that a reader's library is read once, not on every
    visit. A paper stored before pairs were (migration 0015) is analysed here until
    `paperwire embed` stores them. Bounded: the least recently used are dropped."""

    def __init__(self, max_papers: int = TERM_CACHE_PAPERS) -> None:
        self.max_papers = max_papers
        self._stored: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, db: Database, keys: Sequence[int]) -> TermRows:
        """The term rows of these papers, in their order (a paper not stored: no terms)."""
        found = self._stored_of(db, keys)
        return stored_rows([terms for terms, _ in found], [pairs for _, pairs in found])

    def read(self, db: Database, keys: Sequence[int]) -> None:
        """Read these papers' terms now, in one go (a digest pass's next readers)."""
        self._stored_of(db, keys)

    def _stored_of(self, db: Database, keys: Sequence[int]) -> list[tuple[bytes, bytes]]:
        with self._lock:
            missing = [key for key in keys if key not in self._stored]
        read = term_store.model_terms_by_keys(db, missing) if missing else {}
        unpaired = [key for key in missing if key not in read]
        texts = texts_by_keys(db, unpaired) if unpaired else {}
        for key in unpaired:
            title, abstract = texts.get(key, ("", ""))
            read[key] = encode_paper(title, (), abstract)
        with self._lock:
            self._stored.update(read)
            found = [self._stored.get(key) or read[key] for key in keys]
            for key in keys:
                if key in self._stored:
                    self._stored.move_to_end(key)
            while len(self._stored) > self.max_papers:
                self._stored.popitem(last=False)
        return found

    def clear(self) -> None:
        """Forget every paper (their texts may have changed)."""
        with self._lock:
            self._stored.clear()


@dataclass(frozen=True)
class Pool:
    """The embedded papers of a few listing days, newest day first, with what ranking
    needs of them: read once and shared by every reader's feed (or digest) of those days.
    A paper waiting for its embedding (`paperwire embed`) joins the pool once it has one."""

    first: date
    last: date
    keys: np.ndarray  # int64 paper keys
    papers: Papers  # their embeddings and terms, row by row with keys
    upvotes: np.ndarray  # int64
    authors: tuple[tuple[str, ...], ...]  # as the papers spell them
    author_keys: tuple[frozenset[str], ...]  # folded (follow_key)
    category_keys: tuple[frozenset[str], ...]
    background: Papers  # a fixed sample of them: what an ordinary paper looks like

    @cached_property
    def position(self) -> dict[int, int]:
        return {int(key): row for row, key in enumerate(self.keys)}


@dataclass(frozen=True)
class Ranking:
    """One reader's ranking of a pool: pool rows best first, and what explains them."""

    rows: np.ndarray  # pool rows, best first
    scores: np.ndarray  # by pool row
    authors: frozenset[str]  # the reader's followed authors and categories, folded…
    categories: dict[str, str]  # …(category key -> as followed)
    library_keys: list[int]  # the embedded papers the reader saved or upvoted…
    library_vectors: np.ndarray  # …and their vectors
    saved: frozenset[int]
    model: ReaderModel | None = None  # None for a reader with nothing saved or upvoted

    def keys(self, pool: Pool, start: int = 0, stop: int | None = None) -> list[int]:
        return [int(key) for key in pool.keys[self.rows[start:stop]]]


def candidate_pool(
    db: Database, searcher: Searcher, terms: TermCache, first: date, last: date
) -> Pool:
    candidates = follow_store.listed_between(db, first, last)
    keys, vectors = searcher.vectors_of([c.key for c in candidates])
    by_key = {c.key: c for c in candidates}
    kept = [by_key[key] for key in keys]
    papers = Papers(vectors, terms.rows(db, keys))
    return Pool(
        first,
        last,
        np.array(keys, dtype=np.int64),
        papers,
        np.array([c.upvotes for c in kept], dtype=np.int64),
        tuple(c.authors for c in kept),
        tuple(frozenset(follow_key(a) for a in c.authors) for c in kept),
        tuple(frozenset(follow_key(c) for c in c.categories) for c in kept),
        papers.take(_background_rows(len(keys))),
    )


class FeedPools:
    """Pools of listing days (the latest week's, and the days, weeks and months readers
    sort for themselves), kept per process until papers or embeddings change."""

    def __init__(self, max_papers: int = MAX_POOLED_PAPERS) -> None:
        self.terms = TermCache()
        self.max_papers = max_papers
        self._pools: OrderedDict[tuple[date, date], Pool] = OrderedDict()
        self._version: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def latest(self, db: Database, searcher: Searcher, days: int = FEED_DAYS) -> Pool | None:
        """The pool of the last `days` listing days, or None before any paper is listed."""
        last = latest_listing_day(db)
        if last is None:
            return None
        return self.between(db, searcher, last - timedelta(days=days - 1), last)

    def between(self, db: Database, searcher: Searcher, first: date, last: date) -> Pool:
        """The pool of the papers listed from first to last."""
        version = (papers_version(db), embeddings_seq(db))
        with self._lock:
            if version != self._version:
                # Papers changed: a text may have, so terms are read again too.
                self._pools.clear()
                self.terms.clear()
                self._version = version
            elif (first, last) in self._pools:
                self._pools.move_to_end((first, last))
                return self._pools[first, last]
        pool = candidate_pool(db, searcher, self.terms, first, last)
        with self._lock:
            if self._version == version:
                self._pools[first, last] = pool
                # The newest pool stays, however large.
                while len(self._pools) > 1 and self._pooled_papers() > self.max_papers:
                    self._pools.popitem(last=False)
        return pool

    def _pooled_papers(self) -> int:
        return sum(len(pool.keys) for pool in self._pools.values())


def personal_feed(
    db: Database,
    searcher: Searcher,
    pools: FeedPools,
    user_id: int,
    *,
    limit: int,
    offset: int,
) -> Feed:
    """The reader's feed over the last FEED_DAYS listing days, best first: papers they
    saved or rejected left out, and only the followed ones while nothing is saved."""
    signals = library_store.reader_signals(db, user_id, limit=MAX_SIGNALS)
    followed = follow_store.follows_of(db, user_id)
    pool = pools.latest(db, searcher) if signals.positives or followed else None
    if pool is None:
        counts = (len(signals.positives), len(signals.rejected), followed)
        return Feed([], 0, None, latest_listing_day(db), *counts)
    return _feed(db, searcher, pools, pool, signals, followed, limit, offset, every_paper=False)


def period_feed(
    db: Database,
    searcher: Searcher,
    pools: FeedPools,
    user_id: int,
    days: tuple[date, date],
    *,
    limit: int,
    offset: int,
) -> Feed:
    """Every paper listed on these days (first, last) in the reader's order, those they
    rejected left out: a day, week or month list sorted for them."""
    signals = library_store.reader_signals(db, user_id, limit=MAX_SIGNALS)
    followed = follow_store.follows_of(db, user_id)
    pool = pools.between(db, searcher, *days)
    return _feed(db, searcher, pools, pool, signals, followed, limit, offset, every_paper=True)


def _feed(
    db: Database,
    searcher: Searcher,
    pools: FeedPools,
    pool: Pool,
    signals: ReaderSignals,
    followed: list[Follow],
    limit: int,
    offset: int,
    *,
    every_paper: bool,
) -> Feed:
    ranking = rank_for_reader(
        db, searcher.vectors_of, pools.terms, pool, signals, followed, every_paper=every_paper
    )
    shown = ranking.keys(pool, offset, offset + limit)
    entries = explained(
        pool, shown, ranking, partial(papers_by_keys, db), partial(titles_by_keys, db)
    )
    counts = (len(signals.positives), len(signals.rejected), followed)
    return Feed(entries, len(ranking.rows), pool.first, pool.last, *counts)


def rank_for_reader(
    db: Database,
    vectors_of: VectorLoader,
    terms: TermCache,
    pool: Pool,
    signals: ReaderSignals,
    followed: Sequence[Follow],
    *,
    every_paper: bool = False,
) -> Ranking:
    """The pool's papers the reader has not saved or rejected, best first for them: the
    model's score standardised over the pool, plus the follow boosts; for a reader with
    nothing saved or upvoted, only the papers their follows match. every_paper: all but
    the rejected ones (a whole list in the reader's order)."""
    # One read of vectors and one of terms for both kinds of signal (a paper both liked
    # and rejected counts as liked).
    positives = set(signals.positives)
    rejected = [key for key in signals.rejected if key not in positives]
    keys, vectors = vectors_of([*signals.positives, *rejected])
    liked = np.isin(np.array(keys, dtype=np.int64), np.array(signals.positives, dtype=np.int64))
    library_keys = [key for key, is_liked in zip(keys, liked, strict=True) if is_liked]
    library_vectors = vectors[liked]
    model = _model(db, terms, pool, keys, vectors, liked)
    scores = _standardised(model, pool)
    authors = frozenset(follow_key(f.value) for f in followed if f.kind == "author")
    categories = {follow_key(f.value): f.value for f in followed if f.kind == "category"}
    boosts = _follow_boosts(pool, authors, frozenset(categories))
    scores = scores + boosts
    left_out = signals.rejected if every_paper else (*signals.saved, *signals.rejected)
    keep = ~np.isin(pool.keys, np.array(left_out, dtype=np.int64))
    if not signals.positives and not every_paper:
        keep &= boosts > 0
    rows = np.flatnonzero(keep)
    # Best score first; ties to more upvotes, then to the newer (larger) key.
    order = np.lexsort((-pool.keys[rows], -pool.upvotes[rows], -scores[rows]))
    return Ranking(
        rows[order], scores, authors, categories, library_keys, library_vectors,
        frozenset(signals.saved), model,
    )  # fmt: skip


def _model(
    db: Database,
    terms: TermCache,
    pool: Pool,
    keys: list[int],
    vectors: np.ndarray,
    liked: np.ndarray,
) -> ReaderModel | None:
    """The reader's model, trained now from their papers: liked (saved or upvoted) or,
    where liked is False, rejected."""
    if not liked.any() or not len(pool.keys):
        return None
    papers = Papers(vectors, terms.rows(db, keys))
    positives, negatives = papers.take(np.flatnonzero(liked)), papers.take(np.flatnonzero(~liked))
    return train_reader_model(positives, negatives, pool.background)


def _standardised(model: ReaderModel | None, pool: Pool) -> np.ndarray:
    """The model's scores of the pool on one scale (all 0 without a model)."""
    if model is None:
        return np.zeros(len(pool.keys), dtype=np.float64)
    raw = model.scores(pool.papers).astype(np.float64)
    standardised: np.ndarray = (raw - raw.mean()) / (float(raw.std()) or 1.0)
    return standardised


def _background_rows(papers: int) -> np.ndarray:
    """A fixed-size sample of the pool's rows (arxiv-sanity contrasts a reader's papers
    with all the others), the same for every reader so the model's postings are shared."""
    if papers <= BACKGROUND_PAPERS:
        return np.arange(papers)
    return np.array(sorted(random.Random(papers).sample(range(papers), BACKGROUND_PAPERS)))


def _follow_boosts(pool: Pool, authors: frozenset[str], categories: frozenset[str]) -> np.ndarray:
    boosts = np.zeros(len(pool.keys), dtype=np.float64)
    if authors:
        boosts += AUTHOR_BOOST * np.fromiter(
            (not authors.isdisjoint(keys) for keys in pool.author_keys), bool, len(pool.keys)
        )
    if categories:
        boosts += CATEGORY_BOOST * np.fromiter(
            (not categories.isdisjoint(keys) for keys in pool.category_keys), bool, len(pool.keys)
        )
    return boosts


def _follow_reasons(pool: Pool, row: int, ranking: Ranking) -> list[Reason]:
    by = []
    if not ranking.authors.isdisjoint(pool.author_keys[row]):
        by = [a for a in pool.authors[row] if follow_key(a) in ranking.authors][:2]
    filed = [
        ranking.categories[k] for k in sorted(pool.category_keys[row] & ranking.categories.keys())
    ]
    found = [Reason(f"by {name}, whom you follow") for name in by]
    return found + [Reason(f"in {name}, which you follow") for name in filed[:1]]


def explained(
    pool: Pool, shown: Sequence[int], ranking: Ranking, papers: PaperLoader, titles: TitleLoader
) -> list[FeedEntry]:
    """The shown papers (still stored) with their scores and reasons: the follows each
    matches, its title's key terms, and the paper the reader saved or upvoted that it is
    closest to in meaning, unless it is that paper (titles reads those papers' arXiv ids
    and titles)."""
    rows = [pool.position[key] for key in shown]
    closest: dict[int, int] = {}
    if ranking.library_keys and rows:
        best = np.argmax(pool.papers.vectors[rows] @ ranking.library_vectors.T, axis=1)
        closest = {key: ranking.library_keys[int(b)] for key, b in zip(shown, best, strict=True)}
    found, near = papers(shown), titles(sorted(set(closest.values())))
    entries = []
    for key, row in zip(shown, rows, strict=True):
        paper = found.get(key)
        if paper is None:
            continue
        reasons = _follow_reasons(pool, row, ranking)
        words = key_words(ranking.model, paper.title)
        if words:
            reasons.append(Reason("shares key terms with your library: " + ", ".join(words)))
        if key in closest and closest[key] != key and closest[key] in near:
            arxiv_id, title = near[closest[key]]
            tail = ", which you saved" if closest[key] in ranking.saved else ", which you upvoted"
            reasons.append(Reason(f"close to “{title}”{tail}", arxiv_id, title, tail))
        entries.append(FeedEntry(paper, float(ranking.scores[row]), tuple(reasons)))
    return entries


def key_words(model: ReaderModel | None, title: str) -> list[str]:
    """The words of a title that the reader's keyword profile weighs most (up to three),
    as the title writes them. Titles only: a page explains 50 papers, and a title's words
    are the ones a reader recognises."""
    if model is None or not len(model.term_hashes):
        return []
    stems, hashes, shown = _title_terms(title)
    at = np.minimum(np.searchsorted(model.term_hashes, hashes), len(model.term_hashes) - 1)
    found = model.term_hashes[at] == hashes
    weights = {
        stem: float(model.term_weights[i])
        for stem, i, hit in zip(stems, at, found, strict=True)
        if hit
    }
    return [shown.get(stem, stem) for stem in shared_key_terms(stems, weights, limit=3)]


@lru_cache(maxsize=TITLE_CACHE_SIZE)
def _title_terms(title: str) -> tuple[list[str], np.ndarray, dict[str, str]]:
    """A title's distinct stems, their hashes and the words they came from: the same few
    thousand recent titles are explained to every reader."""
    stems = list(dict.fromkeys(analyze(title)))
    hashes = np.array([term_hash(stem) for stem in stems], dtype=np.uint32)
    return stems, hashes, surface_words(title)
