"""Search papers by keyword, meaning or both, and find similar papers: one service for all.

The web pages, the API and the CLI hold one Searcher each and call it; it owns the
embedder (loaded on first use) and the in-memory vector index (refreshed before use).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from paperwire.papers import Paper
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.search.hybrid import (
    KEYWORD_WEIGHT,
    SEMANTIC_WEIGHT,
    SNIPPET_WORDS,
    mark_terms,
    reciprocal_rank_fusion,
)
from paperwire.search.keyword import SearchHit, Term, hits_for, keyword_query, parse_query
from paperwire.search.vector_index import VectorFilter, VectorIndex
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.storage.search import PaperFilter, keyword_search

# Each list a hybrid query fuses is this long at least, so that a paper ranked low by one
# method but high by the other still meets its partner.
FUSION_DEPTH = 100
MAX_SIMILAR = 50
# Below this cosine a paper is not offered as a match for its meaning alone. It is low on
# purpose: with the bundled model a fair paraphrase can score 0.29 against the paper it
# describes, and nonsense such as "zzyzx" 0.36, so no floor separates the two; pages say
# instead when no paper contains the words (SearchHit.by_meaning_only).
SEMANTIC_MIN_SIMILARITY = 0.2


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    SEMANTIC = "semantic"


@dataclass(frozen=True, slots=True)
class SimilarPaper:
    paper: Paper
    similarity: float  # cosine, 1.0 = same direction


class Searcher:
    """Keyword, semantic and hybrid search and similar papers over one database."""

    def __init__(
        self,
        db: Database,
        embedding_model: str,
        *,
        embedder: Embedder | None = None,
        min_similarity: float = SEMANTIC_MIN_SIMILARITY,
        weights: tuple[float, float] = (KEYWORD_WEIGHT, SEMANTIC_WEIGHT),
    ) -> None:
        self.db = db
        self.embedding_model = embedding_model
        self.min_similarity = min_similarity
        self.weights = weights  # of the keyword and the semantic list in the fusion
        self._embedder = embedder
        self._index: VectorIndex | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.embedding_model)
            return self._embedder

    def index(self) -> VectorIndex:
        """The vector index, brought up to date with the database."""
        embedder = self.embedder
        with self._lock:
            if self._index is None:
                self._index = VectorIndex(embedder.name, embedder.dims)
        self._index.refresh(self.db)
        return self._index

    def search(
        self,
        query: str,
        *,
        mode: SearchMode = SearchMode.HYBRID,
        where: PaperFilter | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[SearchHit]:
        """Best matches first; raises InvalidQuery for a query with nothing to search."""
        terms = parse_query(query)
        where = where or PaperFilter()
        if mode is SearchMode.KEYWORD:
            matches = keyword_search(
                self.db, keyword_query(terms), limit=limit, offset=offset, where=where
            )
            return hits_for(self.db, matches)
        depth = max(FUSION_DEPTH, offset + limit)
        semantic = self._semantic_ids(query, where, depth)
        if mode is SearchMode.SEMANTIC:
            return self._hits(semantic[offset : offset + limit], {}, terms)
        keyword = hits_for(
            self.db,
            keyword_search(self.db, keyword_query(terms, any_term=True), limit=depth, where=where),
        )
        fused = reciprocal_rank_fusion(
            [[hit.paper.arxiv_id for hit in keyword], semantic], self.weights
        )
        chosen = [arxiv_id for arxiv_id, _ in fused[offset : offset + limit]]
        return self._hits(chosen, {hit.paper.arxiv_id: hit for hit in keyword}, terms)

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SimilarPaper]:
        """The papers closest in meaning to a stored paper, itself left out."""
        key = paper_store.paper_key(self.db, arxiv_id)
        index = self.index()
        vector = None if key is None else index.vector_of(key)
        if vector is None:
            return []
        nearest = index.nearest(vector, min(limit, MAX_SIMILAR), exclude=key)
        found = paper_store.papers_by_keys(self.db, [paper_id for paper_id, _ in nearest])
        scores = dict(nearest)
        keys = [paper_id for paper_id, _ in nearest]
        return [SimilarPaper(paper, scores[k]) for paper, k in zip(found, keys, strict=False)]

    def _semantic_ids(self, query: str, where: PaperFilter, depth: int) -> list[str]:
        vector = self.embedder.embed([query])[0]
        if not np.any(vector):
            return []  # no word of the query is known to the model
        nearest = self.index().nearest(vector, depth, _vector_filter(where))
        keys = [paper_id for paper_id, score in nearest if score >= self.min_similarity]
        papers = paper_store.papers_by_keys(self.db, keys)
        return [paper.arxiv_id for paper in papers]

    def _hits(
        self, arxiv_ids: list[str], marked: dict[str, SearchHit], terms: list[Term]
    ) -> list[SearchHit]:
        """Hits in the order of arxiv_ids: keyword markup where known, else marked here."""
        missing = [i for i in arxiv_ids if i not in marked]
        papers = {paper.arxiv_id: paper for paper in paper_store.papers_by_ids(self.db, missing)}
        hits = []
        for rank, arxiv_id in enumerate(arxiv_ids):
            hit = marked.get(arxiv_id) or _marked_hit(papers.get(arxiv_id), terms, rank)
            if hit is not None:
                hits.append(hit)
        return hits


def _marked_hit(paper: Paper | None, terms: list[Term], rank: int) -> SearchHit | None:
    if paper is None:
        return None
    return SearchHit(
        paper,
        score=1.0 / (1 + rank),
        highlighted_title=mark_terms(paper.title, terms),
        highlighted_summary=mark_terms(paper.abstract, terms, max_words=SNIPPET_WORDS),
        by_meaning_only=True,
    )


def _vector_filter(where: PaperFilter) -> VectorFilter:
    return VectorFilter(first=where.first, last=where.last, category=where.category)
