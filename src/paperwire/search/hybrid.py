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
SNIPPET_CONTEXT_WORDS = 8  # shown before the first match when the snippet has to move
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
