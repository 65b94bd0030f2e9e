"""Compose digests from storage: gather candidate papers, then let choose.py pick."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    explain,
    rank_for_reader,
)
from paperwire.search.engine import Searcher, searcher_for
from paperwire.search.keyword import InvalidQuery, search_papers
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage.digests import History
from paperwire.storage.papers import papers_by_ids, papers_by_keys, papers_listed_between

# Enough to fill any digest after leaving out what a subscriber has seen; a window's
# candidates are its most upvoted papers.
CANDIDATES_CAP = 2_000
QUERY_MATCHES_CAP = 500


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
        self._terms = TermCache()  # readers' libraries overlap: each paper analysed once

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

    def _for_you(self, user_id: int, days: tuple[date, date], depth: int) -> list[Chosen]:
        """The reader's feed over the digest's days, best first, each with its first
        reason; the days' papers and vectors are read once per pass for all readers."""
        if days not in self._pools:
            self._pools[days] = candidate_pool(self.db, self._searcher(), self._terms, *days)
        pool = self._pools[days]
        signals = library_store.reader_signals(self.db, user_id, limit=MAX_SIGNALS)
        followed = follow_store.follows_of(self.db, user_id)
        ranking = rank_for_reader(self.db, self._searcher(), self._terms, pool, signals, followed)
        shown = ranking.keys(pool, 0, depth)
        papers = papers_by_keys(self.db, shown)
        reasons = explain(self.db, pool, shown, papers, ranking)
        return [
            Chosen(papers[key], reasons[key][0].text if reasons[key] else None)
            for key in shown
            if key in papers
        ]

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
