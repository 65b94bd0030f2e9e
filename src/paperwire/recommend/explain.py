"""Why a paper is recommended, in words a reader can check: a close library paper, shared terms.

Terms are what `paperwire.terms.analyze` makes of a text: folded, stop words out, Porter
stems ("distillation" becomes "distil"). A stem is shown as the word it most often came
from in the candidate's own title and abstract (`surface_words`), so that the reader sees
"distillation", not "distil".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paperwire.terms import STOPWORDS, analyze

MIN_TERM_LETTERS = 3
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # "close-to" | "key-terms"
    text: str  # 'close to "Attention Is All You Need" in your library'
    arxiv_id: str | None = None  # the library paper it is close to, for a link


def closest_library_paper(candidate: np.ndarray, library: np.ndarray) -> tuple[int, float]:
    """The library row nearest to the candidate (L2-normalised vectors) and its cosine."""
    if len(library) == 0:
        raise ValueError("the library is empty: no paper to be close to")
    similarities = library @ candidate
    best = int(np.argmax(similarities))
    return best, float(similarities[best])


def library_term_weights(
    library_terms: Sequence[Sequence[str]], document_frequency: Mapping[str, int], papers: int
) -> dict[str, float]:
    """Each term's weight across a library: the mean over its papers of the term's
    sublinear tf-idf (1 + log tf) · idf, with idf from the document frequency among
    `papers` papers, so that a term many library papers use, and few other papers do,
    weighs most. Stop words, numbers and terms under 3 letters get no weight."""
    totals: dict[str, float] = {}
    for terms in library_terms:
        for term, count in Counter(t for t in terms if _is_key_term(t)).items():
            totals[term] = totals.get(term, 0.0) + 1 + math.log(count)
    size = max(len(library_terms), 1)
    return {
        term: total / size * _idf(document_frequency.get(term, 0), papers)
        for term, total in totals.items()
    }


def shared_key_terms(
    candidate_terms: Sequence[str], library_term_weights: Mapping[str, float], limit: int = 3
) -> list[str]:
    """The candidate's terms that weigh most in the library, heaviest first (ties by term)."""
    shared = {t for t in candidate_terms if _is_key_term(t) and library_term_weights.get(t, 0) > 0}
    return sorted(shared, key=lambda t: (-library_term_weights[t], t))[:limit]


def surface_words(text: str) -> dict[str, str]:
    """Each term of text mapped to the word it most often came from there, in lower case
    ("Distillation", "distillation" → "distillation") unless it is written with capitals
    after its first letter and never in lower case ("LLMs", "ReLU" stay as written)."""
    spellings: dict[str, Counter[str]] = {}
    for word in _WORD_RE.findall(text):
        for term in analyze(word):
            spellings.setdefault(term, Counter())[word] += 1
    return {term: _readable(counts) for term, counts in spellings.items()}


def close_to_reason(title: str, arxiv_id: str) -> Reason:
    return Reason("close-to", f'close to "{" ".join(title.split())}" in your library', arxiv_id)


def key_terms_reason(terms: Sequence[str], words: Mapping[str, str]) -> Reason:
    """`terms` as found by shared_key_terms, shown by their words in the candidate."""
    shown = ", ".join(words.get(term, term) for term in terms)
    return Reason("key-terms", f"shares key terms: {shown}")


def _readable(spellings: Counter[str]) -> str:
    forms: Counter[str] = Counter()
    for word, count in spellings.items():
        forms[word.lower()] += count
    # most_common keeps first-seen order among ties: the text decides, deterministically.
    form = forms.most_common(1)[0][0]
    written = [w for w, _ in spellings.most_common() if w.lower() == form]
    if form in written or not any(ch.isupper() for w in written for ch in w[1:]):
        return form
    return written[0]


def _is_key_term(term: str) -> bool:
    return len(term) >= MIN_TERM_LETTERS and not term.isdigit() and term not in STOPWORDS


def _idf(document_frequency: int, papers: int) -> float:
    return math.log((1 + papers) / (1 + document_frequency)) + 1
