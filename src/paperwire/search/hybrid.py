"""Fuse ranked lists (reciprocal-rank fusion) and mark query words in text found semantically."""

from __future__ import annotations

import html
import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

from paperwire.search.keyword import STOPWORDS, Term

# RRF: a paper's fused score is the sum over lists of weight / (RRF_K + rank). k = 60 is
# the constant of Cormack et al. (2009); docs/search.md has the measured effect of both.
RRF_K = 60
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 0.5
SNIPPET_WORDS = 40
T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], weights: Sequence[float], k: int = RRF_K
) -> list[tuple[T, float]]:
    """Items from several best-first lists, by fused score; ties keep first-seen order."""
    scores: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def mark_terms(text: str, terms: Sequence[Term], *, max_words: int | None = None) -> str:
    """text escaped for HTML, cut to max_words, with the query's words in <mark>."""
    words = text.split()
    clipped = " ".join(words[:max_words]) + ("…" if max_words and len(words) > max_words else "")
    pattern = _terms_pattern(terms)
    if pattern is None:
        return html.escape(clipped, quote=False)
    pieces = []
    position = 0
    for match in pattern.finditer(clipped):
        pieces.append(html.escape(clipped[position : match.start()], quote=False))
        pieces.append(f"<mark>{html.escape(match.group(0), quote=False)}</mark>")
        position = match.end()
    pieces.append(html.escape(clipped[position:], quote=False))
    return "".join(pieces)


def _terms_pattern(terms: Sequence[Term]) -> re.Pattern[str] | None:
    words = {
        word.lower()
        for term in terms
        for word in term.words
        if word.lower() not in STOPWORDS and len(word) > 1
    }
    if not words:
        return None
    # A word, or the start of a longer one ("distil" marks "distillation"), case-insensitive.
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)
