"""Benchmark serving at scale from the shared index files: build time, how soon a worker
answers, approximate-neighbour recall, search, similar papers, paper pages and memory.

Run from the repository root over a data folder holding a large database, such as the
1M-paper one `bench/run_bulk_load.py --papers 1000000 --ways pipeline --keep DIR` leaves
(136,936 real papers, the rest COPIED with new ids):

    .venv/bin/python bench/run_scale.py --data-dir DIR [--out bench/results/scale.json]
        [--skip-http] [--wrk-seconds 20]

Steps: build the index generation when it is missing or stale (`paperwire index build`,
timed, with the builder's peak memory); read the data folder's files once into the OS
page cache, as a server that has been running holds them; in this process, map the
generation and time the first search, then measure recall@10 of the HNSW graph against
an exact scan of the same vectors (for papers' own vectors, as similar papers asks, and
for the known-item descriptions' vectors, as semantic search asks), hybrid search p50
over the known-item descriptions (bench/data), and similar papers p50 over distinct
papers (nothing cached); then start `paperwire serve --workers 2` with no page cache and
measure from start to the first search answered, paper page p50 (distinct papers, one at
a time), each worker's memory beyond the mapped files (RssAnon), and requests per second
on random paper pages with wrk (when installed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from benchlib import REPO_ROOT, RESULTS_DIR, machine_info, write_json
from run_pages import free_port, running_server

from paperwire.config import Settings
from paperwire.search.engine import Searcher, SearchMode, searcher_for
from paperwire.search.index_build import index_folder, index_lag
from paperwire.search.vector_base import EXPANSION_NEAR_PAPER, EXPANSION_NEAR_QUERY, VectorBase
from paperwire.storage import Database
from paperwire.storage.papers import count_papers, papers_by_keys

KNOWN_ITEMS = REPO_ROOT / "bench" / "data" / "known_items_described.jsonl"
SEED = 20261206
PAGE_SAMPLES = 300
TARGETS = {
    "worker_first_search_s": 2.0,
    "recall_at_10": 0.98,
    "hybrid_p50_ms": 30.0,
    "similar_p50_ms": 10.0,
    "paper_page_p50_ms": 10.0,
    "worker_rss_anon_mb": 400.0,
    "paper_pages_per_s": 300.0,
}
# What a new web worker does before it answers (serve --workers N starts N of these, and
# restarts one that dies): import the app, open the database, map the index, then search.
# The test client stands in for uvicorn and is imported before the clock starts.
WORKER_SNIPPET = """
import time
from fastapi.testclient import TestClient
started = time.perf_counter()
from paperwire.web.asgi import app_from_environment
client = TestClient(app_from_environment(), base_url="http://127.0.0.1:8000")
assert client.get("/search", params={"q": "protein folding"}).status_code == 200
print(time.perf_counter() - started)
"""
WRK_SCRIPT = """
local ids = {}
for line in io.lines(os.getenv("PAPER_IDS")) do ids[#ids + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", "/papers/" .. ids[math.random(#ids)])
end
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "scale.json")
    parser.add_argument("--samples", type=int, default=300, help="papers for similar/recall")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--wrk-seconds", type=int, default=20)
    return parser.parse_args(argv)


def build_if_needed(settings: Settings, db: Database, model: str) -> dict[str, Any]:
    """Run `paperwire index build` in a child when the generation is stale; its figures."""
    if not index_lag(db, index_folder(settings), model).is_stale(settings.index_rebuild_papers):
        return {"built": False}
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "paperwire"), "index", "build"],
        env=os.environ | {"PAPERWIRE_DATA_DIR": str(settings.data_dir)},
        check=True,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "built": True,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak),
    }


def warm_os_cache(data_dir: Path) -> int:
    """Read every file under the data folder once, so that the OS page cache holds them as
    it does on a server that has been answering for a while: otherwise a run's figures
    depend on what earlier work left cached (8 random papers took 450 us to read with 2.9
    of the database's 5.1 GB cached, 120 us with all of it). MB read."""
    read = 0
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            with path.open("rb") as file:
                while chunk := file.read(1 << 24):
                    read += len(chunk)
    return read >> 20


def in_process(searcher: Searcher, db: Database, samples: int) -> dict[str, Any]:
    started = time.perf_counter()
    searcher.embedder.embed(["warm the model"])
    embedder_s = time.perf_counter() - started
    started = time.perf_counter()
    assert searcher.open_shared_index(), "no index generation to map"
    mapped_s = time.perf_counter() - started
    started = time.perf_counter()
    searcher.search("graph neural networks for molecules", limit=10)
    first_search_s = time.perf_counter() - started
    base = searcher.index()._state.base
    assert base is not None and base.graph is not None, "the generation has no graph"
    rng = np.random.default_rng(SEED)
    rows = rng.choice(len(base), size=min(samples, len(base)), replace=False)
    keys = base.rows.paper_ids[rows].tolist()
    arxiv_ids = _arxiv_ids(db, keys)
    return {
        "papers_in_generation": len(base),
        "embedder_load_s": round(embedder_s, 3),
        "map_generation_s": round(mapped_s, 3),
        "first_search_s": round(first_search_s, 3),
        "recall_at_10": round(_recall(base, rows), 4),
        "query_recall_at_10": round(_query_recall(base, searcher), 4),
        "similar_ms": _timings(lambda i: searcher.similar(arxiv_ids[i], limit=10), len(arxiv_ids)),
        "hybrid_ms": _hybrid_timings(searcher),
        "rss": _memory(os.getpid()),
    }


