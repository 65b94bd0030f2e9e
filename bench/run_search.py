"""Search benchmark: relevance (SciFact nDCG@10, known-item recall/MRR) and speed at 137k papers.

Run from the repository root: `.venv/bin/python bench/run_search.py`. It needs the shared
data folder beside the checkout; without it, it says which file is missing and exits 0.

1. SciFact (BEIR test split, 300 claims over 5,183 abstracts): nDCG@10 of keyword (the
   in-memory BM25 any-word ranking that hybrid fuses, and FTS5's bm25 of the same words),
   semantic and hybrid search through paperwire's own storage and Searcher, for each
   embedding model asked for (`--models`).
2. The two AI listing files (136,936 papers) are ingested into a fresh SQLite database and
   embedded with the bundled model (embedding throughput is measured here).
3. Known-item search: bench/data/known_items.jsonl (60 descriptions written in other words
   than the title) and bench/data/known_items_described.jsonl (300 papers, each described
   once in 5-7 keywords and once in a 16-25 word sentence): recall@10, recall@50 and
   MRR@10 per set, mode and fusion weight.
4. Speed: the real `paperwire serve` (page cache off) answers hybrid searches and similar
   papers; p50/p95 per kind at concurrency 1 and 4, and the server's resident memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchlib import REPO_ROOT, RESULTS_DIR, SHARED_DATA, machine_info, write_json
from run_pages import PageTarget, free_port, input_files, measure, running_server

from paperwire.papers import Paper
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.search.engine import Searcher, SearchMode
from paperwire.search.indexing import embed_pending
from paperwire.search.keyword import keyword_query, parse_query
from paperwire.storage import Database
from paperwire.storage.papers import count_papers, papers_by_keys, upsert_papers
from paperwire.storage.search import keyword_search
from paperwire.terms import query_hashes

SCIFACT_DIR = SHARED_DATA / "scifact"
KNOWN_ITEMS = REPO_ROOT / "bench" / "data" / "known_items.jsonl"
DESCRIBED_ITEMS = REPO_ROOT / "bench" / "data" / "known_items_described.jsonl"
RECALL_DEPTH = 50  # recall@50 shows what a better final ordering could still bring up
WEIGHTS = [(0.7, 0.3), (0.8, 0.2), (0.6, 0.4), (0.5, 0.5)]  # (keyword, semantic); first = default
TARGETS = {"scifact_hybrid_ndcg10": 0.70, "hybrid_p50_ms": 30.0, "similar_p50_ms": 20.0}
TARGET_RSS_MB = 600.0
TARGET_EMBED_PER_S = 1000.0
DEPTH = 10


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="bundled", help="comma-separated: bundled,minilm")
    parser.add_argument("--requests", type=int, default=300, help="requests per speed run")
    parser.add_argument("--skip-corpus", action="store_true", help="SciFact only")
    parser.add_argument("--skip-scifact", action="store_true", help="the 137k corpus only")
    parser.add_argument("--skip-speed", action="store_true", help="relevance only")
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        help="reuse the database a previous run left here (paperwire.sqlite3, embedded): "
        "known-item and speed only",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "search.json")
    return parser.parse_args(argv)


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    gain = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:DEPTH]))
    ideal = sorted(relevant.values(), reverse=True)[:DEPTH]
    return gain / sum(r / math.log2(i + 2) for i, r in enumerate(ideal))


def load_scifact() -> tuple[list[Paper], dict[str, str], dict[str, dict[str, int]]]:
    corpus = []
    with gzip.open(SCIFACT_DIR / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            # SciFact documents stored as papers: the id only has to be unique.
            corpus.append(
                Paper(arxiv_id=f"scifact/{doc['_id']}", title=doc["title"], abstract=doc["text"])
            )
    queries = {}
    for line in (SCIFACT_DIR / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        query = json.loads(line)
        queries[query["_id"]] = query["text"]
    return corpus, queries, read_qrels(SCIFACT_DIR / "qrels" / "test.tsv")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """A SciFact split's relevant documents: query id -> {paper id: grade}."""
    qrels: dict[str, dict[str, int]] = {}
    for row in path.read_text().splitlines()[1:]:
        query_id, doc_id, score = row.split("\t")
        if int(score) > 0:
            qrels.setdefault(query_id, {})[f"scifact/{doc_id}"] = int(score)
    return qrels


