"""Search papers by keyword, meaning or both, and find similar papers: one service for all.

The web pages, the API and the CLI hold one Searcher each and call it; it owns the
embedder (loaded on first use) and the in-memory vector index (refreshed before use).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from paperwire.config import Settings
from paperwire.papers import Paper
from paperwire.search.background import INLINE_REFRESH_ROWS
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.search.hybrid import (
    KEYWORD_WEIGHT,
    SEMANTIC_WEIGHT,
    SNIPPET_WORDS,
    mark_terms,
    score_fusion,
)
from paperwire.search.index_build import index_folder
from paperwire.search.index_files import IndexFolder
from paperwire.search.keyword import (
    InvalidQuery,
    SearchHit,
    Term,
    keyword_query,
    parse_query,
    semantic_text,
    without_stopwords,
)
from paperwire.search.term_index import TermIndex
from paperwire.search.vector_index import VectorIndex
from paperwire.storage import Database, pgvector
from paperwire.storage import embeddings as embedding_store
from paperwire.storage import paper_terms as term_store
from paperwire.storage import papers as paper_store
from paperwire.storage.papers import PaperLink
from paperwire.storage.search import (
    PaperFilter,
    capped_match_counts,
    keyword_ranking,
    stems_starting,
)
from paperwire.terms import HASH_DTYPE, prefix_stem, query_hashes, term_hash

# Each list a hybrid query fuses is this long at least, so that a paper ranked low by one
# method but high by the other still meets its partner.
FUSION_DEPTH = 100
MAX_SIMILAR = 50
# No search goes deeper than this: every mode ranks offset + limit papers per request.
MAX_SEARCH_RESULTS = 1_000
COMMON_TERM_SHARE = 0.10
MIN_COMMON_CAP = 1_000
MAX_FUSED_TERMS = 10
MAX_COMMON_TERMS = 3
MAX_CACHED_TERMS = 200_000
SEMANTIC_THREADS = 4
# A prefix stands for at most this many stems, those in the most papers: "con*" begins
# thousands, and past the first few dozen each adds almost no paper and costs a lookup.
MAX_PREFIX_STEMS = 64
NEIGHBOUR_CACHE_ENTRIES = 4_096
# Below this cosine a paper is not offered as a match for its meaning alone. It is low on
# purpose: with the bundled model the 60 known-item descriptions score 0.16 at the lowest
# (median 0.41) against the paper each describes, and a one-word synonym such as
# "frauds" 0.21 against the fraud-detection paper, while nonsense such as "zzyzx qqqq"
# finds papers at 0.53 among 137k: no floor separates the two, so pages say instead when
# no paper contains the words (SearchHit.by_meaning_only). 0.1 and 0.2 gave the same
# benchmark figures with the model before this one.
SEMANTIC_MIN_SIMILARITY = 0.1


class VectorSearch(StrEnum):
    """Where nearest neighbours are found (setting PAPERWIRE_VECTOR_SEARCH)."""

    AUTO = "auto"  # in the database when it has pgvector, else in memory
    MEMORY = "memory"
    PGVECTOR = "pgvector"


class VectorSearchUnavailable(RuntimeError):
    """pgvector search was asked for, but the database cannot do it."""


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    SEMANTIC = "semantic"


@dataclass(frozen=True, slots=True)
class SimilarPaper:
    paper: Paper
    similarity: float  # cosine, 1.0 = same direction


@dataclass(frozen=True, slots=True)
class SimilarLink:
    paper: PaperLink
    similarity: float


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
        vector_search: VectorSearch = VectorSearch.AUTO,
        index_folder: IndexFolder | None = None,
    ) -> None:
        self.db = db
        self.index_folder = index_folder  # shared index generations; None: memory only
        self.embedding_model = embedding_model
        self.min_similarity = min_similarity
        self.weights = weights  # of the keyword and the semantic list in the fusion
        self._embedder = embedder
        self._index: VectorIndex | None = None
        self._terms: TermIndex | None = None
        self._terms_complete: tuple[tuple[int, int], bool] = ((-1, -1), False)
        self.vector_search = vector_search
        self._in_database: bool | None = None  # decided at first use, then kept
        self._lock = threading.Lock()
        # How many papers each search term matches (capped): used only to tell rare terms
        # from common ones, so it is kept until the number of papers moves by 1 %.
        self._term_counts: dict[str, int] = {}
        self._pool = ThreadPoolExecutor(max_workers=SEMANTIC_THREADS, thread_name_prefix="search")
        self._term_counts_papers = 0
        self._neighbour_cache: OrderedDict[tuple[int, int, int], list[tuple[int, float]]] = (
            OrderedDict()
        )

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
                self._index = VectorIndex(embedder.name, embedder.dims, self.index_folder)
        self._index.refresh(self.db, inline_rows=INLINE_REFRESH_ROWS)
        return self._index

    def term_index(self) -> TermIndex:
        """The in-memory keyword index, brought up to date with the database."""
        with self._lock:
            if self._terms is None:
                self._terms = TermIndex(self.index_folder)
        self._terms.refresh(self.db, inline_rows=INLINE_REFRESH_ROWS)
        return self._terms

    def open_shared_index(self) -> bool:
        """Map the index generation on disk now, when there is one and this searcher uses
        it, so that no request waits for it; whether it did."""
        folder = self.index_folder
        if folder is None or folder.current_name() is None or self.uses_database_vectors():
            return False
        self.index()
        self.term_index()
        return True

    def loaded_seqs(self) -> tuple[int | None, int | None]:
        """The write counters this process's vector and keyword indexes have loaded up to
        (None for one not loaded here), without refreshing them: for /metrics."""
        with self._lock:
            vectors, terms = self._index, self._terms
        return (None if vectors is None else vectors.seq, None if terms is None else terms.seq)

    def uses_database_vectors(self) -> bool:
        """Whether nearest papers are found by pgvector in the database (else in memory);
        raises VectorSearchUnavailable when pgvector is required but missing."""
        with self._lock:
            if self._in_database is None:
                self._in_database = _choose_database_vectors(self.db, self.vector_search)
            return self._in_database

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
        if offset + limit > MAX_SEARCH_RESULTS:
            raise InvalidQuery(
                f"results stop at the {MAX_SEARCH_RESULTS:,}th; add words or filters instead"
            )
        where = where or PaperFilter()
        if mode is SearchMode.KEYWORD:
            ranking = keyword_ranking(
                self.db, keyword_query(terms), limit=limit, offset=offset, where=where
            )
            keys = [key for key, _ in ranking]
            return self._hits(keys, set(keys), terms)
        depth = max(FUSION_DEPTH, offset + limit)
        if mode is SearchMode.SEMANTIC:
            nearest = [key for key, _ in self._semantic_ranking(semantic_text(query), where, depth)]
            return self._hits(nearest[offset : offset + limit], set(), terms)
        # The two lists are built side by side: SQLite and numpy both release the GIL.
        pending = self._pool.submit(self._semantic_ranking, semantic_text(query), where, depth)
        keyword = self._keyword_ranking(terms, where, depth)
        semantic = pending.result()
        fused = score_fusion([keyword, semantic], self.weights)
        chosen = [key for key, _ in fused[offset : offset + limit]]
        return self._hits(chosen, {key for key, _ in keyword}, terms)

    def vectors_of(self, paper_ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The embeddings of those of paper_ids that have one, in their order, and which:
        from the in-memory index, or from the database where pgvector searches instead."""
        if self.uses_database_vectors():
            embedder = self.embedder
            return embedding_store.vectors_for(self.db, embedder.name, embedder.dims, paper_ids)
        return self.index().vectors_of(paper_ids)

    def similar(self, arxiv_id: str, *, limit: int = 10) -> list[SimilarPaper]:
        """The papers closest in meaning to a stored paper, itself left out."""
        nearest = self._similar_keys(arxiv_id, limit)
        found = paper_store.papers_by_keys(self.db, [paper_id for paper_id, _ in nearest])
        return [SimilarPaper(found[k], score) for k, score in nearest if k in found]

    def similar_links(self, arxiv_id: str, *, limit: int = 10) -> list[SimilarLink]:
        """similar() as the paper page lists them: id, title, authors and day only."""
        nearest = self._similar_keys(arxiv_id, limit)
        found = paper_store.links_by_keys(self.db, [paper_id for paper_id, _ in nearest])
        return [SimilarLink(found[k], score) for k, score in nearest if k in found]

    def _similar_keys(self, arxiv_id: str, limit: int) -> list[tuple[int, float]]:
        key = paper_store.paper_key(self.db, arxiv_id)
        return [] if key is None else self._neighbours(key, min(limit, MAX_SIMILAR))

    def _neighbours(self, key: int, k: int) -> list[tuple[int, float]]:
        """A paper's nearest papers, remembered until any embedding changes: every paper
        page shows them."""
        # The in-memory index reads the embeddings counter as it refreshes: read it once.
        index = None if self.uses_database_vectors() else self.index()
        seq = index.seq if index is not None else embedding_store.embeddings_seq(self.db)
        cache_key = (key, k, seq)
        with self._lock:
            cached = self._neighbour_cache.get(cache_key)
            if cached is not None:
                self._neighbour_cache.move_to_end(cache_key)
                return cached
        nearest = self._nearest_to_paper(key, k, index)
        with self._lock:
            self._neighbour_cache[cache_key] = nearest
            if len(self._neighbour_cache) > NEIGHBOUR_CACHE_ENTRIES:
                self._neighbour_cache.popitem(last=False)
        return nearest

    def _semantic_ranking(
        self, query: str, where: PaperFilter, depth: int
    ) -> list[tuple[int, float]]:
        vector = self.embedder.embed([query])[0]
        if not np.any(vector):
            return []  # no word of the query is known to the model
        nearest = self._nearest(vector, depth, where)
        return [(key, score) for key, score in nearest if score >= self.min_similarity]

    def _nearest(
        self, vector: np.ndarray, k: int, where: PaperFilter, exclude: int | None = None
    ) -> list[tuple[int, float]]:
        if not self.uses_database_vectors():
            return self.index().nearest(vector, k, where, exclude)
        embedder = self.embedder
        return pgvector.nearest_in_database(
            self.db, embedder.name, embedder.dims, vector, k, where=where, exclude=exclude
        )

    def _nearest_to_paper(
        self, key: int, k: int, index: VectorIndex | None
    ) -> list[tuple[int, float]]:
        """The k papers nearest to a stored one, itself left out: from index (refreshed by
        the caller) when given, else from the database's vectors."""
        if index is not None:
            vector = index.vector_of(key)
            if vector is None:
                return []
            return index.nearest(vector, k, exclude=key, near_paper=True)
        embedder = self.embedder
        vector = embedding_store.stored_vector(self.db, embedder.name, embedder.dims, key)
        return [] if vector is None else self._nearest(vector, k, PaperFilter(), exclude=key)

    def _keyword_ranking(
        self, terms: list[Term], where: PaperFilter, depth: int
    ) -> list[tuple[int, float]]:
        """The keyword list hybrid fuses: papers with any of the query's words, by BM25.

        In memory (search/term_index.py) unless the vectors are searched in the database,
        which is the choice for many workers over one PostgreSQL, or some papers still
        lack stored terms (a database upgraded before `paperwire embed` ran), or the query
        has a prefix and the database has no list of stems to expand it with (PostgreSQL)."""
        if not self.uses_database_vectors():
            index = self.term_index()
            groups = self._prefix_groups(terms)
            if groups is not None and self._all_papers_have_terms(index):
                words = " ".join(word for term in terms if not term.prefix for word in term.words)
                return index.rank(query_hashes(words), depth, where, groups=groups)
        return self._database_keyword_ranking(terms, where, depth)

    def _prefix_groups(self, terms: list[Term]) -> list[np.ndarray] | None:
        """The term hashes of the stems each prefix term begins (the in-memory index holds
        only hashes, so the stems come from the full-text index); None when the database
        cannot list its stems."""
        groups = []
        for term in terms:
            if term.prefix:
                stems = stems_starting(self.db, prefix_stem(term.words[0]), MAX_PREFIX_STEMS)
                if stems is None:
                    return None
                groups.append(np.array([term_hash(stem) for stem in stems], HASH_DTYPE))
        return groups

    def _all_papers_have_terms(self, index: TermIndex) -> bool:
        """Whether every listed paper has stored terms (in the database: the index may
        still be loading the newest in the background, and ranks what it holds)."""
        key = (paper_store.papers_version(self.db), index.seq)
        checked, complete = self._terms_complete
        if checked != key:
            listed = paper_store.count_listed_papers(self.db)
            complete = len(index) >= listed or term_store.count_listed_terms(self.db) >= listed
            self._terms_complete = (key, complete)
        return complete

    def _database_keyword_ranking(
        self, terms: list[Term], where: PaperFilter, depth: int
    ) -> list[tuple[int, float]]:
        """The keyword list ranked in SQL: papers with any of the query's rarer words, by
        bm25 or ts_rank. Words found in more than COMMON_TERM_SHARE of papers are left out:
        their weight is small, and ranking every paper they match is what makes an
        any-word query slow (a 17-word description: 370 ms with them, 20 ms without)."""
        kept = without_stopwords(terms)
        papers = self._paper_count()
        cap = max(MIN_COMMON_CAP, int(papers * COMMON_TERM_SHARE))
        counts = self._match_counts(kept, cap, papers)
        order = sorted(range(len(kept)), key=lambda i: counts[i])
        rare = [kept[i] for i in order if counts[i] < cap][:MAX_FUSED_TERMS]
        if rare:
            chosen = keyword_query(rare, any_term=True)
        else:  # every word is common: the rarest few must all match
            chosen = keyword_query([kept[i] for i in order[:MAX_COMMON_TERMS]])
        return keyword_ranking(self.db, chosen, limit=depth, where=where)

    def _match_counts(self, terms: list[Term], cap: int, papers: int) -> list[int]:
        if abs(papers - self._term_counts_papers) > papers // 100:
            self._term_counts, self._term_counts_papers = {}, papers
        known = self._term_counts
        names = [" ".join(term.words).lower() + ("*" if term.prefix else "") for term in terms]
        missing = [i for i, name in enumerate(names) if name not in known]
        one_term = [keyword_query([terms[i]], any_term=True) for i in missing]
        for i, count in zip(missing, capped_match_counts(self.db, one_term, cap), strict=True):
            if len(known) < MAX_CACHED_TERMS:
                known[names[i]] = count
        return [known.get(name, cap) for name in names]

    def _paper_count(self) -> int:
        if self.uses_database_vectors():
            return paper_store.count_papers(self.db)
        # The index as last refreshed: the semantic list refreshes it for this same query,
        # and a count one refresh old is close enough for telling rare words from common.
        embedded = len(self._index) if self._index is not None else len(self.index())
        return embedded if embedded else paper_store.count_papers(self.db)

    def _hits(self, keys: list[int], by_words: set[int], terms: list[Term]) -> list[SearchHit]:
        """Hits in the order of keys, with the query's words marked."""
        papers = paper_store.papers_by_keys(self.db, keys)
        return [
            _marked_hit(papers[key], terms, rank, by_meaning_only=key not in by_words)
            for rank, key in enumerate(keys)
            if key in papers
        ]


