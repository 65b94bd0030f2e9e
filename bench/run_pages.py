"""Benchmark the foundation: ingest the shared arXiv files into SQLite, then time the main pages.

Run from the repository root:

    .venv/bin/python bench/run_pages.py [--papers-dir ../shared/data/arxiv]
        [--out bench/results/pages.json] [--requests 400] [--concurrency 4] [--workers 1]
        [--page-cache-entries N]

It ingests the shared listings (and the Hugging Face upvote snapshot) into a fresh SQLite
database in a temporary folder, times a second idempotent re-ingest, starts the real
`paperwire serve` on a free loopback port, and measures client-side latency of the front
page, a busy day page, paper pages and the trending page. Figures are printed as a table
and written as JSON. Without the shared data it prints why and exits 0.

Papers with code: links are found in the stored papers (bench/code_data.py says how), and
the GitHub repositories get SYNTHETIC star histories (nothing is asked of GitHub); the
code-trending page, a day "with code" and the API lists with their code fields are timed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from benchlib import REPO_ROOT, machine_info, write_json
from code_data import CodeData, add_code
from sqlalchemy import text

from paperwire.config import Settings
from paperwire.ingest.files import IngestReport, ingest_files
from paperwire.ranking import listings
from paperwire.ranking.calendar import period_of
from paperwire.storage import Database
from paperwire.storage.papers import count_papers

DEFAULT_PAPERS_DIR = REPO_ROOT.parent / "shared" / "data" / "arxiv"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "pages.json"
LISTING_FILES = ("cs-ai-2024-2026.jsonl.gz", "cs-cv-cl-ai-2025-2026.jsonl.gz")
SNAPSHOT_FILE = Path("hf-daily-papers") / "upvotes-snapshot-2024-04-08.json"
TARGET_INGEST_RECORDS_PER_S = 5_000.0
TARGET_PAGE_P50_MS = 15.0
PAPER_SAMPLE_SIZE = 200
RANDOM_SEED = 20240408
WARMUP_ROUNDS = 5
SERVER_START_TIMEOUT_S = 120.0
SERVER_STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class IngestRun:
    label: str
    seconds: float
    seen: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    failed_files: int

    @property
    def records_per_s(self) -> float:
        return self.seen / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"records_per_s": round(self.records_per_s, 1)}


@dataclass(frozen=True, slots=True)
class PageTarget:
    kind: str
    urls: list[str]  # requests cycle through these
    items: int  # papers the page ranks or shows: what makes it heavy


@dataclass(frozen=True, slots=True)
class PageRun:
    kind: str
    example_url: str
    distinct_urls: int
    items: int
    requests: int
    concurrency: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    throughput_rps: float

    @property
    def passed(self) -> bool:
        return self.p50_ms <= TARGET_PAGE_P50_MS

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"target_p50_ms": TARGET_PAGE_P50_MS, "pass": self.passed}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--papers-dir",
        type=Path,
        default=DEFAULT_PAPERS_DIR,
        help="folder holding the shared arXiv JSON Lines files",
    )
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help=f"upvote snapshot [default: <papers-dir>/../{SNAPSHOT_FILE}]",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per page")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=1, help="`paperwire serve --workers`")
    parser.add_argument(
        "--page-cache-entries",
        type=int,
        default=None,
        help="PAPERWIRE_PAGE_CACHE_ENTRIES for the server (0 measures every page uncached)",
    )
    return parser.parse_args(argv)


def input_files(papers_dir: Path, snapshot: Path | None) -> list[Path] | str:
    """The files to ingest, or the reason the benchmark cannot run."""
    listing_files = [papers_dir / name for name in LISTING_FILES]
    snapshot = snapshot or papers_dir.parent / SNAPSHOT_FILE
    missing = [p for p in [*listing_files, snapshot] if not p.is_file()]
    if missing:
        return f"skipped: shared data file {missing[0]} is missing"
    return [*listing_files, snapshot]


def timed_ingest(db: Database, files: list[Path], label: str) -> IngestRun:
    started = time.perf_counter()
    report: IngestReport = ingest_files(db, files)
    seconds = time.perf_counter() - started
    counts = report.counts
    return IngestRun(
        label,
        seconds,
        report.seen,
        counts.added,
        counts.updated,
        counts.unchanged,
        report.rejected,
        report.failed_files,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    data_dir: Path, port: int, workers: int, cache_entries: int | None
) -> Iterator[str]:
    """Run `paperwire serve` over data_dir; yield its base URL; always stop it."""
    env = os.environ | {
        "PAPERWIRE_DATA_DIR": str(data_dir),
        "PAPERWIRE_LOAD_DEMO": "false",
        "PAPERWIRE_LOG_LEVEL": "WARNING",
        # One client fires thousands of API requests: measure serving, not the limiter.
        "PAPERWIRE_API_RATE_LIMIT_PER_MINUTE": "0",
        "PAPERWIRE_SEARCH_LIMIT_PER_MINUTE": "0",
    }
    if cache_entries is not None:
        env["PAPERWIRE_PAGE_CACHE_ENTRIES"] = str(cache_entries)
    command = [
        str(Path(sys.executable).parent / "paperwire"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(process, base_url, log_path)
            yield base_url
        finally:
            stop(process)


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: "
                f"{log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer /healthz within {SERVER_START_TIMEOUT_S:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def busiest_day(db: Database) -> tuple[str, int]:
    """The listing day with the most papers, and how many."""
    query = text(
        "select listing_day, count(*) from papers "
        "where listing_day is not null group by 1 order by 2 desc limit 1"
    )
    with db.engine.connect() as connection:
        row = connection.execute(query).one()
    return str(row[0]), int(row[1])


def papers_on(db: Database, day: date) -> int:
    query = text("select count(*) from papers where listing_day = :day")
    with db.engine.connect() as connection:
        return int(connection.scalar(query, {"day": day.isoformat()}) or 0)


def first_trending_page(db: Database, settings: Settings) -> listings.TrendingList:
    """The first page of the trending list, as the server will see it."""
    return listings.trending_list(
        db,
        today=datetime.now(UTC).date(),
        page=1,
        page_size=settings.page_size,
        window_days=settings.trending_window_days,
        half_life_hours=settings.trending_half_life_hours,
    )


def trending_items(db: Database, settings: Settings) -> int:
    """How many upvoted papers the trending page ranks."""
    return first_trending_page(db, settings).page.total_items


def sample_paper_ids(db: Database, size: int) -> list[str]:
    with db.engine.connect() as connection:
        ids = list(connection.scalars(text("select arxiv_id from papers order by arxiv_id")))
    return random.Random(RANDOM_SEED).sample(ids, min(size, len(ids)))


def page_targets(db: Database, settings: Settings) -> list[PageTarget]:
    latest = listings.latest_day(db)
    day, day_papers = busiest_day(db)
    paper_urls = [f"/papers/{i}" for i in sample_paper_ids(db, PAPER_SAMPLE_SIZE)]
    return [
        PageTarget("front", ["/"], papers_on(db, latest) if latest else 0),
        PageTarget("day", [f"/papers/date/{day}"], day_papers),
        PageTarget("paper", paper_urls, 1),
        PageTarget("trending", ["/papers/trending"], trending_items(db, settings)),
        PageTarget("api daily", [f"/api/daily_papers?date={day}"], day_papers),
        PageTarget("api paper", [f"/api{url}" for url in paper_urls], 1),
        *code_targets(db, settings, day),
    ]


def code_targets(db: Database, settings: Settings, day: str) -> list[PageTarget]:
    """The code-trending page and API list, and the busiest day narrowed to papers with code."""
    with_code = listings.period_list(
        db, period_of("day", date.fromisoformat(day)), 1, 1, with_code=True
    ).page.total_items
    ranked = listings.code_trending_list(
        db, page=1, page_size=1, half_life_hours=settings.trending_half_life_hours
    ).page.total_items
    return [
        PageTarget("code", ["/papers/trending/code"], ranked),
        PageTarget("day code", [f"/papers/date/{day}?code=1"], with_code),
        PageTarget("api code", ["/api/papers/trending/code"], ranked),
        PageTarget("api dcode", [f"/api/daily_papers?date={day}&code=true"], with_code),
    ]


@contextmanager
def keep_alive(base_url: str) -> Iterator[http.client.HTTPConnection]:
    """One persistent HTTP/1.1 connection. The standard library's client costs the shared
    CPU far less per request than httpx, so the figures say more about the server."""
    parsed = urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30.0)
    try:
        yield connection
    finally:
        connection.close()


def fetch_ok(client: http.client.HTTPConnection, url: str) -> float:
    """GET url; return its latency in ms; raise unless the answer is 200."""
    started = time.perf_counter()
    client.request("GET", url)
    response = client.getresponse()
    response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {url} answered {response.status}")
    return elapsed_ms


def warm_up(base_url: str, target: PageTarget) -> None:
    with keep_alive(base_url) as client:
        for _ in range(WARMUP_ROUNDS):
            for url in target.urls[:WARMUP_ROUNDS]:
                fetch_ok(client, url)


def client_worker(
    base_url: str, urls: list[str], latencies: list[float], errors: list[Exception]
) -> None:
    """One keep-alive connection fetching its share of the URLs in order."""
    try:
        with keep_alive(base_url) as client:
            for url in urls:
                latencies.append(fetch_ok(client, url))
    except Exception as error:  # handed to the main thread, which raises it
        errors.append(error)


def measure(base_url: str, target: PageTarget, requests: int, concurrency: int) -> PageRun:
    warm_up(base_url, target)
    plan = [target.urls[i % len(target.urls)] for i in range(requests)]
    latencies: list[float] = []
    errors: list[Exception] = []
    threads = [
        threading.Thread(
            target=client_worker, args=(base_url, plan[k::concurrency], latencies, errors)
        )
        for k in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    if errors:
        raise errors[0]
    return summarize(target, latencies, concurrency, wall_s)


def summarize(
    target: PageTarget, latencies: list[float], concurrency: int, wall_s: float
) -> PageRun:
    ordered = sorted(latencies)
    p95 = (
        statistics.quantiles(ordered, n=100, method="inclusive")[94]
        if len(ordered) > 1
        else ordered[0]
    )
    return PageRun(
        kind=target.kind,
        example_url=target.urls[0],
        distinct_urls=len(target.urls),
        items=target.items,
        requests=len(ordered),
        concurrency=concurrency,
        p50_ms=round(statistics.median(ordered), 2),
        p95_ms=round(p95, 2),
        max_ms=round(ordered[-1], 2),
        throughput_rps=round(len(ordered) / wall_s, 1),
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_ingest(runs: list[IngestRun], papers: int) -> None:
    for run in runs:
        print(
            f"ingest {run.label:<6} {run.seen:>8,} records in {run.seconds:7.1f} s = "
            f"{run.records_per_s:8,.0f} records/s  (added {run.added:,}, updated "
            f"{run.updated:,}, unchanged {run.unchanged:,}, rejected {run.rejected:,})  "
            f"target >= {TARGET_INGEST_RECORDS_PER_S:,.0f}/s: "
            f"{verdict(run.records_per_s >= TARGET_INGEST_RECORDS_PER_S)}"
        )
    print(f"unique papers in the database: {papers:,}")


def print_table(runs: list[PageRun]) -> None:
    header = (
        f"{'page':<9} {'papers':>6} {'requests':>8} {'conc':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'req/s':>7}  p50<={TARGET_PAGE_P50_MS:g} ms  example URL"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        print(
            f"{run.kind:<9} {run.items:>6} {run.requests:>8} {run.concurrency:>4} "
            f"{run.p50_ms:>8.2f} {run.p95_ms:>8.2f} {run.max_ms:>8.2f} "
            f"{run.throughput_rps:>7.1f}  {verdict(run.passed):<12} {run.example_url}"
        )
    print("papers: how many papers the page ranks (day, trending) or shows (paper)")


def write_results(
    args: argparse.Namespace,
    ingest: list[IngestRun],
    papers: int,
    pages: list[PageRun],
    files: list[Path],
    code: CodeData,
) -> None:
    out: Path = args.out
    results = {
        "benchmark": "pages",
        "server_workers": args.workers,
        "page_cache_entries": args.page_cache_entries,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": "sqlite",
        "input_files": [str(p) for p in files],
        "papers": papers,
        "ingest": {
            "target_records_per_s": TARGET_INGEST_RECORDS_PER_S,
            "runs": [
                run.as_json() | {"pass": run.records_per_s >= TARGET_INGEST_RECORDS_PER_S}
                for run in ingest
            ],
        },
        "pages": [run.as_json() for run in pages],
        "code": asdict(code) | {"star_histories": "synthetic (bench/code_data.py)"},
    }
    write_json(out, results)


def ingest_phase(db: Database, files: list[Path]) -> tuple[list[IngestRun], int]:
    print(f"ingesting {len(files)} files into a fresh SQLite database ...", flush=True)
    first = timed_ingest(db, files, "first")
    print(f"first ingest done in {first.seconds:.1f} s; re-ingesting ...", flush=True)
    rerun = timed_ingest(db, files, "rerun")
    return [first, rerun], count_papers(db)


def pages_phase(db: Database, settings: Settings, args: argparse.Namespace) -> list[PageRun]:
    targets = page_targets(db, settings)
    db.close()  # the server is the only reader from here on
    server = running_server(settings.data_dir, free_port(), args.workers, args.page_cache_entries)
    with server as base_url:
        cache = "default" if args.page_cache_entries is None else args.page_cache_entries
        print(
            f"server up at {base_url} with {args.workers} worker(s), page cache {cache}; "
            f"{args.requests} requests per page, concurrency {args.concurrency}",
            flush=True,
        )
        return [measure(base_url, t, args.requests, args.concurrency) for t in targets]


def run(args: argparse.Namespace, files: list[Path]) -> None:
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as tmp:
        data_dir = Path(tmp)
        settings = Settings(data_dir=data_dir, load_demo=False)
        db = Database.open(settings.effective_database_url())
        try:
            db.upgrade()
            ingest, papers = ingest_phase(db, files)
            print_ingest(ingest, papers)
            code = add_code(db, settings.trending_half_life_hours)
            print(code.describe(), flush=True)
            pages = pages_phase(db, settings, args)
        finally:
            db.close()
    print_ingest(ingest, papers)
    print(code.describe())
    print_table(pages)
    write_results(args, ingest, papers, pages, files, code)
    print(f"wrote {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        print("--requests and --concurrency must be at least 1", file=sys.stderr)
        return 2
    files = input_files(args.papers_dir, args.snapshot)
    if isinstance(files, str):
        print(files)
        return 0
    run(args, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
