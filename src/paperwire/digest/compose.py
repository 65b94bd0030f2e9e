"""Compose digests from storage: gather candidate papers, then let choose.py pick."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from paperwire.config import Settings
from paperwire.digest.choose import Chosen, first_unsent, rank_by_trending, topic_ranking
from paperwire.digest.model import Subscription, Topic
from paperwire.digest.schedule import window
from paperwire.papers import Paper
from paperwire.ranking.listings import trending_list
from paperwire.recommend.feed import (
    MAX_SIGNALS,
    Pool,
    TermCache,
    candidate_pool,
    explained,
    rank_for_reader,
)
from paperwire.search.engine import Searcher, searcher_for
from paperwire.search.keyword import InvalidQuery, search_papers
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage.digests import History
from paperwire.storage.follows import Follow
from paperwire.storage.library import ReaderSignals
from paperwire.storage.papers import (
    papers_by_ids,
    papers_by_keys,
    papers_listed_between,
    titles_by_keys,
)

# Enough to fill any digest after leaving out what a subscriber has seen; a window's
# candidates are its most upvoted papers.
CANDIDATES_CAP = 2_000
QUERY_MATCHES_CAP = 500
PAPERS_KEPT = 5_000  # papers a pass keeps for the feeds it explains (a few KB each)


@dataclass(frozen=True, slots=True)
class Digest:
    subscription: Subscription
    period: date
    items: list[Chosen]
    first: bool  # nothing was sent to this subscriber before


class Composer:
    """Builds digests for one sending pass. Subscribers share windows and trending lists,
    so each is read once per pass, not once per subscriber."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._windows: dict[tuple[date, date], list[Paper]] = {}
        self._trending: dict[date, list[Paper]] = {}
        self._queries: dict[str, frozenset[str]] = {}
        self._topic_rankings: dict[tuple[tuple[Topic, ...], int], list[Chosen]] = {}
        self._pools: dict[tuple[date, date], Pool] = {}
        self._feed_searcher: Searcher | None = None
        self._terms = TermCache()  # readers' libraries overlap: each paper's terms read once
        self._paper_cache: OrderedDict[int, Paper] = OrderedDict()
        # What prepare() read for the batch being composed: readers' signals and follows,
        # and the vectors and titles of their papers.
        self._readers: dict[int, tuple[ReaderSignals, list[Follow]]] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._titles: dict[int, tuple[str, str]] = {}
        self._prepared_keys: frozenset[int] = frozenset()

    def compose(
        self, subscription: Subscription, period: date, history: History | None = None
    ) -> Digest:
        """The subscriber's digest for a period, leaving out every paper sent before.
        history: what histories() returned for this subscriber, when the caller has it."""
        if history is None:
            history = digest_store.histories(self.db, [subscription.id])[subscription.id]
        previous = history.previous_before(period)
        sent = history.sent_arxiv_ids
        preferences = subscription.preferences
        days = window(period, previous, self.settings.trending_window_days)
        if preferences.content == "for-you" and subscription.user_id is not None:
            candidates = self._for_you(subscription.user_id, days, len(sent) + preferences.size)
        elif preferences.content != "topics" and previous is None:
            candidates = [Chosen(paper) for paper in self._trending_on(period)]
        elif preferences.content != "topics":
            candidates = [Chosen(paper) for paper in self._window(*days)]
        else:
            candidates = self._topic_ranking(preferences.topics, self._window(*days))
        items = first_unsent(candidates, sent, preferences.size)
        return Digest(subscription, period, items, first=previous is None)

    def prepare(self, subscriptions: Sequence[Subscription]) -> None:
        """Read at once what these subscribers' "for you" digests will need (what they
        saved, upvoted, rejected and follow, and those papers' vectors and terms), rather
        than a few reads per subscriber; compose() reads what was not prepared."""
        readers = [
            s.user_id
            for s in subscriptions
            if s.preferences.content == "for-you" and s.user_id is not None
        ]
        if not readers:
            return
        signals = library_store.readers_signals(self.db, readers, limit=MAX_SIGNALS)
        follows = follow_store.follows_of_readers(self.db, readers)
        self._readers = {user: (signals[user], follows[user]) for user in readers}
        keys = list(dict.fromkeys(k for s in signals.values() for k in (*s.positives, *s.rejected)))
        found, vectors = self._searcher().vectors_of(keys)
        self._vectors = dict(zip(found, vectors, strict=True))
        self._prepared_keys = frozenset(keys)  # those not in _vectors have no vector yet
        self._titles = titles_by_keys(self.db, found)
        self._terms.read(self.db, found)

    def _for_you(self, user_id: int, days: tuple[date, date], depth: int) -> list[Chosen]:
        """The reader's feed over the digest's days, best first, each with its first
        reason; the days' papers and vectors are read once per pass for all readers."""
        if days not in self._pools:
            self._pools[days] = candidate_pool(self.db, self._searcher(), self._terms, *days)
        pool = self._pools[days]
        prepared = self._readers.pop(user_id, None)
        if prepared is None:
            prepared = (
                library_store.reader_signals(self.db, user_id, limit=MAX_SIGNALS),
                follow_store.follows_of(self.db, user_id),
            )
        signals, followed = prepared
        ranking = rank_for_reader(self.db, self._vectors_of, self._terms, pool, signals, followed)
        shown = ranking.keys(pool, 0, depth)
        entries = explained(pool, shown, ranking, self._papers, self._titles_of)
        return [
            Chosen(entry.paper, entry.reasons[0].text if entry.reasons else None)
            for entry in entries
        ]

    def _vectors_of(self, keys: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """Searcher.vectors_of, from what prepare() read when it has every key."""
        if not self._prepared_keys.issuperset(keys):
            return self._searcher().vectors_of(keys)
        found = [key for key in keys if key in self._vectors]
        dims = self._searcher().embedder.dims
        vectors = np.array([self._vectors[key] for key in found], dtype=np.float32)
        return found, vectors.reshape(len(found), dims)

    def _titles_of(self, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
        """titles_by_keys, from what prepare() read when it has every key."""
        if not self._prepared_keys.issuperset(keys):
            return titles_by_keys(self.db, keys)
        return {key: self._titles[key] for key in keys if key in self._titles}

    def _papers(self, keys: Sequence[int]) -> dict[int, Paper]:
        """Papers by key, the pass's most recently shown ones kept: readers of one pass
        are shown many of the same papers."""
        missing = [key for key in keys if key not in self._paper_cache]
        self._paper_cache.update(papers_by_keys(self.db, missing) if missing else {})
        found = {key: self._paper_cache[key] for key in keys if key in self._paper_cache}
        for key in found:
            self._paper_cache.move_to_end(key)
        while len(self._paper_cache) > PAPERS_KEPT:
            self._paper_cache.popitem(last=False)
        return found

    def _searcher(self) -> Searcher:
        if self._feed_searcher is None:
            self._feed_searcher = searcher_for(self.db, self.settings)
        return self._feed_searcher

    def _topic_ranking(self, topics: tuple[Topic, ...], ranked: list[Paper]) -> list[Chosen]:
        key = (topics, id(ranked))  # ranked is one of this pass's cached lists
        if key not in self._topic_rankings:
            queries = {t.query: self._query(t.query) for t in topics if t.query}
            self._topic_rankings[key] = topic_ranking(topics, ranked, queries)
        return self._topic_rankings[key]

    def _trending_on(self, period: date) -> list[Paper]:
        if period not in self._trending:
            found = trending_list(
                self.db,
                today=period,
                page=1,
                page_size=CANDIDATES_CAP,
                window_days=self.settings.trending_window_days,
                half_life_hours=self.settings.trending_half_life_hours,
            )
            self._trending[period] = [paper for paper, _entry in found.entries]
        return self._trending[period]

    def _window(self, first: date, last: date) -> list[Paper]:
        if (first, last) not in self._windows:
            papers, _total = papers_listed_between(self.db, first, last, limit=CANDIDATES_CAP)
            half_life = self.settings.trending_half_life_hours
            self._windows[first, last] = rank_by_trending(papers, last, half_life)
        return self._windows[first, last]

    def _query(self, query: str) -> frozenset[str]:
        if query not in self._queries:
            try:
                hits = search_papers(self.db, query, limit=QUERY_MATCHES_CAP)
            except InvalidQuery:
                hits = []
            self._queries[query] = frozenset(hit.paper.arxiv_id for hit in hits)
        return self._queries[query]


def digest_as_sent(
    db: Database, subscription: Subscription, sent: digest_store.SentDigest
) -> Digest:
    """A digest that was sent, rebuilt from the papers recorded with it (browser view)."""
    items = [Chosen(paper) for paper in papers_by_ids(db, sent.arxiv_ids)]
    return Digest(subscription, sent.period, items, first=False)
