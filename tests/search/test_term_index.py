"""The in-memory BM25 index agrees with a direct computation and follows the database."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from factories import TEST_DATA, make_paper
from sqlalchemy import delete, select

import paperwire.search.term_index as term_index_module
from paperwire.ingest.files import ingest_files
from paperwire.papers import Paper
from paperwire.search.index_build import build_index
from paperwire.search.index_files import IndexFolder
from paperwire.search.term_index import FIELD_WEIGHTS, K1, B, TermIndex
from paperwire.storage import Database
from paperwire.storage.papers import (
    hide_papers,
    paper_key,
    papers_by_ids,
    remove_papers,
    unhide_papers,
    upsert_papers,
)
from paperwire.storage.schema import papers
from paperwire.storage.search import PaperFilter
from paperwire.terms import analyze, query_hashes

QUERIES = [
    "generative model selection for fraud detection",
    "reinforcement learning reward",
    "graph neural networks",
    "large language models reasoning benchmark",
    "Lovelace",
]


TermsOpener = Callable[[Database], TermIndex]


@pytest.fixture(params=["memory", "generation"])
def open_terms(request: pytest.FixtureRequest, tmp_path: Path) -> TermsOpener:
    """Opens a refreshed index of what is stored: held in memory, or (generation) built
    into index files first, so that every later change comes from the database on top of
    the mapped generation."""

    def opened(db: Database) -> TermIndex:
        folder = None
        if request.param == "generation":
            folder = IndexFolder(tmp_path / "index")
            assert build_index(db, folder, "no-vectors", 4) is not None
        index = TermIndex(folder)
        index.refresh(db)
        assert (index.generation is not None) == (request.param == "generation")
        return index

    return opened


def bm25_by_hand(corpus: list[tuple[int, Paper]], query: str) -> list[tuple[int, float]]:
    """Every paper's BM25 for the query, computed the slow, obvious way."""
    bags: dict[int, Counter[str]] = {}
    for key, paper in corpus:
        bag: Counter[str] = Counter()
        fields = (paper.title, ", ".join(paper.authors), paper.abstract)
        for weight, text in zip(FIELD_WEIGHTS.tolist(), fields, strict=True):
            for term in analyze(text):
                bag[term] += weight
        bags[key] = bag
    average = sum(sum(bag.values()) for bag in bags.values()) / len(bags)
    scores = {}
    for key, bag in bags.items():
        length = sum(bag.values())
        score = 0.0
        for term in set(analyze(query)):
            matches = sum(1 for other in bags.values() if term in other)
            if term not in bag:
                continue
            idf = math.log(1 + (len(bags) - matches + 0.5) / (matches + 0.5))
            tf = bag[term]
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        if score > 0:
            scores[key] = score
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _corpus(db: Database) -> list[tuple[int, Paper]]:
    with db.engine.connect() as connection:
        ids = [
            row[0]
            for row in connection.execute(papers.select().with_only_columns(papers.c.arxiv_id))
        ]
    return [
        (key, paper) for paper in papers_by_ids(db, ids) if (key := paper_key(db, paper.arxiv_id))
    ]


@pytest.fixture
def loaded(db: Database) -> Database:
    ingest_files(db, [TEST_DATA / "cs-ai-sample.jsonl", TEST_DATA / "oai-dc-sample.jsonl"])
    return db


@pytest.mark.parametrize("query", QUERIES)
def test_ranking_agrees_with_bm25_by_hand(
    open_terms: TermsOpener, loaded: Database, query: str
) -> None:
    index = open_terms(loaded)
    expected = bm25_by_hand(_corpus(loaded), query)
    found = index.rank(query_hashes(query), 1_000)
    assert [key for key, _ in found] == [key for key, _ in expected]
    assert [score for _, score in found] == pytest.approx([s for _, s in expected], rel=1e-4)


def test_k_limits_and_a_query_of_unknown_words_finds_nothing(
    open_terms: TermsOpener, loaded: Database
) -> None:
    index = open_terms(loaded)
    assert len(index.rank(query_hashes("learning"), 3)) == 3
    assert index.rank(query_hashes("zzyzx qqqq"), 10) == []
    assert index.rank(query_hashes("learning"), 0) == []
    assert TermIndex().rank(query_hashes("learning"), 10) == []


def test_filters_keep_only_the_allowed_papers(open_terms: TermsOpener, db: Database) -> None:
    first = date(2024, 4, 1)
    stored = [
        make_paper(
            title=f"Quantum annealing schedules, part {i}",
            listing_day=first + timedelta(days=i),
            categories=("quant-ph",) if i % 2 else ("cs.LG",),
        )
        for i in range(10)
    ]
    upsert_papers(db, stored)
    index = open_terms(db)
    where = PaperFilter(first + timedelta(days=2), first + timedelta(days=7), "quant-ph")
    found = {key for key, _ in index.rank(query_hashes("quantum annealing"), 50, where)}
    expected = {paper_key(db, stored[i].arxiv_id) for i in (3, 5, 7)}
    assert found == expected


def test_papers_added_elsewhere_are_found_after_refresh(
    open_terms: TermsOpener, loaded: Database
) -> None:
    index = open_terms(loaded)
    before = len(index)
    added = make_paper(title="Spiking neuromorphic photonics", abstract="Photonic spikes.")
    upsert_papers(loaded, [added])  # another process's ingest
    index.refresh(loaded)
    assert len(index) == before + 1
    assert index.rank(query_hashes("neuromorphic"), 5) == [
        (
            paper_key(loaded, added.arxiv_id),
            pytest.approx(index.rank(query_hashes("neuromorphic"), 1)[0][1]),
        )
    ]