def _recall(base: VectorBase, rows: np.ndarray) -> float:
    """Share of the exact 10 nearest (by a scan of the mapped vectors) that the graph path
    (graph walk, then exact rescoring) returns, for each sampled paper's own vector, with
    the narrower walk that similar papers takes. Ties count as found: a copied paper has
    several neighbours at exactly the same cosine, and any of them is as right as another."""
    usable = np.ones(len(base), bool)
    found = 0
    for row in rows.tolist():
        query = np.asarray(base.vectors[row])
        scores = base.vectors @ query
        scores[row] = -np.inf
        tenth = np.partition(-scores, 9)[9] * -1
        usable[row] = False
        _, approximate = base.nearest_rows(
            query, 10, usable, len(base) - 1, expansion=EXPANSION_NEAR_PAPER
        )
        usable[row] = True
        found += int(np.count_nonzero(approximate >= tenth - 1e-5))
    return found / (10 * len(rows))


def _query_recall(base: VectorBase, searcher: Searcher) -> float:
    """As _recall, for the vectors of the known-item descriptions, which fall between
    papers rather than on one."""
    vectors = searcher.embedder.embed(_known_item_queries()).astype(np.float32)
    vectors = vectors[np.any(vectors, axis=1)]  # no word known to the model
    usable = np.ones(len(base), bool)
    found = 0
    for query in vectors:
        tenth = np.partition(-(base.vectors @ query), 9)[9] * -1
        _, approximate = base.nearest_rows(
            query, 10, usable, len(base), expansion=EXPANSION_NEAR_QUERY
        )
        found += int(np.count_nonzero(approximate >= tenth - 1e-5))
    return found / (10 * len(vectors))


def _known_item_queries() -> list[str]:
    return [json.loads(line)["query"] for line in KNOWN_ITEMS.read_text().splitlines()]


def _hybrid_timings(searcher: Searcher) -> dict[str, float]:
    queries = _known_item_queries()
    for query in queries[:5]:
        searcher.search(query, mode=SearchMode.HYBRID, limit=10)
    return _timings(lambda i: searcher.search(queries[i], limit=10), len(queries))


def _timings(call: Any, count: int) -> dict[str, float]:
    spent = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        spent.append((time.perf_counter() - started) * 1000)
    return {
        "p50": round(statistics.median(spent), 2),
        "p95": round(float(np.percentile(spent, 95)), 2),
        "n": count,
    }


def _arxiv_ids(db: Database, keys: list[int]) -> list[str]:
    found = papers_by_keys(db, keys)
    return [found[key].arxiv_id for key in keys if key in found]