def _marked_hit(paper: Paper, terms: list[Term], rank: int, *, by_meaning_only: bool) -> SearchHit:
    return SearchHit(
        paper,
        score=1.0 / (1 + rank),
        highlighted_title=mark_terms(paper.title, terms),
        highlighted_summary=mark_terms(paper.abstract, terms, max_words=SNIPPET_WORDS),
        by_meaning_only=by_meaning_only,
    )


def searcher_for(db: Database, settings: Settings) -> Searcher:
    """The Searcher the settings ask for; raises VectorSearchUnavailable at once when
    PAPERWIRE_VECTOR_SEARCH=pgvector and the database lacks pgvector."""
    wanted = VectorSearch(settings.vector_search)
    searcher = Searcher(
        db,
        settings.embedding_model,
        vector_search=wanted,
        index_folder=index_folder(settings),
    )
    if wanted is VectorSearch.PGVECTOR:
        searcher.uses_database_vectors()
    return searcher


def _choose_database_vectors(db: Database, wanted: VectorSearch) -> bool:
    if wanted is VectorSearch.MEMORY:
        return False
    available = pgvector.database_vectors_available(db)
    if wanted is VectorSearch.PGVECTOR and not available:
        raise VectorSearchUnavailable(
            "PAPERWIRE_VECTOR_SEARCH=pgvector, but the database has no pgvector column: "
            "install pgvector (docs/deployment.md), then run `paperwire db upgrade`"
        )
    return available
