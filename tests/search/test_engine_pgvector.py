"""The Searcher on PostgreSQL with pgvector gives what the in-memory index gives."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import pytest
from embedders import HashingEmbedder
from factories import make_paper

from paperwire.config import Settings
from paperwire.search.embedder import Embedder, normalised
from paperwire.search.engine import (
    Searcher,
    SearchMode,
    VectorSearch,
    VectorSearchUnavailable,
    searcher_for,
)
from paperwire.search.indexing import embed_papers, embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.storage.search import PaperFilter

QUERIES = ["automobile", "doctor triage", "language translation models", "example 7"]
FILTERS = [
    PaperFilter(),
    PaperFilter(category="cs.CL"),
    PaperFilter(first=date(2024, 4, 2), last=date(2024, 4, 3)),
]


class SeededEmbedder:
    """A random unit vector per text, seeded by the text: no two papers tie in score, so
    both search paths must return the same order."""

    name = "test-seeded-v1"
    dims = 48

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        seeds = [int.from_bytes(hashlib.blake2b(t.encode()).digest()[:8], "little") for t in texts]
        rows = [np.random.default_rng(seed).normal(size=self.dims) for seed in seeds]
        return normalised(np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dims))


def _searcher(
    db: Database, vector_search: VectorSearch, embedder: Embedder | None = None
) -> Searcher:
    return Searcher(
        db,
        "unused",
        embedder=embedder or SeededEmbedder(),
        min_similarity=0.0,
        vector_search=vector_search,
    )


@pytest.fixture
def filled(pgvector_db: Database) -> Database:
    papers = [
        make_paper(title="Self-driving car control", listing_day=date(2024, 4, 1)),
        make_paper(title="Assisting the doctor with triage", categories=("cs.CL",)),
        make_paper(title="Neural machine translation", listing_day=date(2024, 4, 3)),
        *[
            make_paper(
                listing_day=date(2024, 4, 1 + i % 4), categories=(("cs.CL", "cs.AI")[i % 2],)
            )
            for i in range(40)
        ],
    ]
    upsert_papers(pgvector_db, papers)
    embed_pending(pgvector_db, SeededEmbedder())
    return pgvector_db


def _ids(hits: list[object]) -> list[str]:
    return [hit.paper.arxiv_id for hit in hits]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", [SearchMode.SEMANTIC, SearchMode.HYBRID])
def test_every_mode_and_filter_agrees_with_the_memory_index(
    filled: Database, mode: SearchMode
) -> None:
    in_database = _searcher(filled, VectorSearch.AUTO)
    in_memory = _searcher(filled, VectorSearch.MEMORY)
    assert in_database.uses_database_vectors() and not in_memory.uses_database_vectors()
    for query in QUERIES:
        for where in FILTERS:
            found = _ids(in_database.search(query, mode=mode, where=where, limit=20))
            assert found, (query, where)
            assert found == _ids(in_memory.search(query, mode=mode, where=where, limit=20))


def test_similar_papers_agree_with_the_memory_index(filled: Database) -> None:
    in_database = _searcher(filled, VectorSearch.PGVECTOR)
    in_memory = _searcher(filled, VectorSearch.MEMORY)
    arxiv_id = _ids(in_memory.search("doctor", mode=SearchMode.KEYWORD, limit=1))[0]
    similar = in_database.similar(arxiv_id, limit=5)
    assert arxiv_id not in [item.paper.arxiv_id for item in similar]
    assert [(s.paper.arxiv_id, round(s.similarity, 4)) for s in similar] == [
        (s.paper.arxiv_id, round(s.similarity, 4)) for s in in_memory.similar(arxiv_id, limit=5)
    ]


def test_a_paper_embedded_later_is_found_at_once(pgvector_db: Database) -> None:
    upsert_papers(pgvector_db, [make_paper() for _ in range(10)])
    embed_pending(pgvector_db, HashingEmbedder())
    searcher = _searcher(pgvector_db, VectorSearch.PGVECTOR, HashingEmbedder())
    assert searcher.search("example", mode=SearchMode.SEMANTIC, limit=5)
    late = make_paper(title="Quokka population census by drone")
    upsert_papers(pgvector_db, [late])
    embed_papers(pgvector_db, HashingEmbedder(), [late.arxiv_id])
    hits = searcher.search("quokka census", mode=SearchMode.SEMANTIC, limit=1)
    assert _ids(hits) == [late.arxiv_id]


def test_pgvector_asked_for_but_absent_fails_at_start(db: Database) -> None:
    settings = Settings(vector_search="pgvector")
    with pytest.raises(VectorSearchUnavailable, match="paperwire db upgrade"):
        searcher_for(db, settings)
    assert not searcher_for(db, Settings(vector_search="auto")).uses_database_vectors()
