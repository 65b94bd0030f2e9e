"""The in-memory vector index agrees with brute force and follows the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from factories import make_paper, store_random_embeddings
from sqlalchemy import delete

from paperwire.search import vector_base
from paperwire.search.embedder import normalised
from paperwire.search.index_build import build_index
from paperwire.search.index_files import IndexFolder
from paperwire.search.vector_index import VectorIndex
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.papers import (
    get_paper,
    hide_papers,
    paper_key,
    remove_papers,
    unhide_papers,
    upsert_papers,
)
from paperwire.storage.schema import papers
from paperwire.storage.search import PaperFilter

MODEL = "test-random"
DIMS = 16
FIRST_DAY = date(2024, 4, 1)


IndexOpener = Callable[[Database], VectorIndex]


@pytest.fixture(params=["memory", "generation"])
def open_index(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexOpener:
    """Opens a refreshed index of what is stored: held in memory, or (generation) built
    into index files first, with an HNSW graph walked even by filtered queries, so that
    every later change comes from the overlay on top of the mapped generation."""

    def opened(db: Database) -> VectorIndex:
        folder = None
        if request.param == "generation":
            monkeypatch.setattr(vector_base, "EXACT_FILTERED_ROWS", 0)
            folder = IndexFolder(tmp_path / "index")
            assert build_index(db, folder, MODEL, DIMS, graph_rows=0) is not None
        index = VectorIndex(MODEL, DIMS, folder)
        index.refresh(db)
        assert (index.generation is not None) == (request.param == "generation")
        return index

    return opened


def _store(db: Database, count: int, seed: int) -> tuple[list[int], np.ndarray]:
    return store_random_embeddings(db, MODEL, DIMS, count, seed, FIRST_DAY)


def _brute_force(keys: list[int], vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    return [keys[i] for i in np.argsort(-scores, kind="stable")[:k]]


def test_nearest_agrees_with_brute_force(open_index: IndexOpener, db: Database) -> None:
    keys, vectors = _store(db, 300, seed=1)
    index = open_index(db)
    rng = np.random.default_rng(2)
    for _ in range(20):
        query = normalised(rng.normal(size=(1, DIMS)).astype(np.float32))[0]
        found = [paper_id for paper_id, _ in index.nearest(query, 10)]
        assert found == _brute_force(keys, vectors, query, 10)


def test_a_papers_neighbours_by_the_narrower_walk_agree_with_brute_force(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 300, seed=11)
    index = open_index(db)
    for row in range(0, 300, 15):
        found = index.nearest(vectors[row], 10, exclude=keys[row], near_paper=True)
        others = [key for key in keys if key != keys[row]]
        expected = _brute_force(others, np.delete(vectors, row, axis=0), vectors[row], 10)
        assert [paper_id for paper_id, _ in found] == expected


def test_filters_agree_with_brute_force_over_the_allowed_papers(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 120, seed=3)
    index = open_index(db)
    where = PaperFilter(first=FIRST_DAY + timedelta(days=2), last=FIRST_DAY + timedelta(days=5))
    allowed = [i for i in range(120) if 2 <= i % 10 <= 5 and i % 3 == 0]
    query = vectors[7]
    found = index.nearest(query, 5, PaperFilter(where.first, where.last, "cs.CL"))
    expected = _brute_force([keys[i] for i in allowed], vectors[allowed], query, 5)
    assert [paper_id for paper_id, _ in found] == expected


def test_papers_added_elsewhere_are_found_after_refresh(
    open_index: IndexOpener, db: Database
) -> None:
    _store(db, 50, seed=4)
    index = open_index(db)
    keys, vectors = _store(db, 5, seed=5)  # another process's ingest
    index.refresh(db)
    assert len(index) == 55
    assert index.nearest(vectors[2], 1)[0][0] == keys[2]


def test_a_changed_text_replaces_the_vector_in_place(open_index: IndexOpener, db: Database) -> None:
    keys, vectors = _store(db, 20, seed=6)
    index = open_index(db)
    sources = embedding_store.sources_to_embed(db, MODEL)[0]
    assert sources == []  # all up to date
    updated = make_paper(
        arxiv_id=_arxiv_id(db, keys[0]), version=2, title="A new title for version 2"
    )
    upsert_papers(db, [updated])
    stale = embedding_store.sources_for_papers(db, MODEL, [updated.arxiv_id])
    assert [source.paper_id for source in stale] == [keys[0]]
    new_vector = normalised(-vectors[:1])
    embedding_store.save_embeddings(db, MODEL, stale, new_vector)
    index.refresh(db)
    assert len(index) == 20
    assert index.nearest(new_vector[0], 1)[0][0] == keys[0]


def test_a_deleted_paper_leaves_the_index(open_index: IndexOpener, db: Database) -> None:
    keys, vectors = _store(db, 10, seed=7)
    index = open_index(db)
    with db.write() as connection:  # an operator removing a paper by hand
        connection.execute(delete(papers).where(papers.c.id == keys[3]))
    embedding_store.save_embeddings(db, MODEL, [], np.zeros((0, DIMS)))
    _store(db, 1, seed=8)  # any later write moves the counter
    index.refresh(db)
    assert len(index) == 10
    assert keys[3] not in [paper_id for paper_id, _ in index.nearest(vectors[3], 10)]


def test_excluded_paper_and_empty_index() -> None:
    index = VectorIndex(MODEL, DIMS)
    assert index.nearest(np.ones(DIMS, np.float32), 5) == []


@pytest.mark.parametrize("k", [1, 5, 50])
def test_nearest_never_returns_the_excluded_paper(
    open_index: IndexOpener, db: Database, k: int
) -> None:
    keys, vectors = _store(db, 30, seed=9)
    index = open_index(db)
    found = index.nearest(vectors[0], k, exclude=keys[0])
    assert keys[0] not in [paper_id for paper_id, _ in found]
    assert len(found) == min(k, 29)


def _arxiv_id(db: Database, key: int) -> str:
    with db.engine.connect() as connection:
        found = connection.scalar(
            papers.select().with_only_columns(papers.c.arxiv_id).where(papers.c.id == key)
        )
    assert found is not None and paper_key(db, found) == key
    return str(found)


def test_a_paper_filed_under_another_day_or_category_is_filtered_by_the_new_one(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 30, seed=10)
    index = open_index(db)
    in_cl, new_day = PaperFilter(category="cs.CL"), FIRST_DAY + timedelta(days=40)
    on_new_day = PaperFilter(first=new_day, last=new_day)
    assert keys[1] not in [k for k, _ in index.nearest(vectors[1], 30, in_cl)]
    paper = get_paper(db, _arxiv_id(db, keys[1]))
    assert paper is not None
    # The text is the same, so the paper is not embedded again: only what it is filed under
    # changes (a new category, and the exact listing day a daily feed reported).
    refiled = replace(
        paper, version=2, categories=("cs.CL",), listing_day=new_day, listing_day_exact=True
    )
    upsert_papers(db, [refiled])
    assert embedding_store.sources_for_papers(db, MODEL, [paper.arxiv_id]) == []
    index.refresh(db)
    assert index.nearest(vectors[1], 1, in_cl)[0][0] == keys[1]
    assert [k for k, _ in index.nearest(vectors[1], 30, on_new_day)] == [keys[1]]
    assert len(index) == 30
    assert index.nearest(vectors[1], 1)[0][0] == keys[1]


def test_a_hidden_paper_leaves_the_index_and_comes_back_when_shown(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 12, seed=11)
    index = open_index(db)
    arxiv_id = _arxiv_id(db, keys[3])
    hide_papers(db, [arxiv_id], reason="spam")
    index.refresh(db)  # hiding alone moves the counter the index follows
    assert len(index) == 11
    assert keys[3] not in [paper_id for paper_id, _ in index.nearest(vectors[3], 12)]
    # Re-embedded while hidden (a harvest changed its text): still left out.
    stale = [replace(source, text_hash="changed") for source in _sources(db, [arxiv_id])]
    embedding_store.save_embeddings(db, MODEL, stale, vectors[3:4])
    index.refresh(db)
    assert len(index) == 11
    unhide_papers(db, [arxiv_id])
    index.refresh(db)
    assert len(index) == 12
    assert index.nearest(vectors[3], 1)[0][0] == keys[3]


def test_a_removed_paper_leaves_the_index_with_no_other_write(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 12, seed=12)
    index = open_index(db)
    remove_papers(db, [_arxiv_id(db, keys[5])])
    index.refresh(db)
    assert len(index) == 11
    assert keys[5] not in [paper_id for paper_id, _ in index.nearest(vectors[5], 12)]


def _sources(db: Database, arxiv_ids: list[str]) -> list[embedding_store.EmbeddingSource]:
    """The embedding sources of papers, stale or not."""
    return embedding_store.sources_for_papers(db, "another-model", arxiv_ids)


def test_vectors_of_gives_the_current_vectors_in_the_order_asked(
    open_index: IndexOpener, db: Database
) -> None:
    keys, vectors = _store(db, 12, seed=13)
    index = open_index(db)
    hide_papers(db, [_arxiv_id(db, keys[2])], reason="spam")
    stale = [
        replace(source, text_hash="changed") for source in _sources(db, [_arxiv_id(db, keys[5])])
    ]
    embedding_store.save_embeddings(db, MODEL, stale, normalised(-vectors[5:6]))  # re-embedded
    index.refresh(db)
    asked = [keys[5], keys[2], -1, keys[0], keys[7]]
    found, got = index.vectors_of(asked)
    assert found == [keys[5], keys[0], keys[7]]  # hidden and unknown papers left out
    expected = np.stack([-vectors[5], vectors[0], vectors[7]])
    assert np.allclose(got, expected, atol=2e-3)
    # One at a time, as the paper page asks: the same answers.
    for key in asked:
        one = index.vector_of(key)
        if key in found:
            assert one is not None and np.array_equal(one, got[found.index(key)])
        else:
            assert one is None
    assert index.vector_of(max(keys) + 1) is None  # past the last stored key
