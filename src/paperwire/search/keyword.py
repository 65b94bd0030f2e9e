"""Keyword search: parse a reader's query safely, run it, and mark the matches for display."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.papers import papers_by_ids
from paperwire.storage.search import (
    MARK_CLOSE,
    MARK_OPEN,
    KeywordMatch,
    KeywordQuery,
    PaperFilter,
    keyword_search,
)
from paperwire.terms import STOPWORDS, prefix_stem

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
# A shorter prefix would stand for a good part of the vocabulary ("t*": every word in t),
# so its * is ignored and it is searched as a word.
MIN_PREFIX_CHARS = 3
# A quoted phrase, or a run of word characters with a * right after it (a prefix); a *
# followed by a letter or digit, or standing alone, is ignored like other punctuation.
_TOKEN_RE = re.compile(r'"([^"]*)"|([\w][\w\'.\-]*)(\*(?!\w))?', re.UNICODE)
# Underscores separate words, as they do for both full-text engines and the analyzer.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class InvalidQuery(ValueError):
    """A query that cannot be searched; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchHit:
    paper: Paper
    score: float
    highlighted_title: str  # HTML: escaped text with <mark> around matches
    highlighted_summary: str
    by_meaning_only: bool = False  # found by semantic search; no keyword matched


def parse_query(query: str) -> list[Term]:
    """Words, "quoted phrases" and prefix* terms; every other character is ignored.

    A prefix is one word of at least MIN_PREFIX_CHARS characters with a * right after it;
    a * anywhere else (inside a phrase, a word, alone) is ignored. Nothing the reader
    types reaches a full-text engine unquoted, so FTS syntax characters (-, :, ^, NEAR,
    parentheses) can never break a query.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
    terms: list[Term] = []
    for match in _TOKEN_RE.finditer(query):
        phrase, word, star = match.groups()
        words = tuple(_WORD_RE.findall(phrase if phrase is not None else word))
        if words:
            prefix = bool(star) and len(words) == 1 and len(words[0]) >= MIN_PREFIX_CHARS
            terms.append(Term(words, prefix=prefix))
    if not terms:
        raise InvalidQuery("the query has no words to search for")
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term]) -> str:
    """The terms in FTS5 syntax: each quoted, implicitly ANDed."""
    parts = []
    for term in terms:
        quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
        parts.append(quoted + ("*" if term.prefix else ""))
    return " ".join(parts)


def websearch_query(terms: list[Term]) -> str:
    """The whole-word terms and phrases for PostgreSQL's websearch_to_tsquery."""
    return " ".join(
        f'"{" ".join(term.words)}"' if len(term.words) > 1 else term.words[0]
        for term in terms
        if not term.prefix
    )


def prefix_tsquery(terms: list[Term], joiner: str = " & ") -> str:
    """Prefix terms, stemmed, for to_tsquery('simple', …): 'synthes':* & 'distil':*.

    Stemmed here rather than by the 'english' configuration, which would drop a prefix
    that is a stopword ("for*" for forecast); terms hold letters and digits only."""
    return joiner.join(f"'{prefix_stem(term.words[0])}':*" for term in terms if term.prefix)


def any_term_fts5_query(terms: list[Term]) -> str:
    """The terms ORed in FTS5 syntax, stopwords left out: bm25 ranks papers with more first."""
    kept = without_stopwords(terms)
    return " OR ".join(fts5_query([term]) for term in kept)


def any_term_tsquery(terms: list[Term]) -> str:
    """The whole words and phrases ORed for to_tsquery('english', …) (prefixes apart,
    in prefix_tsquery); terms hold letters and digits only."""
    return " | ".join(
        " <-> ".join(f"'{word.lower()}'" for word in term.words)
        for term in without_stopwords(terms)
        if not term.prefix
    )


def without_stopwords(terms: list[Term]) -> list[Term]:
    """The terms but stopwords (a phrase and a prefix are kept whole); all of them if only
    stopwords."""
    kept = [t for t in terms if t.prefix or len(t.words) > 1 or t.words[0].lower() not in STOPWORDS]
    return kept or terms


def semantic_text(query: str) -> str:
    """The query as the embedder reads it: prefix marks are syntax, not meaning."""
    return query.replace("*", " ")


def keyword_query(terms: list[Term], *, any_term: bool = False) -> KeywordQuery:
    """The terms in each dialect's syntax: every term must match, or with any_term, any."""
    if any_term:
        return KeywordQuery(
            fts5=any_term_fts5_query(terms),
            websearch="",
            prefixes=prefix_tsquery(without_stopwords(terms), " | "),
            any_terms=any_term_tsquery(terms),
        )
    return KeywordQuery(
        fts5=fts5_query(terms), websearch=websearch_query(terms), prefixes=prefix_tsquery(terms)
    )


def search_papers(
    db: Database,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    where: PaperFilter | None = None,
    any_term: bool = False,
) -> list[SearchHit]:
    """Papers matching every term (or any, best first), with the matches marked."""
    terms = parse_query(query)
    matches = keyword_search(
        db, keyword_query(terms, any_term=any_term), limit=limit, offset=offset, where=where
    )
    return hits_for(db, matches)


def hits_for(db: Database, matches: list[KeywordMatch]) -> list[SearchHit]:
    """The papers of keyword matches, in order, with their marked title and snippet."""
    found = {p.arxiv_id: p for p in papers_by_ids(db, [m.arxiv_id for m in matches])}
    return [
        SearchHit(found[m.arxiv_id], m.score, mark_up(m.title_marked), mark_up(m.abstract_marked))
        for m in matches
        if m.arxiv_id in found
    ]


def mark_up(marked: str) -> str:
    """Escape text for HTML, then turn the storage layer's match markers into <mark>."""
    escaped = html.escape(" ".join(marked.split()), quote=False)
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
