"""Choose a digest's papers (pure): never one already sent, ranked by trending or topics."""

from __future__ import annotations

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
    fresh = [paper for paper in ranked if paper.arxiv_id not in already_sent]
    if preferences.content == "trending":
        return [Chosen(paper) for paper in fresh[: preferences.size]]
    scored: list[tuple[int, int, Chosen]] = []
    for position, paper in enumerate(fresh):
        score, topic = best_topic(paper, preferences.topics, query_matches or {})
        if score > 0:
            scored.append((-score, position, Chosen(paper, topic.name or None)))
    scored.sort(key=lambda entry: entry[:2])
    return [chosen for _, _, chosen in scored[: preferences.size]]


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
    text = f"{paper.title}\n{paper.abstract}"
    if topic.exclude and _words(topic.exclude).search(text):
        return 0
    parts = [
        _keyword_score(paper, topic.include),
        _author_score(paper, topic.authors),
        _category_score(paper, topic.categories),
        (QUERY_WEIGHT if paper.arxiv_id in query_hits else 0) if topic.query else None,
    ]
    filled = [part for part in parts if part is not None]
    if not filled or 0 in filled:
        return 0
    return sum(filled)


def _keyword_score(paper: Paper, keywords: tuple[str, ...]) -> int | None:
    if not keywords:
        return None
    pattern = _words(keywords)
    in_title = len(set(m.lower() for m in pattern.findall(paper.title)))
    in_abstract = len(set(m.lower() for m in pattern.findall(paper.abstract)))
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


@lru_cache(maxsize=4_096)
def _words(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases, any case; spaces in a phrase match any run of white space."""
    alternatives = sorted((r"\s+".join(map(re.escape, k.split())) for k in keywords), key=len)
    return re.compile(r"(?<!\w)(?:" + "|".join(reversed(alternatives)) + r")(?!\w)", re.I)


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