def test_a_changed_text_replaces_the_old_terms(open_terms: TermsOpener, loaded: Database) -> None:
    paper = make_paper(title="Tensor sketching for kernels", abstract="Sketches of tensors.")
    upsert_papers(loaded, [paper])
    index = open_terms(loaded)
    key = paper_key(loaded, paper.arxiv_id)
    upsert_papers(
        loaded,
        [
            make_paper(
                arxiv_id=paper.arxiv_id, version=2, title="Wavelet denoising", abstract="Wavelets."
            )
        ],
    )
    index.refresh(loaded)
    assert key not in {k for k, _ in index.rank(query_hashes("tensor sketching"), 100)}
    assert [k for k, _ in index.rank(query_hashes("wavelet denoising"), 1)] == [key]
    assert len(index) == len(_corpus(loaded))


def test_a_deleted_paper_leaves_the_index(open_terms: TermsOpener, loaded: Database) -> None:
    index = open_terms(loaded)
    key = index.rank(query_hashes("fraud detection"), 1)[0][0]
    with loaded.write() as connection:  # an operator removing a paper by hand
        connection.execute(delete(papers).where(papers.c.id == key))
    upsert_papers(loaded, [make_paper()])  # any later write moves the counter
    index.refresh(loaded)
    assert key not in {k for k, _ in index.rank(query_hashes("fraud detection"), 100)}
    assert len(index) == len(_corpus(loaded))


def test_many_small_refreshes_merge_into_the_same_ranking(
    open_terms: TermsOpener, loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(term_index_module, "MAX_SEGMENTS", 3)
    index = open_terms(loaded)
    for i in range(8):
        upsert_papers(loaded, [make_paper(title=f"Learning to rank, round {i}")])
        index.refresh(loaded)
    assert len(index._snapshot.segments) <= 3
    fresh = TermIndex()
    fresh.refresh(loaded)
    for query in [*QUERIES, "learning to rank round"]:
        merged = index.rank(query_hashes(query), 50)
        assert [k for k, _ in merged] == [k for k, _ in fresh.rank(query_hashes(query), 50)]


def test_rewritten_papers_leave_no_pile_of_dead_rows(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(term_index_module, "MAX_DEAD", 0.1)
    stored = [make_paper(title=f"Kernel methods, part {i}") for i in range(10)]
    upsert_papers(loaded, stored)
    index = TermIndex()
    index.refresh(loaded)
    rows = len(index._snapshot.paper_ids)
    upsert_papers(loaded, [replace(stored[0], version=2, title="Kernel methods, revised")])
    index.refresh(loaded)
    assert len(index._snapshot.paper_ids) == rows + 1  # one dead row is tolerated
    upsert_papers(loaded, [replace(p, version=2, title=f"{p.title}, revised") for p in stored])
    index.refresh(loaded)
    assert len(index._snapshot.paper_ids) == len(index) == rows  # rebuilt without them
    revised = {k for k, _ in index.rank(query_hashes("kernel methods revised"), 10)}
    assert revised == {paper_key(loaded, paper.arxiv_id) for paper in stored}


def test_a_hidden_paper_leaves_the_index_and_comes_back_when_shown(
    open_terms: TermsOpener, loaded: Database
) -> None:
    index = open_terms(loaded)
    before = len(index)
    key = index.rank(query_hashes("fraud detection"), 1)[0][0]
    arxiv_id = _arxiv_id(loaded, key)
    [stored] = papers_by_ids(loaded, [arxiv_id])
    hide_papers(loaded, [arxiv_id], reason="spam")
    index.refresh(loaded)  # hiding alone moves the counter the index follows
    assert len(index) == before - 1
    assert key not in {k for k, _ in index.rank(query_hashes("fraud detection"), 100)}
    upsert_papers(loaded, [replace(stored, version=9, title="Fraud detection, revised")])
    index.refresh(loaded)  # its terms were written again while hidden: still left out
    assert key not in {k for k, _ in index.rank(query_hashes("fraud detection"), 100)}
    unhide_papers(loaded, [arxiv_id])
    index.refresh(loaded)
    assert len(index) == before
    assert key in {k for k, _ in index.rank(query_hashes("revised"), 5)}


def test_a_removed_paper_leaves_the_index_with_no_other_write(
    open_terms: TermsOpener, loaded: Database
) -> None:
    index = open_terms(loaded)
    before = len(index)
    key = index.rank(query_hashes("fraud detection"), 1)[0][0]
    remove_papers(loaded, [_arxiv_id(loaded, key)])
    index.refresh(loaded)
    assert len(index) == before - 1
    assert key not in {k for k, _ in index.rank(query_hashes("fraud detection"), 100)}


def _arxiv_id(db: Database, key: int) -> str:
    query = select(papers.c.arxiv_id).where(papers.c.id == key)
    with db.engine.connect() as connection:
        return str(connection.scalar(query))


@pytest.mark.parametrize("size", [0, 5, 1_000, 300_000])
@pytest.mark.parametrize("k", [1, 10, 100])
def test_the_best_rows_are_those_a_full_sort_finds(
    size: int, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(term_index_module, "SAMPLE_ROWS", 1_000)  # a sample from 2,000 rows
    rng = np.random.default_rng(size + k)
    scores = rng.random(size).astype(np.float32)
    scores[rng.random(size) < 0.7] = 0  # most rows hold none of the words
    scores[: size // 10] = np.round(scores[: size // 10], 1)  # and some tie
    expected = sorted(scores[scores > 0].tolist(), reverse=True)[:k]
    found = term_index_module.top_rows(scores, k)
    assert sorted(scores[found].tolist(), reverse=True) == expected