def term_index_ids(searcher: Searcher, query: str, limit: int) -> list[str]:
    """The in-memory BM25 any-word ranking: the keyword list that hybrid search fuses."""
    ranked = searcher.term_index().rank(query_hashes(query), limit)
    found = papers_by_keys(searcher.db, [key for key, _ in ranked])
    return [found[key].arxiv_id for key, _ in ranked if key in found]


def keyword_ids(db: Database, query: str, limit: int) -> list[str]:
    """FTS5's bm25 any-word ranking (what hybrid search falls back to without terms)."""
    matches = keyword_search(db, keyword_query(parse_query(query), any_term=True), limit=limit)
    return [match.arxiv_id for match in matches]


def mode_ids(searcher: Searcher, query: str, mode: SearchMode, limit: int = DEPTH) -> list[str]:
    return [hit.paper.arxiv_id for hit in searcher.search(query, mode=mode, limit=limit)]


def scifact_phase(models: list[str], workdir: Path) -> list[dict[str, Any]]:
    corpus, queries, qrels = load_scifact()
    db = Database.open(f"sqlite:///{workdir / 'scifact.sqlite3'}")
    db.upgrade()
    upsert_papers(db, corpus)
    words = Searcher(db, "bundled")
    rows = [
        _scifact_row(qrels, lambda q: term_index_ids(words, queries[q], DEPTH), "keyword", "-"),
        _scifact_row(qrels, lambda q: keyword_ids(db, queries[q], DEPTH), "keyword", "fts5"),
    ]
    for model in models:
        embedder = load_embedder(model)
        started = time.perf_counter()
        embed_pending(db, embedder)
        per_s = len(corpus) / (time.perf_counter() - started)
        for weights in WEIGHTS:
            searcher = Searcher(db, model, embedder=embedder, weights=weights)
            rows.append(_scifact_row(qrels, _ranker(searcher, queries), "hybrid", model, weights))
        searcher = Searcher(db, model, embedder=embedder)
        ranker = _ranker(searcher, queries, SearchMode.SEMANTIC)
        rows.append(_scifact_row(qrels, ranker, "semantic", model) | {"docs_per_s": round(per_s)})
    db.close()
    return rows


Ranker = Callable[[str], list[str]]


def _ranker(
    searcher: Searcher, queries: dict[str, str], mode: SearchMode = SearchMode.HYBRID
) -> Ranker:
    return lambda query_id: mode_ids(searcher, queries[query_id], mode)


def _scifact_row(
    qrels: dict[str, dict[str, int]],
    rank: Ranker,
    mode: str,
    model: str,
    weights: tuple[float, float] | None = None,
) -> dict[str, Any]:
    scores = [ndcg_at_10(rank(query_id), relevant) for query_id, relevant in qrels.items()]
    return {
        "mode": mode,
        "model": model,
        "weights": list(weights) if weights else None,
        "ndcg10": round(statistics.fmean(scores), 4),
    }


def corpus_phase(workdir: Path, embedder: Embedder) -> tuple[Database, dict[str, Any]]:
    files = input_files(SHARED_DATA / "arxiv", None)
    if isinstance(files, str):
        raise SystemExit(files)
    db = Database.open(f"sqlite:///{workdir / 'paperwire.sqlite3'}")
    db.upgrade()
    from paperwire.ingest.files import ingest_files

    started = time.perf_counter()
    ingest_files(db, [f for f in files if f.name.endswith(".jsonl.gz")])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    report = embed_pending(db, embedder)
    embed_s = time.perf_counter() - started
    papers = count_papers(db)
    return db, {
        "papers": papers,
        "ingest_s": round(ingest_s, 1),
        "embedded": report.embedded,
        "embed_s": round(embed_s, 1),
        "embed_papers_per_s": round(report.embedded / embed_s),
        "raw_embed_per_s": round(raw_embed_rate(db, embedder)),
    }


