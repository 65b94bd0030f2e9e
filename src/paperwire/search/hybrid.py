"""Fuse scored lists (min-max scaled scores, weighted) and mark query words in text."""

from __future__ import annotations

import html
import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

from paperwire.search.keyword import Term
from paperwire.terms import STOPWORDS

# A paper's fused score is KEYWORD_WEIGHT x its scaled bm25 + SEMANTIC_WEIGHT x its scaled
# cosine. Chosen on the SciFact train split and the known-item set; docs/search.md has
# the measured effect of other weights and of reciprocal-rank fusion, which this replaced.
KEYWORD_WEIGHT = 0.7
SEMANTIC_WEIGHT = 0.3
SNIPPET_WORDS = 40
SNIPPET_CONTEXT_WORDS = 8  # shown before the first match when the snippet has to move
T = TypeVar("T", bound=Hashable)


def score_fusion(
    rankings: Sequence[Sequence[tuple[T, float]]], weights: Sequence[float]
) -> list[tuple[T, float]]:
    """Items from several scored best-first lists, by the weighted sum of their scores,
    each list's scores first scaled to [0, 1] (min-max, so bm25 and cosine become
    comparable); an item missing from a list gets 0 from it. Ties keep first-seen order."""
    fused: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        scores = [score for _, score in ranking]
        low, spread = min(scores), max(scores) - min(scores)
        for item, score in ranking:
            scaled = (score - low) / spread if spread > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + weight * scaled
    return sorted(fused.items(), key=lambda pair: -pair[1])


def mark_terms(text: str, terms: Sequence[Term], *, max_words: int | None = None) -> str:
    """text escaped for HTML with the query's words in <mark>; with max_words, a window of
    that many words that starts a little before the first match (a snippet)."""
    pattern = _terms_pattern(terms)
    words = text.split()
    if max_words is not None:
        start = _snippet_start(words, pattern, max_words)
        shown = " ".join(words[start : start + max_words])
        before = "…" if start > 0 else ""
        after = "…" if start + max_words < len(words) else ""
        text = f"{before}{shown}{after}"
    else:
        text = " ".join(words)
    if pattern is None:
        return html.escape(text, quote=False)
    pieces = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[position : match.start()], quote=False))
        pieces.append(f"<mark>{html.escape(match.group(0), quote=False)}</mark>")
        position = match.end()
    pieces.append(html.escape(text[position:], quote=False))
    return "".join(pieces)


def _snippet_start(words: list[str], pattern: re.Pattern[str] | None, size: int) -> int:
    """The first word of the window: the start, unless the first match lies beyond it."""
    if pattern is None:
        return 0
    first = next((i for i, word in enumerate(words) if pattern.search(word)), 0)
    return 0 if first < size - SNIPPET_CONTEXT_WORDS else first - SNIPPET_CONTEXT_WORDS


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