def _memory(pid: int) -> dict[str, float]:
    """Resident memory of a process, MB: anonymous (its own) and file-backed (the mapped
    index files, shared with every process that maps them)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def worker_ready_s(settings: Settings) -> float:
    """Seconds a fresh process takes from importing the app to its first search answered."""
    finished = subprocess.run(
        [sys.executable, "-c", WORKER_SNIPPET],
        env=os.environ | {"PAPERWIRE_DATA_DIR": str(settings.data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(finished.stdout.split()[-1]), 2)


def over_http(settings: Settings, arxiv_ids: list[str], wrk_seconds: int) -> dict[str, Any]:
    os.environ["PAPERWIRE_PAGE_CACHE_ENTRIES"] = "0"  # every page rendered anew
    started = time.perf_counter()
    port = free_port()
    with running_server(settings.data_dir, port, 2, 0) as base_url:
        up_s = time.perf_counter() - started
        httpx.get(f"{base_url}/search", params={"q": "protein folding"}, timeout=60)
        first_search_s = time.perf_counter() - started
        with httpx.Client(base_url=base_url, timeout=30) as client:
            _fetch_all(client, arxiv_ids[:20])  # both workers past their first requests
            pages = _timings(
                lambda i: client.get(f"/papers/{arxiv_ids[20 + i]}").raise_for_status(),
                min(PAGE_SAMPLES, len(arxiv_ids) - 20),
            )
        workers = _worker_pids(port)
        before = [_cpu_seconds(pid) for pid in workers]
        throughput = _wrk(base_url, arxiv_ids, wrk_seconds)
        if throughput is not None:  # both workers should have served: see _wrk
            throughput["worker_cpu_s"] = [
                round(_cpu_seconds(pid) - spent, 1)
                for pid, spent in zip(workers, before, strict=True)
            ]
        memory = [_memory(pid) for pid in workers]
    return {
        "start_to_healthy_s": round(up_s, 2),
        "start_to_first_search_s": round(first_search_s, 2),
        "paper_page_ms": pages,
        "wrk": throughput,
        "workers_rss": memory,
    }


def _fetch_all(client: httpx.Client, arxiv_ids: list[str]) -> None:
    for arxiv_id in arxiv_ids:
        client.get(f"/papers/{arxiv_id}").raise_for_status()


def _wrk(base_url: str, arxiv_ids: list[str], seconds: int) -> dict[str, Any] | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        script, ids = Path(scratch) / "pages.lua", Path(scratch) / "ids.txt"
        script.write_text(WRK_SCRIPT)
        ids.write_text("\n".join(arxiv_ids) + "\n")
        result = subprocess.run(
            # 16 connections: the workers share one listening socket, and with 8 one worker
            # once accepted all of them (139 pages/s from one busy worker against 381 from
            # two, the same minute); with 32, each worker's 16 request threads fought over
            # its GIL. 16 gave 309-337 pages/s with both workers equally busy.
            [wrk, "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), base_url],
            env=os.environ | {"PAPER_IDS": str(ids)},
            capture_output=True,
            text=True,
            check=True,
        )
    lines = result.stdout.splitlines()
    rate = next(line for line in lines if line.startswith("Requests/sec"))
    non_2xx = [line for line in lines if "Non-2xx" in line]
    return {
        "requests_per_s": float(rate.split()[-1]),
        "non_2xx": non_2xx[0].strip() if non_2xx else None,
        "latency": [line.strip() for line in lines if line.strip().startswith(("50%", "99%"))],
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_pids(port: int) -> list[int]:
    """The worker processes of the `paperwire serve` listening on port (its children):
    not those of another server running on the machine."""
    serve = _pgrep("-f", f"serve --host 127.0.0.1 --port {port} ")
    return [pid for parent in serve for pid in _pgrep("-P", str(parent), "-f", "spawn_main")]


def _pgrep(*args: str) -> list[int]:
    found = subprocess.run(["pgrep", *args], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


def report(results: dict[str, Any]) -> None:
    local, http = results["in_process"], results.get("http")
    rows: list[tuple[str, float | None, float | None]] = [
        ("recall@10, graph vs exact", local["recall_at_10"], TARGETS["recall_at_10"]),
        ("recall@10, text queries", local["query_recall_at_10"], TARGETS["recall_at_10"]),
        ("hybrid search p50 ms", local["hybrid_ms"]["p50"], TARGETS["hybrid_p50_ms"]),
        ("similar papers p50 ms", local["similar_ms"]["p50"], TARGETS["similar_p50_ms"]),
        ("first search after mapping s", local["first_search_s"], None),
        ("new worker to first search s", statistics.median(results["worker_ready_s"]), 2.0),
    ]
    if http:
        worst_anon = (
            max(m.get("RssAnon", 0) for m in http["workers_rss"]) if http["workers_rss"] else None
        )
        rate = http["wrk"]["requests_per_s"] if http["wrk"] else None
        rows += [
            ("serve start to first search s", http["start_to_first_search_s"], None),
            ("paper page p50 ms", http["paper_page_ms"]["p50"], TARGETS["paper_page_p50_ms"]),
            ("worker RssAnon MB (max)", worst_anon, TARGETS["worker_rss_anon_mb"]),
            ("paper pages/s, 2 workers", rate, TARGETS["paper_pages_per_s"]),
        ]
    print(f"\n{results['papers']:,} papers; build: {results['build']}")
    print(f"read into the OS page cache first: {results['os_cache_warmed_mb']:,} MB")
    print(f"{'measure':<34} {'value':>10} {'target':>8}")
    for name, value, target in rows:
        shown = "-" if value is None else f"{value:,.3f}".rstrip("0").rstrip(".")
        print(f"{name:<34} {shown:>10} {'' if target is None else target:>8}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings(data_dir=args.data_dir)
    db = Database.open(settings.effective_database_url())
    searcher = searcher_for(db, settings)
    results: dict[str, Any] = {
        "benchmark": "scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "papers": count_papers(db),
        "build": build_if_needed(settings, db, searcher.embedder.name),
    }
    results["os_cache_warmed_mb"] = warm_os_cache(args.data_dir)
    results["in_process"] = in_process(searcher, db, args.samples)
    results["worker_ready_s"] = [worker_ready_s(settings) for _ in range(5)]
    if not args.skip_http:
        base = searcher.index()._state.base
        assert base is not None
        rows = random.Random(SEED).sample(range(len(base)), min(20_000, len(base)))
        arxiv_ids = _arxiv_ids(db, base.rows.paper_ids[rows].tolist())
        db.close()
        results["http"] = over_http(settings, arxiv_ids, args.wrk_seconds)
    report(results)
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