def raw_embed_rate(db: Database, embedder: Embedder) -> float:
    """The embedder alone on 5,000 real title+abstract texts (no database work)."""
    from sqlalchemy import text

    with db.engine.connect() as connection:
        rows = connection.execute(text("select title, abstract from papers limit 5000")).all()
    texts = [f"{title}\n{abstract}" for title, abstract in rows]
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def known_item_sets() -> dict[str, list[dict[str, Any]]]:
    """The known-item queries by set: the first 60 (mixed lengths), then the described set
    by kind (keyword-style and sentence-style descriptions of the same papers)."""
    sets = {"60 mixed": read_jsonl(KNOWN_ITEMS)}
    for item in read_jsonl(DESCRIBED_ITEMS):
        sets.setdefault(f"{item['kind']} descriptions", []).append(item)
    return sets


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def known_item_phase(db: Database, embedder: Embedder) -> list[dict[str, Any]]:
    sets = known_item_sets()
    rankers: list[tuple[str, Any, Any]] = [
        ("keyword (every word)", None, SearchMode.KEYWORD),
        ("keyword (any word, in-memory BM25)", None, "terms"),
        ("keyword (any word, FTS5 bm25)", None, None),
        ("semantic", None, SearchMode.SEMANTIC),
        *[("hybrid", weights, SearchMode.HYBRID) for weights in WEIGHTS],
    ]
    rows = []
    for label, weights, mode in rankers:
        searcher = Searcher(db, "bundled", embedder=embedder, weights=weights or WEIGHTS[0])
        for name, items in sets.items():
            ranks = [_rank(db, searcher, mode, item) for item in items]
            rows.append(
                {
                    "set": name,
                    "queries": len(items),
                    "mode": label,
                    "weights": list(weights) if weights else None,
                }
                | rank_measures(ranks)
            )
    return rows


def _rank(db: Database, searcher: Searcher, mode: Any, item: dict[str, Any]) -> int | None:
    """Where the item's paper comes among the first RECALL_DEPTH results (None: not there)."""
    if mode is None:
        found = keyword_ids(db, item["query"], RECALL_DEPTH)
    elif mode == "terms":
        found = term_index_ids(searcher, item["query"], RECALL_DEPTH)
    else:
        found = mode_ids(searcher, item["query"], mode, RECALL_DEPTH)
    return found.index(item["arxiv_id"]) + 1 if item["arxiv_id"] in found else None


def rank_measures(ranks: list[int | None]) -> dict[str, float]:
    """recall@10, recall@RECALL_DEPTH and MRR@10 of each query's rank (None: not found)."""
    mrr = statistics.fmean(1 / r if r and r <= DEPTH else 0.0 for r in ranks)
    return {
        "recall10": _recall(ranks, DEPTH),
        "recall50": _recall(ranks, RECALL_DEPTH),
        "mrr10": round(mrr, 3),
    }


def _recall(ranks: list[int | None], depth: int) -> float:
    return round(sum(r is not None and r <= depth for r in ranks) / len(ranks), 3)


def speed_phase(workdir: Path, db: Database, requests: int) -> dict[str, Any]:
    items = read_jsonl(KNOWN_ITEMS)
    from run_pages import sample_paper_ids

    targets = [
        PageTarget(
            "hybrid search",
            [f"/api/papers/search?q={quote(item['query'])}&limit=10" for item in items],
            10,
        ),
        PageTarget(
            "short hybrid search",
            [f"/api/papers/search?q={quote(' '.join(i['query'].split()[:3]))}" for i in items],
            50,
        ),
        PageTarget(
            "similar papers",
            [f"/api/papers/{i}/similar?limit=10" for i in sample_paper_ids(db, 200)],
            10,
        ),
        PageTarget("search page", [f"/search?q={quote(item['query'])}" for item in items], 50),
    ]
    runs: list[dict[str, Any]] = []
    with running_server(workdir, free_port(), 1, 0) as base_url:
        for target in targets:
            for concurrency in (1, 4):
                run = measure(base_url, target, requests, concurrency)
                runs.append(run.as_json() | {"kind": target.kind})
        rss_mb = server_rss_mb(base_url)
    return {"runs": runs, "server_rss_mb": rss_mb}


