"""Index generations on disk: written whole or not at all, switched to by every reader at
its next query, rebuilt once at a time, and never trusted when damaged."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factories import make_paper, store_random_embeddings

from paperwire.config import Settings
from paperwire.search import index_build
from paperwire.search.embedder import normalised
from paperwire.search.index_build import build_index, index_lag
from paperwire.search.index_files import CURRENT, IndexFolder
from paperwire.search.term_index import TermIndex
from paperwire.search.vector_index import VectorIndex
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.terms import query_hashes

MODEL = "test-random"
DIMS = 16
FIRST_DAY = date(2024, 4, 1)


def _build(db: Database, folder: IndexFolder, graph_rows: int = 0) -> str:
    report = build_index(db, folder, MODEL, DIMS, graph_rows=graph_rows)
    assert report is not None
    return report.generation


def test_readers_switch_to_a_new_generation_at_their_next_query(
    db: Database, tmp_path: Path
) -> None:
    folder = IndexFolder(tmp_path / "index")
    keys, vectors = store_random_embeddings(db, MODEL, DIMS, 40, 1, FIRST_DAY)
    first = _build(db, folder)
    index, terms = VectorIndex(MODEL, DIMS, folder), TermIndex(folder)
    index.refresh(db)
    terms.refresh(db)
    assert (index.generation, terms.generation) == (first, first)
    added, added_vectors = store_random_embeddings(db, MODEL, DIMS, 5, 2, FIRST_DAY)
    index.refresh(db)  # the five come from the database, on top of the first generation
    assert len(index) == 45 and index.nearest(added_vectors[0], 1)[0][0] == added[0]
    second = _build(db, folder)
    assert second != first
    index.refresh(db)
    terms.refresh(db)
    assert (index.generation, terms.generation) == (second, second)
    assert len(index) == 45 and len(terms) == 45
    assert index.nearest(vectors[3], 1)[0][0] == keys[3]
    assert index.nearest(added_vectors[4], 1)[0][0] == added[4]


def test_a_build_that_fails_part_way_leaves_the_current_generation_alone(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = IndexFolder(tmp_path / "index")
    store_random_embeddings(db, MODEL, DIMS, 20, 3, FIRST_DAY)
    first = _build(db, folder)

    def dies(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # a build stopped while writing the vectors

    monkeypatch.setattr(index_build, "save_vector_base", dies)
    with pytest.raises(KeyboardInterrupt):
        _build(db, folder)
    assert folder.current_name() == first
    assert [p.name for p in folder.path.iterdir() if p.name.startswith(".building")] == []
    monkeypatch.undo()
    # A builder killed outright leaves its folder behind: the next build clears it.
    (folder.path / ".building-1-1").mkdir()
    _build(db, folder)
    assert not (folder.path / ".building-1-1").exists()


def test_old_generations_go_but_the_previous_one_stays_for_late_readers(
    db: Database, tmp_path: Path
) -> None:
    folder = IndexFolder(tmp_path / "index")
    store_random_embeddings(db, MODEL, DIMS, 10, 4, FIRST_DAY)
    names = [_build(db, folder) for _ in range(4)]
    kept = sorted(p.name for p in folder.path.iterdir() if p.name.startswith("gen-"))
    assert kept == names[-2:]
    assert (folder.path / CURRENT).read_text().strip() == names[-1]


def test_a_damaged_generation_is_not_trusted_and_search_stays_right(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = IndexFolder(tmp_path / "index")
    keys, vectors = store_random_embeddings(db, MODEL, DIMS, 30, 5, FIRST_DAY)
    generation = _build(db, folder)
    (folder.path / generation / "vectors.npy").write_bytes(b"\x93NUMPY truncated")
    (folder.path / generation / "terms_hashes.npy").unlink()
    index, terms = VectorIndex(MODEL, DIMS, folder), TermIndex(folder)
    with caplog.at_level(logging.WARNING):
        index.refresh(db)
        terms.refresh(db)
    assert "searching without it" in caplog.text and "ranking without it" in caplog.text
    assert index.generation is None and terms.generation is None
    assert len(index) == 30 and len(terms) == 30  # everything read from the database
    assert index.nearest(vectors[7], 1)[0][0] == keys[7]


def test_the_graph_finds_what_the_exact_scan_finds(db: Database, tmp_path: Path) -> None:
    folder = IndexFolder(tmp_path / "index")
    store_random_embeddings(db, MODEL, DIMS, 1_500, 6, FIRST_DAY)
    _build(db, folder, graph_rows=1)
    with_graph, exact = VectorIndex(MODEL, DIMS, folder), VectorIndex(MODEL, DIMS)
    with_graph.refresh(db)
    exact.refresh(db)
    rng = np.random.default_rng(7)
    queries = normalised(rng.normal(size=(50, DIMS)).astype(np.float32))
    found = sum(
        len({k for k, _ in with_graph.nearest(q, 10)} & {k for k, _ in exact.nearest(q, 10)})
        for q in queries
    )
    assert found / (10 * len(queries)) >= 0.98


def test_one_build_at_a_time(db: Database, tmp_path: Path) -> None:
    folder = IndexFolder(tmp_path / "index")
    store_random_embeddings(db, MODEL, DIMS, 5, 8, FIRST_DAY)
    with index_build._build_lock(folder) as held:  # another builder, holding the lock
        assert held
        assert build_index(db, folder, MODEL, DIMS) is None
    assert folder.current_name() is None
    assert build_index(db, folder, MODEL, DIMS) is not None


def test_a_generation_is_stale_once_enough_papers_were_written_after_it(
    db: Database, tmp_path: Path
) -> None:
    folder = IndexFolder(tmp_path / "index")
    store_random_embeddings(db, MODEL, DIMS, 8, 9, FIRST_DAY)
    lag = index_lag(db, folder, MODEL)
    assert (lag.generation, lag.vectors_behind, lag.terms_behind) == (None, 8, 8)
    assert not lag.is_stale(10)  # too few papers to be worth an index on disk
    _build(db, folder)
    assert index_lag(db, folder, MODEL).vectors_behind == 0
    upsert_papers(db, [make_paper() for _ in range(10)])
    lag = index_lag(db, folder, MODEL)
    assert (lag.terms_behind, lag.vectors_behind, lag.is_stale(10)) == (10, 0, True)
    assert not lag.is_stale(11)
    build_index(db, folder, "another-model", DIMS)  # the embedding model was changed
    assert index_lag(db, folder, MODEL).vectors_behind == 8


def test_keyword_ranking_from_a_generation_matches_memory(db: Database, tmp_path: Path) -> None:
    folder = IndexFolder(tmp_path / "index")
    upsert_papers(db, [make_paper(title=f"Sparse attention, study {i}") for i in range(30)])
    _build(db, folder)
    upsert_papers(db, [make_paper(title="Sparse attention for long documents")])
    shared, memory = TermIndex(folder), TermIndex()
    shared.refresh(db)
    memory.refresh(db)
    for query in ("sparse attention", "long documents study"):
        from_files, from_memory = (i.rank(query_hashes(query), 50) for i in (shared, memory))
        assert [key for key, _ in from_files] == [key for key, _ in from_memory]
        assert [s for _, s in from_files] == pytest.approx([s for _, s in from_memory])


def test_serve_rebuilds_a_stale_index_in_a_child_process(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path))  # where sqlite_db is
    monkeypatch.setenv("PAPERWIRE_INDEX_REBUILD_PAPERS", "5")
    monkeypatch.setattr(index_build, "CHECK_MINUTES", 0.005)  # every 0.3 s
    upsert_papers(sqlite_db, [make_paper(title=f"Graph sparsifiers, part {i}") for i in range(6)])
    settings = Settings()
    stop = threading.Event()
    thread = index_build.start_scheduled_index_builds(settings, stop, "arxiv-static-test")
    try:
        deadline = time.monotonic() + 60
        while index_build.index_folder(settings).current_name() is None:
            assert time.monotonic() < deadline, "no generation was built"
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=60)
    terms = TermIndex(index_build.index_folder(settings))
    terms.refresh(sqlite_db)
    assert terms.generation is not None and len(terms) == 6


def test_many_new_papers_load_in_the_background_while_queries_use_what_is_held(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, vectors = store_random_embeddings(db, MODEL, DIMS, 5, 10, FIRST_DAY)
    index, terms = VectorIndex(MODEL, DIMS), TermIndex()
    index.refresh(db, inline_rows=3)  # an empty index loads at once
    terms.refresh(db, inline_rows=3)
    assert (len(index), len(terms)) == (5, 5)
    added, added_vectors = store_random_embeddings(db, MODEL, DIMS, 10, 11, FIRST_DAY)
    loading = threading.Event()
    read_vectors, read_terms = index._read, terms._read

    def held_back(read: Any) -> Any:
        def wait_then_read(*args: Any) -> Any:
            assert loading.wait(30)
            return read(*args)

        return wait_then_read

    monkeypatch.setattr(index, "_read", held_back(read_vectors))
    monkeypatch.setattr(terms, "_read", held_back(read_terms))
    index.refresh(db, inline_rows=3)  # 10 new rows: loaded in the background
    terms.refresh(db, inline_rows=3)
    assert (len(index), len(terms)) == (5, 5)  # queries meanwhile use what is held
    assert index.nearest(vectors[1], 1)[0][0] == keys[1]
    loading.set()
    deadline = time.monotonic() + 30
    while (len(index), len(terms)) != (15, 15):
        assert time.monotonic() < deadline, "the background refresh did not finish"
        time.sleep(0.02)
    assert index.nearest(added_vectors[3], 1)[0][0] == added[3]
    index.refresh(db, inline_rows=3)  # up to date: nothing to do
    assert len(index) == 15
