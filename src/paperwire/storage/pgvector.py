"""Nearest-neighbour search inside PostgreSQL with pgvector, where the extension exists.

Migration 0009 (or `paperwire embed` later) adds paper_embeddings.embedding, a `vector`
column without a fixed dimension, kept equal to the float16 bytes in `vector`. Vectors
travel in pgvector's text form, '[x,y,...]', so no client-side adapter is needed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.exc import DBAPIError

from paperwire.storage.database import Database
from paperwire.storage.search import PaperFilter, filter_clauses

BACKFILL_ROWS = 2_000
_log = logging.getLogger(__name__)

_VECTOR_COLUMN = text(
    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND table_name = 'paper_embeddings' AND column_name = 'embedding'"
)
_SET_VECTOR = text(
    "UPDATE paper_embeddings SET embedding = CAST(:embedding AS vector) WHERE paper_id = :id"
)
_UNFILLED = text(
    "SELECT paper_id, vector FROM paper_embeddings WHERE embedding IS NULL "
    "AND paper_id > :after ORDER BY paper_id LIMIT :rows"
)
# {dims} is an int. The stored vectors are unit length, so the inner product (<#> is its
# negative) is the cosine, as in the in-memory index. Ordered by the computed cosine, no
# index can serve this query: it is an exact scan, and filters are applied within it.
_EXACT = """
    SELECT paper_embeddings.paper_id,
           -(CAST(embedding AS vector({dims})) <#> CAST(:query AS vector({dims}))) AS cosine
    FROM paper_embeddings JOIN papers ON papers.id = paper_embeddings.paper_id
    WHERE paper_embeddings.model = :model AND embedding IS NOT NULL
      AND paper_embeddings.paper_id <> :exclude AND papers.hidden_at IS NULL {filters}
    ORDER BY cosine DESC, paper_embeddings.paper_id
    LIMIT :limit
"""
# Ordered by the distance expression, with the model as a literal, this is what the model's
# partial HNSW index (ensure_hnsw_index) serves; without that index it is an exact scan.
# Hidden papers are filtered out of the walk's candidates: they are few, so k remain.
_APPROXIMATE = """
    SELECT paper_id,
           -(CAST(embedding AS vector({dims})) <#> CAST(:query AS vector({dims}))) AS cosine
    FROM paper_embeddings
    WHERE model = {model} AND embedding IS NOT NULL AND paper_id <> :exclude
      AND paper_id NOT IN (SELECT id FROM papers WHERE hidden_at IS NOT NULL)
    ORDER BY CAST(embedding AS vector({dims})) <#> CAST(:query AS vector({dims}))
    LIMIT :limit
"""
_HNSW_INDEX = """
    CREATE INDEX IF NOT EXISTS {name} ON paper_embeddings
    USING hnsw ((CAST(embedding AS vector({dims}))) vector_ip_ops) WHERE model = {model}
"""
# pgvector's largest hnsw.ef_search; deeper queries scan exactly.
HNSW_MAX_EF_SEARCH = 1_000
# The candidate list an HNSW walk keeps: at least this, and twice k (recall@10 0.99 at
# 137k papers with 200, docs/search.md).
HNSW_MIN_EF_SEARCH = 100


def enable_database_vectors(connection: Connection) -> bool:
    """On PostgreSQL, create pgvector and the embedding column and fill it (idempotent);
    False, changing nothing, where the extension cannot be created."""
    if connection.dialect.name != "postgresql":
        return False
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0]
        _log.warning("pgvector unavailable (%s): semantic search stays in memory", reason)
        return False
    connection.execute(
        text("ALTER TABLE paper_embeddings ADD COLUMN IF NOT EXISTS embedding vector")
    )
    _fill(connection)
    return True


def _fill(connection: Connection) -> None:
    """Copy stored float16 vectors into the embedding column where it is empty."""
    after = 0
    while rows := connection.execute(_UNFILLED, {"after": after, "rows": BACKFILL_ROWS}).all():
        vectors = [np.frombuffer(row[1], dtype="<f2").astype(np.float32) for row in rows]
        store_database_vectors(connection, [row[0] for row in rows], vectors)
        after = rows[-1][0]


def database_vectors_available(db: Database) -> bool:
    """True when the database can search embeddings itself (PostgreSQL with pgvector)."""
    if db.dialect != "postgresql":
        return False
    with db.read() as connection:
        return has_vector_column(connection)


def has_vector_column(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    return connection.execute(_VECTOR_COLUMN).first() is not None


def store_database_vectors(
    connection: Connection, paper_ids: Sequence[int], vectors: Sequence[np.ndarray]
) -> None:
    """Set the embedding column of stored rows (in the caller's transaction)."""
    rows = [
        {"id": paper_id, "embedding": vector_text(vector)}
        for paper_id, vector in zip(paper_ids, vectors, strict=True)
    ]
    connection.execute(_SET_VECTOR, rows)


def vector_text(vector: np.ndarray) -> str:
    """A vector in pgvector's text form."""
    return "[" + ",".join(repr(float(value)) for value in vector) + "]"


def nearest_in_database(
    db: Database,
    model: str,
    dims: int,
    query: np.ndarray,
    k: int,
    *,
    where: PaperFilter | None = None,
    exclude: int | None = None,
) -> list[tuple[int, float]]:
    """The k stored papers most similar to query (a unit vector), best first, as (id,
    cosine). Unfiltered queries walk the model's HNSW index where one exists; filtered
    ones scan exactly, since pgvector would filter after the walk and return too few."""
    if k <= 0:
        return []
    where = where or PaperFilter()
    params = {"query": vector_text(query), "exclude": exclude or 0, "limit": k}
    if where != PaperFilter() or k > HNSW_MAX_EF_SEARCH:
        filters, filter_params = filter_clauses(db.dialect, where)
        statement = text(_EXACT.format(dims=int(dims), filters=filters))
        return _ranked(db, statement, params | filter_params | {"model": model})
    statement = approximate_query(model, dims)
    ef_search = min(HNSW_MAX_EF_SEARCH, max(HNSW_MIN_EF_SEARCH, 2 * k))
    return _ranked(db, statement, params, ef_search)


def _ranked(
    db: Database, statement: TextClause, params: dict[str, object], ef_search: int = 0
) -> list[tuple[int, float]]:
    with db.engine.begin() as connection:
        if ef_search:  # read by the index scan when it runs, so a prepared plan sees it
            connection.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
        rows = connection.execute(statement, params).all()
    return [(int(paper_id), float(cosine)) for paper_id, cosine in rows]


def approximate_query(model: str, dims: int) -> TextClause:
    """The unfiltered nearest query: what model's HNSW index serves (binds query,
    exclude, limit)."""
    return text(_APPROXIMATE.format(dims=int(dims), model=_literal(model)))


def hnsw_index_name(model: str) -> str:
    return f"ix_paper_embeddings_hnsw_{hashlib.blake2b(model.encode(), digest_size=6).hexdigest()}"


def ensure_hnsw_index(db: Database, model: str, dims: int) -> bool:
    """Create model's HNSW index unless it exists (a minute at 137k papers, writes to the
    table wait meanwhile); False, doing nothing, without pgvector."""
    if not database_vectors_available(db):
        return False
    name = hnsw_index_name(model)
    with db.write() as connection:
        connection.execute(
            text(_HNSW_INDEX.format(name=name, dims=int(dims), model=_literal(model)))
        )
    return True


def _literal(value: str) -> str:
    """value as an SQL string literal inside text(): an index predicate and the query that
    should use it must both name the model as a constant, not a bound parameter."""
    return "'" + value.replace("'", "''").replace(":", "\\:") + "'"


def prepare_database_vectors(db: Database) -> bool:
    """enable_database_vectors in a transaction of its own: `paperwire embed` runs it so
    that pgvector installed after migration 0009 is taken up (docs/search.md)."""
    if db.dialect != "postgresql":
        return False
    with db.write() as connection:
        return enable_database_vectors(connection)
