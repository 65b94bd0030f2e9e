"""Readable shared terms: which of a paper's words a reader's profile weighs most, as written.

Terms are what `paperwire.terms.analyze` makes of a text: folded, stop words out, Porter
stems ("distillation" becomes "distil"). A stem is shown as the word it most often came
from in the candidate's own text (`surface_words`), so that the reader sees
"distillation", not "distil".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from paperwire.terms import STOPWORDS, analyze

MIN_TERM_LETTERS = 3
_WORD_RE = re.compile(r"[^\W_]+")


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
