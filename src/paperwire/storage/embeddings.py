"""Stored paper embeddings: what needs embedding, saving vectors, and reading what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Executable, Select, func, select, update

from paperwire.storage.counters import advance_counter, counter_value, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.index_rows import (
    count_listed_rows,
    count_rows_since,
    listed_row_ids,
    rows_since,
)
from paperwire.storage.pgvector import has_vector_column, store_database_vectors
from paperwire.storage.schema import paper_embeddings, papers

EMBEDDINGS_COUNTER = "embeddings"
# Persisted format (docs/search.md): little-endian IEEE float16, L2-normalised.
VECTOR_DTYPE = np.dtype("<f2")


@dataclass(frozen=True, slots=True)
class EmbeddingSource:
    """A paper whose embedding is missing or was computed from other text."""

    paper_id: int
    text: str
    text_hash: str


@dataclass(frozen=True, slots=True)
class StoredVectors:
    """Embeddings written after some seq, with what the vector index filters on."""

    paper_ids: np.ndarray  # int64
    vectors: np.ndarray  # float32, one row per paper
    listing_days: np.ndarray  # int32 proleptic ordinals, 0 when unknown
    categories: list[tuple[str, ...]]
    seq: int  # the newest seq included


def embedding_text(title: str, abstract: str) -> str:
    """What the model reads for a paper: its title, then its abstract, on one line each."""
    return f"{' '.join(title.split())}\n{' '.join(abstract.split())}"


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes], dims: int) -> np.ndarray:
    """Stored blobs as one float32 matrix (rows in the order given)."""
    joined = np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE)
    return joined.reshape(len(blobs), dims).astype(np.float32)


def sources_to_embed(
    db: Database, model: str, *, after_paper_id: int = 0, limit: int = 1000
) -> tuple[list[EmbeddingSource], int, int]:
    """Papers after after_paper_id, by id, whose embedding for model is missing or stale,
    the last paper id looked at (0 when there are no more papers) and how many were."""
    query = _with_embedding().where(papers.c.id > after_paper_id).order_by(papers.c.id)
    with db.read() as connection:
        rows: Sequence[Any] = connection.execute(query.limit(limit)).all()
    last = int(rows[-1][0]) if rows else 0
    return _stale(rows, model), last, len(rows)


def sources_for_papers(db: Database, model: str, arxiv_ids: Sequence[str]) -> list[EmbeddingSource]:
    """The papers among arxiv_ids whose embedding for model is missing or stale."""
    if not arxiv_ids:
        return []
    query = _with_embedding().where(papers.c.arxiv_id.in_(list(arxiv_ids))).order_by(papers.c.id)
    with db.read() as connection:
        return _stale(connection.execute(query).all(), model)


def _with_embedding() -> Select[tuple[int, str, str, str | None, str | None]]:
    return select(
        papers.c.id,
        papers.c.title,
        papers.c.abstract,
        paper_embeddings.c.model,
        paper_embeddings.c.text_hash,
    ).outerjoin(paper_embeddings, paper_embeddings.c.paper_id == papers.c.id)


def _stale(rows: Sequence[Any], model: str) -> list[EmbeddingSource]:
    wanted = []
    for paper_id, title, abstract, stored_model, stored_hash in rows:
        text = embedding_text(title, abstract)
        digest = text_hash(text)
        if stored_model != model or stored_hash != digest:
            wanted.append(EmbeddingSource(paper_id, text, digest))
    return wanted


def save_embeddings(
    db: Database, model: str, sources: Sequence[EmbeddingSource], vectors: np.ndarray
) -> int:
    """Store one vector per source (replacing older ones) in one transaction; the new seq."""
    if not sources:
        return embeddings_seq(db)
    with db.write() as connection:
        seq = advance_counter(connection, EMBEDDINGS_COUNTER)
        rows = [
            {
                "paper_id": source.paper_id,
                "model": model,
                "text_hash": source.text_hash,
                "vector": encode_vector(vector),
                "seq": seq,
            }
            for source, vector in zip(sources, vectors, strict=True)
        ]
        connection.execute(_upsert(connection), rows)
        if has_vector_column(connection):
            # The stored float16 values, so that both search paths rank the same numbers.
            rounded = np.asarray(vectors, dtype=VECTOR_DTYPE).astype(np.float32)
            store_database_vectors(connection, [s.paper_id for s in sources], list(rounded))
    return seq


def refile_embeddings(connection: Connection, arxiv_ids: Sequence[str]) -> None:
    """Give the embeddings of papers whose listing day or categories changed a new seq, in
    the caller's transaction, so that vector indexes read again what they filter on."""
    if not arxiv_ids:
        return
    seq = advance_counter(connection, EMBEDDINGS_COUNTER)
    keys = select(papers.c.id).where(papers.c.arxiv_id.in_(list(arxiv_ids)))
    connection.execute(
        update(paper_embeddings).where(paper_embeddings.c.paper_id.in_(keys)).values(seq=seq)
    )


