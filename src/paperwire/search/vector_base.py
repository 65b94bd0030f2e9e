"""The embeddings part of an index generation: every vector as one mapped float32 matrix,
and an HNSW graph over them (usearch, viewed from its file) for approximate search.

A query walks the graph for a few more candidates than it needs, keeps those the filter
and the overlay allow, and scores the kept ones exactly against the float32 rows, so that
scores from the graph and from the exactly scanned overlay compare one to one. A filter
that lets through few rows (a day, a small category) is answered by an exact scan of those
rows instead: walking the graph would have to visit most of it to find them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from usearch.index import Index

from paperwire.search.index_files import Generation, save_array
from paperwire.search.row_filter import with_category_rows
from paperwire.search.row_table import RowTable, load_rows, save_rows

PREFIX = "vectors"
GRAPH_FILE = "vectors.usearch"
# Below this many papers an exact scan takes about a millisecond: no graph is built.
MIN_GRAPH_ROWS = 20_000
# HNSW settings, chosen with bench/run_scale.py for recall@10 >= 0.98 against the exact scan.
CONNECTIVITY = 16
EXPANSION_ADD = 128
# How wide a walk looks. A stored paper's own vector sits in the graph, among its
# neighbours' links, and a narrow walk finds them (recall@10 0.995-0.998 at 64). A text
# query falls between papers and needs a wider one: at 137k papers 128 found 0.973 of its
# exact 10 and 256 found 0.991; on the 1M bench corpus, whose copied papers crowd the
# graph's links with twins, 256 found 0.939 and 1024 0.989, at about 7 ms a walk, which
# hybrid search runs beside its keyword ranking. Measured in docs/performance.md.
EXPANSION_NEAR_PAPER = 64
EXPANSION_NEAR_QUERY = 1024
# Papers are added to the graph by one thread: usearch's concurrent inserts left some
# papers poorly linked (on 300 random vectors, 5-47 of 2,000 true neighbours missed against
# none from one thread), and a build in the background should leave a core to the workers.
BUILD_THREADS = 1
GRAPH_DTYPE = "f16"
# Rows a filter must let through before the graph is walked instead of scanning them.
EXACT_FILTERED_ROWS = 40_000
# Candidates asked of the graph per result wanted, before allowing for the filter.
OVERSAMPLE = 2.0
MAX_GRAPH_CANDIDATES = 20_000
_GRAPH_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class VectorBase:
    name: str  # the generation's
    model: str
    seq: int  # the embeddings counter it was built at
    rows: RowTable
    vectors: np.ndarray  # float32 (rows, dims), mapped
    graph: Index | None

    def __len__(self) -> int:
        return len(self.rows)

    def nearest_rows(
        self,
        query: np.ndarray,
        k: int,
        usable: np.ndarray,
        usable_count: int,
        *,
        expansion: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (up to) k usable rows (a mask) most similar to query, and their cosines,
        best first; expansion is the graph walk's width (VectorIndex.nearest chooses it)."""
        if k <= 0 or not usable_count:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.graph is None or usable_count <= EXACT_FILTERED_ROWS:
            rows = np.flatnonzero(usable)
            if len(rows) == len(self.rows):
                return _top(np.arange(len(rows)), self.vectors @ query, k)
            return _top(rows, self.vectors[rows] @ query, k)
        return self._from_graph(query, k, usable, usable_count, expansion)

    def _from_graph(
        self, query: np.ndarray, k: int, usable: np.ndarray, usable_count: int, expansion: int
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self.graph is not None
        share = usable_count / len(self.rows)
        count = min(len(self.rows), math.ceil(k * OVERSAMPLE / share) + 10)
        while True:
            # One walk at a time per process: usearch gives each walk a search context
            # by thread slot, and request threads are not its threads. (8 threads walking
            # at once gave the same results as one, but its docs do not promise it.)
            # The lock also keeps the walk's width to this walk.
            with _GRAPH_LOCK:
                # usearch defines this setter apart from its getter, which mypy misreads.
                self.graph.expansion_search = expansion  # type: ignore[misc]
                found = self.graph.search(query, count)
            rows = np.asarray(found.keys, np.int64)
            rows = rows[usable[rows]]
            if len(rows) >= k or count >= len(self.rows):
                break
            if count >= MAX_GRAPH_CANDIDATES:  # the graph holds too few of them near here
                rows = np.flatnonzero(usable)
                break
            count = min(len(self.rows), count * 4)
        return _top(rows, self.vectors[rows] @ query, k)


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    take = min(k, len(rows))
    if not take:
        return rows[:0], scores[:0]
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best], kind="stable")]
    return rows[best], scores[best]


def save_vector_base(
    folder: Path,
    model: str,
    seq: int,
    paper_ids: np.ndarray,
    vectors: np.ndarray,
    listing_days: np.ndarray,
    row_categories: Sequence[tuple[str, ...]],
    *,
    threads: int = BUILD_THREADS,
    graph_rows: int = MIN_GRAPH_ROWS,
) -> dict[str, Any]:
    """Write the vectors part of a generation being built, with a graph when it holds at
    least graph_rows papers; what meta.json must hold of it."""
    by_category = with_category_rows({}, list(row_categories), 0)
    meta = save_rows(folder, PREFIX, paper_ids, listing_days, by_category)
    save_array(folder, PREFIX, vectors.astype(np.float32, copy=False))
    graph = len(paper_ids) >= max(graph_rows, 1)
    if graph:
        index = _new_graph(vectors.shape[1])
        index.add(np.arange(len(paper_ids), dtype=np.uint64), vectors, threads=threads)
        index.save(str(folder / GRAPH_FILE))
    return meta | {
        "vectors_model": model,
        "vectors_dims": int(vectors.shape[1]),
        "vectors_seq": seq,
        "vectors_graph": graph,
    }


def open_vector_base(generation: Generation, model: str, dims: int) -> VectorBase | None:
    """The generation's vectors, if it has them for this model; None otherwise."""
    meta = generation.meta
    if meta.get("vectors_model") != model or meta.get("vectors_dims") != dims:
        return None
    graph = None
    if meta.get("vectors_graph"):
        graph = _new_graph(dims)
        graph.view(str(generation.path(GRAPH_FILE)))
    return VectorBase(
        name=generation.name,
        model=model,
        seq=int(meta["vectors_seq"]),
        rows=load_rows(generation, PREFIX),
        vectors=generation.array(PREFIX),
        graph=graph,
    )


def _new_graph(dims: int) -> Index:
    # Keys are row numbers, which the rows table maps to papers: usearch's own key table
    # would cost every process memory for nothing.
    return Index(
        ndim=dims,
        metric="cos",
        dtype=GRAPH_DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_NEAR_QUERY,
        enable_key_lookups=False,
    )
