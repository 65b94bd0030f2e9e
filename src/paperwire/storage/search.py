"""Keyword search in SQL: FTS5 with bm25 on SQLite, tsvector with ts_rank on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, text

from paperwire.storage.database import Database

# Highlights come back wrapped in these control characters, which never occur in paper
# text, so that the caller can escape the text before turning them into markup.
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
SNIPPET_TOKENS = 40

_SQLITE_SEARCH = """
    SELECT papers.arxiv_id,
           bm25(papers_fts, 10.0, 4.0, 1.0) AS rank,
           highlight(papers_fts, 0, :open, :close) AS title_marked,
           snippet(papers_fts, 2, :open, :close, '…', :tokens) AS abstract_marked
    FROM papers_fts JOIN papers ON papers.id = papers_fts.rowid
    WHERE papers_fts MATCH :query AND papers.hidden_at IS NULL {filters}
    ORDER BY rank, papers.listing_day DESC, papers.arxiv_id
    LIMIT :limit OFFSET :offset
"""
_POSTGRES_SEARCH = """
    SELECT arxiv_id,
           ts_rank(search_vector, query) AS rank,
           ts_headline('english', title, query, :title_options) AS title_marked,
           ts_headline('english', abstract, query, :abstract_options) AS abstract_marked
    FROM papers, CAST({tsquery} AS tsquery) AS query
    WHERE search_vector @@ query AND papers.hidden_at IS NULL {filters}
    ORDER BY rank DESC, listing_day DESC, arxiv_id
    LIMIT :limit OFFSET :offset
"""
# Every term (websearch words and phrases ANDed with prefix terms), or any term (words
# and prefix terms, each one to_tsquery expression joined with |). Prefixes come stemmed
# and go through 'simple', which drops no stopword: "for*" is the start of "forecast".
_POSTGRES_ALL_TERMS = """CASE WHEN :prefixes = '' THEN websearch_to_tsquery('english', :query)
    ELSE websearch_to_tsquery('english', :query) && to_tsquery('simple', :prefixes) END"""
_POSTGRES_ANY_TERM = """CASE WHEN :prefixes = '' THEN to_tsquery('english', :any_terms)
    WHEN :any_terms = '' THEN to_tsquery('simple', :prefixes)
    ELSE to_tsquery('english', :any_terms) || to_tsquery('simple', :prefixes) END"""
_FILTERS = {
    "first": "AND papers.listing_day >= :first",
    "last": "AND papers.listing_day <= :last",
}
_CATEGORY_FILTER = {
    "sqlite": "AND EXISTS (SELECT 1 FROM json_each(papers.categories) WHERE value = :category)",
    "postgresql": "AND CAST(papers.categories AS jsonb) @> CAST(:category_list AS jsonb)",
}


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """One question in each dialect's syntax (built by paperwire.search.keyword)."""

    fts5: str  # SQLite FTS5 MATCH expression
    websearch: str  # PostgreSQL websearch_to_tsquery words and phrases (every-term mode)
    prefixes: str  # PostgreSQL to_tsquery('simple') prefix terms: ANDed, or ORed in any-term mode
    any_terms: str | None = None  # PostgreSQL to_tsquery words, ORed: any-term mode when set


@dataclass(frozen=True, slots=True)
class PaperFilter:
    """Papers listed in [first, last] and in category; None means no limit."""

    first: date | None = None
    last: date | None = None
    category: str | None = None


_SQLITE_UNINDEX = text(
    """
    INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
    SELECT 'delete', id, title, authors, abstract FROM papers WHERE arxiv_id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))
_SQLITE_INDEX = text(
    """
    INSERT INTO papers_fts(rowid, title, authors, abstract)
    SELECT id, title, authors, abstract FROM papers WHERE arxiv_id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))


def unindex_texts(connection: Connection, arxiv_ids: Sequence[str]) -> None:
    """Take papers' current text out of the keyword index; call before changing it."""
    if arxiv_ids and connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_UNINDEX, {"ids": list(arxiv_ids)})