def embeddings_seq(db: Database) -> int:
    """A number that grows with every write of embeddings: one indexed read."""
    return counter_value(db, EMBEDDINGS_COUNTER)


def count_embeddings(db: Database, model: str) -> int:
    query = select(func.count()).where(paper_embeddings.c.model == model)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def count_listed_embeddings(db: Database, model: str) -> int:
    """How many papers readers may see have an embedding of model: what a vector index
    holds once current."""
    return count_listed_rows(db, paper_embeddings, paper_embeddings.c.model == model)


def count_embeddings_since(db: Database, after_seq: int) -> int:
    """Embeddings written after after_seq (of any model)."""
    return count_rows_since(db, paper_embeddings, after_seq)


def listed_embedding_ids(db: Database, model: str) -> np.ndarray:
    """The ids of the papers readers may see that have an embedding of model, ascending."""
    return listed_row_ids(db, paper_embeddings, paper_embeddings.c.model == model)


def vectors_since(
    db: Database, model: str, dims: int, after_seq: int, *, chunk: int = 20_000
) -> Iterator[StoredVectors]:
    """Embeddings of model written after after_seq, in chunks, oldest writes first."""
    for filing, blobs in rows_since(
        db,
        paper_embeddings,
        paper_embeddings.c.vector,
        paper_embeddings.c.model == model,
        after_seq=after_seq,
        chunk=chunk,
    ):
        yield StoredVectors(
            filing.paper_ids,
            decode_vectors(blobs, dims),
            filing.listing_days,
            filing.categories,
            filing.seq,
        )


def _upsert(connection: Connection) -> Executable:
    statement = dialect_insert(connection, paper_embeddings)
    upsert: Executable = statement.on_conflict_do_update(
        index_elements=[paper_embeddings.c.paper_id],
        set_={
            name: getattr(statement.excluded, name)
            for name in ("model", "text_hash", "vector", "seq")
        },
    )
    return upsert


def stored_vector(db: Database, model: str, dims: int, paper_id: int) -> np.ndarray | None:
    """The stored embedding of one paper for model, or None."""
    query = select(paper_embeddings.c.vector).where(
        paper_embeddings.c.paper_id == paper_id, paper_embeddings.c.model == model
    )
    with db.read() as connection:
        blob = connection.scalar(query)
    return None if blob is None else decode_vectors([blob], dims)[0]


def vectors_for(
    db: Database, model: str, dims: int, paper_ids: Sequence[int]
) -> tuple[list[int], np.ndarray]:
    """The stored embeddings of model for those of paper_ids that have one, and which."""
    found: dict[int, bytes] = {}
    with db.read() as connection:
        for start in range(0, len(paper_ids), 1_000):
            query = select(paper_embeddings.c.paper_id, paper_embeddings.c.vector).where(
                paper_embeddings.c.paper_id.in_(list(paper_ids[start : start + 1_000])),
                paper_embeddings.c.model == model,
            )
            found.update((int(key), blob) for key, blob in connection.execute(query))
    keys = [key for key in paper_ids if key in found]
    return keys, decode_vectors([found[key] for key in keys], dims)