def server_rss_mb(base_url: str) -> float:
    """Resident memory of the `paperwire serve` process for base_url's port (from /proc)."""
    port = base_url.rsplit(":", 1)[1]
    total = 0.0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            arguments = (process / "cmdline").read_bytes().split(b"\0")
            if b"serve" not in arguments or port.encode() not in arguments:
                continue
            status = (process / "status").read_text()
        except OSError:  # the process ended while we looked
            continue
        line = next(entry for entry in status.splitlines() if entry.startswith("VmRSS:"))
        total += int(line.split()[1]) / 1024
    return round(total, 1)


def print_results(results: dict[str, Any]) -> None:
    if "scifact" in results:
        print("\nSciFact nDCG@10 (test split, 300 queries)")
    for row in results.get("scifact", []):
        weights = "" if not row["weights"] else f" weights {row['weights']}"
        print(f"  {row['mode']:<9} {row['model']:<8}{weights:<22} {row['ndcg10']:.4f}")
    if "corpus" not in results:
        return
    corpus = results["corpus"]
    if "reused" in corpus:
        print(f"\ncorpus: {corpus['papers']} papers, reused from {corpus['reused']}")
    else:
        print(
            f"\ncorpus: {corpus['papers']} papers; embedded {corpus['embedded']} in "
            f"{corpus['embed_s']} s = {corpus['embed_papers_per_s']}/s with storage, "
            f"{corpus['raw_embed_per_s']}/s embedder alone (target ≥ {TARGET_EMBED_PER_S:.0f})"
        )
    print("\nknown-item search (queries in other words than the title)")
    for row in results["known_item"]:
        weights = "" if not row["weights"] else f" {row['weights']}"
        label, kind = row["mode"] + weights, f"{row['set']} ({row['queries']})"
        print(
            f"  {label:<34} {kind:<28} recall@10 {row['recall10']:.3f}  "
            f"recall@50 {row['recall50']:.3f}  MRR@10 {row['mrr10']:.3f}"
        )
    if "speed" not in results:
        return
    print("\nspeed through HTTP (page cache off)")
    for run in results["speed"]["runs"]:
        print(
            f"  {run['kind']:<20} c{run['concurrency']}  p50 {run['p50_ms']:7.2f} ms  "
            f"p95 {run['p95_ms']:7.2f} ms  {run['throughput_rps']:6.1f}/s"
        )
    print(f"  server RSS after the runs: {results['speed']['server_rss_mb']} MB")


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine_info(), "date": datetime.now(UTC).isoformat()}
    with tempfile.TemporaryDirectory(prefix="paperwire-search-") as folder:
        workdir = Path(folder)
        if not args.skip_scifact:
            results["scifact"] = scifact_phase(args.models.split(","), workdir)
        if not args.skip_corpus:
            embedder = load_embedder("bundled")
            if args.corpus_dir:
                workdir = args.corpus_dir
                db = Database.open(f"sqlite:///{workdir / 'paperwire.sqlite3'}")
                db.upgrade()
                embed_pending(db, embedder)  # stores what an older run's database lacks
                results["corpus"] = {"papers": count_papers(db), "reused": str(workdir)}
            else:
                db, results["corpus"] = corpus_phase(workdir, embedder)
            results["known_item"] = known_item_phase(db, embedder)
            if not args.skip_speed:
                results["speed"] = speed_phase(workdir, db, args.requests)
            db.close()
    results["targets"] = TARGETS | {"rss_mb": TARGET_RSS_MB, "embed_per_s": TARGET_EMBED_PER_S}
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for needed in (SCIFACT_DIR / "corpus.jsonl.gz", SHARED_DATA / "arxiv"):
        if not needed.exists():
            print(
                f"skipped: {needed} is absent (the shared data folder is not beside the checkout)"
            )
            return 0
    results = run(args)
    print_results(results)
    write_json(args.out, results)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