def index_texts(connection: Connection, arxiv_ids: Sequence[str]) -> None:
    """Put papers' stored text into the keyword index (PostgreSQL's is a generated column)."""
    if arxiv_ids and connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_INDEX, {"ids": list(arxiv_ids)})


@dataclass(frozen=True, slots=True)
class KeywordMatch:
    arxiv_id: str
    score: float  # higher is better on both backends
    title_marked: str  # title with matches between MARK_OPEN and MARK_CLOSE
    abstract_marked: str  # a snippet of the abstract, marked the same way


def keyword_search(
    db: Database,
    query: KeywordQuery,
    *,
    limit: int,
    offset: int = 0,
    where: PaperFilter | None = None,
) -> list[KeywordMatch]:
    """Best matches first, on SQLite with FTS5's bm25, on PostgreSQL with ts_rank."""
    filters, filter_params = filter_clauses(db.dialect, where or PaperFilter())
    if db.dialect == "sqlite":
        statement = text(_SQLITE_SEARCH.format(filters=filters))
        params: dict[str, object] = {
            "query": query.fts5,
            "open": MARK_OPEN,
            "close": MARK_CLOSE,
            "tokens": SNIPPET_TOKENS,
        }
    else:
        tsquery, params = _postgres_tsquery(query)
        statement = text(_POSTGRES_SEARCH.format(tsquery=tsquery, filters=filters))
        marks = f'StartSel="{MARK_OPEN}", StopSel="{MARK_CLOSE}"'
        params |= {
            "title_options": f"{marks}, HighlightAll=true",
            "abstract_options": f"{marks}, MaxWords={SNIPPET_TOKENS}, MinWords=20",
        }
    params |= filter_params | {"limit": limit, "offset": offset}
    with db.read() as connection:
        rows = connection.execute(statement, params).all()
    return [
        KeywordMatch(row[0], _higher_is_better(db, row[1]), row[2] or "", row[3] or "")
        for row in rows
    ]


def _postgres_tsquery(query: KeywordQuery) -> tuple[str, dict[str, object]]:
    """The tsquery expression for query's mode (every term or any term) and its values."""
    tsquery = _POSTGRES_ALL_TERMS if query.any_terms is None else _POSTGRES_ANY_TERM
    values: dict[str, object] = {
        "query": query.websearch,
        "prefixes": query.prefixes,
        "any_terms": query.any_terms or "",
    }
    return tsquery, values


def _higher_is_better(db: Database, rank: float) -> float:
    """A rank as a score that grows with relevance: bm25 is lower for better matches."""
    return -float(rank) if db.dialect == "sqlite" else float(rank)


def filter_clauses(dialect: str, where: PaperFilter) -> tuple[str, dict[str, object]]:
    """SQL conditions (fixed text, values bound) for the limits that are set."""
    clauses: list[str] = []
    params: dict[str, object] = {}
    for name in ("first", "last"):
        value = getattr(where, name)
        if value is not None:
            clauses.append(_FILTERS[name])
            params[name] = value
    if where.category is not None:
        clauses.append(_CATEGORY_FILTER[dialect])
        params["category"] = where.category
        params["category_list"] = json.dumps([where.category])
    return " ".join(clauses), params


