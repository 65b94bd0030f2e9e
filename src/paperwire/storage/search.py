"""Keyword search in SQL: FTS5 with bm25 on SQLite, tsvector with ts_rank on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, text

from paperwire.storage.database import Database

# Highlights come back wrapped in these control characters, which never occur in paper
# text, so that the caller can escape the text before turning them into markup.
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
SNIPPET_TOKENS = 40

_SQLITE_SEARCH = text(
    """
    SELECT papers.arxiv_id,
           bm25(papers_fts, 10.0, 4.0, 1.0) AS rank,
           highlight(papers_fts, 0, :open, :close) AS title_marked,
           snippet(papers_fts, 2, :open, :close, '…', :tokens) AS abstract_marked
    FROM papers_fts JOIN papers ON papers.id = papers_fts.rowid
    WHERE papers_fts MATCH :query
    ORDER BY rank, papers.listing_day DESC, papers.arxiv_id
    LIMIT :limit OFFSET :offset
    """
)
_POSTGRES_SEARCH = text(
    """
    SELECT arxiv_id,
           ts_rank(search_vector, query) AS rank,
           ts_headline('english', title, query, :title_options) AS title_marked,
           ts_headline('english', abstract, query, :abstract_options) AS abstract_marked
    FROM papers,
         CAST(CASE WHEN :prefixes = '' THEN websearch_to_tsquery('english', :query)
                   ELSE websearch_to_tsquery('english', :query) && to_tsquery('simple', :prefixes)
              END AS tsquery) AS query
    WHERE search_vector @@ query
    ORDER BY rank DESC, listing_day DESC, arxiv_id
    LIMIT :limit OFFSET :offset
    """
)


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
    *,
    fts5_query: str,
    websearch_query: str,
    prefix_query: str,
    limit: int,
    offset: int = 0,
) -> list[KeywordMatch]:
    """Best matches first. The query forms are the same question in each dialect's syntax:
    FTS5 for SQLite; for PostgreSQL, websearch words and phrases ANDed with a to_tsquery of
    prefix terms (`word:*`), which websearch_to_tsquery cannot express."""
    if db.dialect == "sqlite":
        statement = _SQLITE_SEARCH
        params: dict[str, object] = {
            "query": fts5_query,
            "open": MARK_OPEN,
            "close": MARK_CLOSE,
            "tokens": SNIPPET_TOKENS,
        }
    else:
        statement = _POSTGRES_SEARCH
        marks = f'StartSel="{MARK_OPEN}", StopSel="{MARK_CLOSE}"'
        params = {
            "query": websearch_query,
            "prefixes": prefix_query,
            "title_options": f"{marks}, HighlightAll=true",
            "abstract_options": f"{marks}, MaxWords={SNIPPET_TOKENS}, MinWords=20",
        }
    with db.engine.connect() as connection:
        rows = connection.execute(statement, params | {"limit": limit, "offset": offset}).all()
    sign = -1.0 if db.dialect == "sqlite" else 1.0  # bm25: lower is better
    return [KeywordMatch(row[0], sign * float(row[1]), row[2] or "", row[3] or "") for row in rows]
