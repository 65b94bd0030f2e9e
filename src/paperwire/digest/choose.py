"""Choose a digest's papers (pure): never one already sent, ranked by trending or topics."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from paperwire.digest.model import Preferences, Topic
from paperwire.papers import Paper
from paperwire.ranking.trending import TrendingCandidate, rank_trending

# How much each kind of match weighs in a topic's relevance.
TITLE_KEYWORD_WEIGHT = 3
ABSTRACT_KEYWORD_WEIGHT = 1
AUTHOR_WEIGHT = 4
CATEGORY_WEIGHT = 1
QUERY_WEIGHT = 2
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Chosen:
    paper: Paper
    why: str | None = None  # the topic that matched, for topic digests


def choose_papers(
    preferences: Preferences,
    ranked: Sequence[Paper],
    already_sent: AbstractSet[str],
    query_matches: Mapping[str, AbstractSet[str]] | None = None,
) -> list[Chosen]:
    """Up to preferences.size papers from `ranked` (best first by trending) that were never
    sent to this subscriber; for topic digests only matching papers, most relevant first."""
    if preferences.content == "trending":
        candidates = [Chosen(paper) for paper in ranked]
    else:
        candidates = topic_ranking(preferences.topics, ranked, query_matches or {})
    return first_unsent(candidates, already_sent, preferences.size)


def topic_ranking(
    topics: Sequence[Topic], ranked: Sequence[Paper], query_matches: Mapping[str, AbstractSet[str]]
) -> list[Chosen]:
    """The papers that match any topic, most relevant first, then in trending order. The
    same for every subscriber with these topics, so a sending pass computes it once."""
    scored: list[tuple[int, int, Chosen]] = []
    for position, paper in enumerate(ranked):
        score, topic = best_topic(paper, topics, query_matches)
        if score > 0:
            scored.append((-score, position, Chosen(paper, topic.name or None)))
    scored.sort(key=lambda entry: entry[:2])
    return [chosen for _, _, chosen in scored]


def first_unsent(
    candidates: Sequence[Chosen], already_sent: AbstractSet[str], size: int
) -> list[Chosen]:
    """The first `size` candidates this subscriber was never sent."""
    fresh = (chosen for chosen in candidates if chosen.paper.arxiv_id not in already_sent)
    return list(itertools.islice(fresh, size))


def best_topic(
    paper: Paper, topics: Sequence[Topic], query_matches: Mapping[str, AbstractSet[str]]
) -> tuple[int, Topic]:
    """The highest relevance among the topics (0: none matches) and that topic."""
    best = (0, Topic())
    for topic in topics:
        score = relevance(paper, topic, query_matches.get(topic.query, frozenset()))
        if score > best[0]:
            best = (score, topic)
    return best


def relevance(paper: Paper, topic: Topic, query_hits: AbstractSet[str]) -> int:
    """How well a paper matches a topic; 0 when a filled-in list has no match or an
    excluded keyword occurs."""
    text = _text_index(paper)
    if topic.exclude and any(text.mentions(_phrase(k)) for k in topic.exclude):
        return 0
    parts = [
        _keyword_score(text, topic.include),
        _author_score(paper, topic.authors),
        _category_score(paper, topic.categories),
        (QUERY_WEIGHT if paper.arxiv_id in query_hits else 0) if topic.query else None,
    ]
    filled = [part for part in parts if part is not None]
    if not filled or 0 in filled:
        return 0
    return sum(filled)


@dataclass(frozen=True, slots=True)
class _TextIndex:
    """A paper's title and abstract as lower-case words, for whole-word matching."""

    title_words: frozenset[str]
    abstract_words: frozenset[str]
    title: str  # " word word … " so that a phrase matches on word boundaries
    abstract: str

    def mentions(self, phrase: tuple[str, ...]) -> bool:
        return self.in_title(phrase) or self.in_abstract(phrase)

    def in_title(self, phrase: tuple[str, ...]) -> bool:
        return _contains(self.title_words, self.title, phrase)

    def in_abstract(self, phrase: tuple[str, ...]) -> bool:
        return _contains(self.abstract_words, self.abstract, phrase)


def _contains(words: frozenset[str], text: str, phrase: tuple[str, ...]) -> bool:
    if len(phrase) == 1:
        return phrase[0] in words
    return bool(phrase) and f" {' '.join(phrase)} " in text


@lru_cache(maxsize=50_000)
def _text_index(paper: Paper) -> _TextIndex:
    # Papers repeat across subscribers in one pass; each is split into words once.
    title = _WORD_RE.findall(paper.title.casefold())
    abstract = _WORD_RE.findall(paper.abstract.casefold())
    return _TextIndex(
        frozenset(title), frozenset(abstract), f" {' '.join(title)} ", f" {' '.join(abstract)} "
    )


@lru_cache(maxsize=4_096)
def _phrase(keyword: str) -> tuple[str, ...]:
    """A keyword as the words it is made of: "Chain-of-thought" -> (chain, of, thought)."""
    return tuple(_WORD_RE.findall(keyword.casefold()))


def _keyword_score(text: _TextIndex, keywords: tuple[str, ...]) -> int | None:
    if not keywords:
        return None
    phrases = [_phrase(keyword) for keyword in keywords]
    in_title = sum(1 for phrase in phrases if text.in_title(phrase))
    in_abstract = sum(1 for phrase in phrases if text.in_abstract(phrase))
    return in_title * TITLE_KEYWORD_WEIGHT + in_abstract * ABSTRACT_KEYWORD_WEIGHT


def _author_score(paper: Paper, authors: tuple[str, ...]) -> int | None:
    if not authors:
        return None
    wanted = [name.casefold() for name in authors]
    found = sum(1 for author in paper.authors if any(w in author.casefold() for w in wanted))
    return found * AUTHOR_WEIGHT


def _category_score(paper: Paper, categories: tuple[str, ...]) -> int | None:
    """Exact codes (cs.CL) or whole archives (cs, math)."""
    if not categories:
        return None
    wanted = {code.casefold() for code in categories}
    found = sum(
        1
        for code in paper.categories
        if code.casefold() in wanted or code.casefold().split(".")[0] in wanted
    )
    return found * CATEGORY_WEIGHT


def rank_by_trending(papers: Sequence[Paper], anchor: date, half_life_hours: float) -> list[Paper]:
    """Papers best first by the trending score as of anchor (upvotes decayed by age)."""
    candidates = [
        TrendingCandidate(
            p.arxiv_id, p.imported_upvotes or 0, p.listing_day or anchor, p.published_at
        )
        for p in papers
    ]
    by_id = {paper.arxiv_id: paper for paper in papers}
    return [by_id[entry.arxiv_id] for entry in rank_trending(candidates, anchor, half_life_hours)]