_SQLITE_KEYS = """
    SELECT papers_fts.rowid, bm25(papers_fts, 10.0, 4.0, 1.0) AS rank
    FROM papers_fts JOIN papers ON papers.id = papers_fts.rowid
    WHERE papers_fts MATCH :query AND papers.hidden_at IS NULL {filters}
    ORDER BY rank, papers.id
    LIMIT :limit OFFSET :offset
"""
# Without filters the join is not needed, and leaving it out makes the ranking 2-3x faster.
_SQLITE_KEYS_UNFILTERED = """
    SELECT rowid, bm25(papers_fts, 10.0, 4.0, 1.0) AS rank
    FROM papers_fts WHERE papers_fts MATCH :query
      AND rowid NOT IN (SELECT id FROM papers WHERE hidden_at IS NOT NULL)
    ORDER BY rank, rowid
    LIMIT :limit OFFSET :offset
"""
_POSTGRES_KEYS = """
    SELECT papers.id, ts_rank(search_vector, query) AS rank
    FROM papers, CAST({tsquery} AS tsquery) AS query
    WHERE search_vector @@ query AND papers.hidden_at IS NULL {filters}
    ORDER BY rank DESC, papers.id
    LIMIT :limit OFFSET :offset
"""
_SQLITE_CAPPED_COUNT = text(
    "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH :query LIMIT :cap)"
)
_POSTGRES_CAPPED_COUNT = text(
    f"""SELECT count(*) FROM (SELECT 1 FROM papers
       WHERE search_vector @@ ({_POSTGRES_ANY_TERM}) LIMIT :cap) AS found"""
)


def keyword_ranking(
    db: Database,
    query: KeywordQuery,
    *,
    limit: int,
    offset: int = 0,
    where: PaperFilter | None = None,
) -> list[tuple[int, float]]:
    """(paper key, score) of the best matches, best first, without highlights: cheaper,
    for fusion. Scores are bm25 (negated, so higher is better) or ts_rank."""
    filters, filter_params = filter_clauses(db.dialect, where or PaperFilter())
    if db.dialect == "sqlite":
        statement = text(
            _SQLITE_KEYS.format(filters=filters) if filters else _SQLITE_KEYS_UNFILTERED
        )
        params: dict[str, object] = {"query": query.fts5}
    else:
        tsquery, params = _postgres_tsquery(query)
        statement = text(_POSTGRES_KEYS.format(tsquery=tsquery, filters=filters))
    with db.read() as connection:
        values = params | filter_params | {"limit": limit, "offset": offset}
        rows = connection.execute(statement, values).all()
    return [(int(key), _higher_is_better(db, rank)) for key, rank in rows]


def capped_match_counts(db: Database, queries: Sequence[KeywordQuery], cap: int) -> list[int]:
    """For each one-term query, how many papers match it, counting no further than cap:
    cheap (it stops at cap), and enough to tell rare terms from common ones."""
    statement = _SQLITE_CAPPED_COUNT if db.dialect == "sqlite" else _POSTGRES_CAPPED_COUNT
    with db.read() as connection:
        return [
            int(
                connection.scalar(
                    statement, _postgres_tsquery(q)[1] | {"query": q.fts5, "cap": cap}
                )
                or 0
            )
            for q in queries
        ]


# FTS5's own list of the stems it holds: a temporary table of each connection, so that
# it needs no migration and nothing is stored twice.
_SQLITE_VOCABULARY_TABLE = text(
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.papers_fts_vocabulary "
    "USING fts5vocab(main, papers_fts, row)"
)
_SQLITE_STEMS_FROM = text(
    """SELECT term FROM temp.papers_fts_vocabulary WHERE term >= :low AND term < :high
       ORDER BY doc DESC, term LIMIT :limit"""
)


def stems_starting(db: Database, prefix: str, limit: int) -> list[str] | None:
    """Up to limit of the indexed stems that begin with prefix, those in the most papers
    first (FTS5's vocabulary: a range read); None where the database keeps no list of
    stems (PostgreSQL)."""
    if db.dialect != "sqlite":
        return None
    if not prefix:
        return []
    # Every string that starts with prefix sorts between it and the prefix with its last
    # character's successor, in FTS5's binary order.
    high = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with db.read() as connection:
        connection.execute(_SQLITE_VOCABULARY_TABLE)
        rows = connection.execute(
            _SQLITE_STEMS_FROM, {"low": prefix, "high": high, "limit": limit}
        ).all()
    return [str(row[0]) for row in rows]
