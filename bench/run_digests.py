"""Benchmark e-mail digests: compose, render and send 10,000 digests to a local SMTP server.

Run from the repository root:

    .venv/bin/python bench/run_digests.py [--subscribers 10000] [--topics-share 0.2]
        [--senders 2] [--papers-dir ../shared/data/arxiv] [--out bench/results/digests.json]

It ingests the shared cs.AI listings and the upvote snapshot into a fresh SQLite database,
imports confirmed subscribers (most get the trending digest, --topics-share of them topic
digests with real keywords), starts aiosmtpd in a separate process that accepts and
counts messages, and times --senders processes that each run one `paperwire digest send`
pass for Monday 8 April 2024 (the service the CLI calls) over the same deliveries, which
their claims share out. Figures are printed as a table and written as JSON. Without the
shared data it prints why and exits 0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from benchlib import REPO_ROOT, machine_info, write_json

from paperwire.config import Settings
from paperwire.digest.model import Preferences, Topic
from paperwire.digest.send import send_due_digests
from paperwire.ingest.files import ingest_files
from paperwire.mail import SmtpMailer, SmtpTarget
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import count_papers

DEFAULT_PAPERS_DIR = REPO_ROOT.parent / "shared" / "data" / "arxiv"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "digests.json"
LISTING_FILE = "cs-ai-2024-2026.jsonl.gz"
SNAPSHOT_FILE = Path("hf-daily-papers") / "upvotes-snapshot-2024-04-08.json"
AT = datetime.fromisoformat("2024-04-07T22:00:00-04:00")  # Monday 8 April's listing is out
SUBSCRIBED = datetime(2024, 1, 1, tzinfo=UTC)
TARGET_TOTAL_S = 60.0
TOPIC_KEYWORDS = (
    ("agents", "planning"),
    ("reinforcement learning",),
    ("diffusion",),
    ("retrieval", "RAG"),
    ("reasoning", "chain-of-thought"),
)
SERVER_START_TIMEOUT_S = 30.0
SENDER_START_S = 3.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--topics-share", type=float, default=0.2, help="share of topic digests")
    parser.add_argument("--senders", type=int, default=2, help="sender processes side by side")
    parser.add_argument("--papers-dir", type=Path, default=DEFAULT_PAPERS_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    return parser.parse_args(argv)


def input_files(papers_dir: Path) -> list[Path] | str:
    files = [papers_dir / LISTING_FILE, papers_dir.parent / SNAPSHOT_FILE]
    missing = [path for path in files if not path.is_file()]
    return f"skipped: shared data file {missing[0]} is missing" if missing else files


def subscribers(count: int, topics_share: float) -> list[tuple[str, Preferences]]:
    """Addresses with the trending digest, every n-th one with a topic digest instead."""
    every = round(1 / topics_share) if topics_share > 0 else 0
    rows = []
    for number in range(count):
        preferences = Preferences()
        if every and number % every == 0:
            keywords = TOPIC_KEYWORDS[number % len(TOPIC_KEYWORDS)]
            topic = Topic(name=keywords[0], include=keywords)
            preferences = Preferences(content="topics", topics=(topic,))
        rows.append((f"reader{number:06d}@example.org", preferences))
    return rows


def _serve_smtp(port: int, count: Synchronized[int], cpu: Synchronized[float], ready: Any) -> None:
    """The SMTP server process: accept every message and count it (no parsing); cpu holds
    the CPU seconds the process had used at its latest message."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            cpu.value = time.process_time()
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


@contextmanager
def smtp_server() -> Iterator[tuple[int, Synchronized[int], Synchronized[float]]]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    context = multiprocessing.get_context("spawn")
    count: Synchronized[int] = context.Value("i", 0)
    cpu: Synchronized[float] = context.Value("d", 0.0)
    ready = context.Event()
    process = context.Process(target=_serve_smtp, args=(port, count, cpu, ready), daemon=True)
    process.start()
    try:
        if not ready.wait(SERVER_START_TIMEOUT_S):
            raise RuntimeError("the SMTP server did not start")
        yield port, count, cpu
    finally:
        process.terminate()
        process.join(10)


def sender(database_url: str, data_dir: str, port: int, start: Any, results: Any) -> None:
    """One sender process: one `digest send` pass; reports what it did and its CPU time."""
    db = Database.open(database_url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=Path(data_dir), base_url="https://papers.example.org"
    )
    mailer = SmtpMailer(SmtpTarget.from_url(f"smtp://127.0.0.1:{port}"), timeout_seconds=30)
    gaps: list[float] = []
    last = time.perf_counter()

    def on_message(_outcome: str) -> None:
        nonlocal last
        now = time.perf_counter()
        gaps.append((now - last) * 1000)
        last = now

    start.wait()
    cpu_started = time.process_time()
    last = time.perf_counter()
    report = send_due_digests(db, settings, mailer, at=AT, on_message=on_message)
    results.put(
        (report.sent, report.skipped, report.failed, time.process_time() - cpu_started, gaps)
    )
    db.close()


def timed_senders(
    database_url: str, folder: Path, port: int, senders: int
) -> tuple[list[tuple[int, int, int, float, list[float]]], float]:
    """Run `senders` sender processes side by side over the same deliveries; the claims
    keep each digest to one of them. Returns each one's figures and the wall seconds."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=sender, args=(database_url, str(folder), port, start, results))
        for _ in range(senders)
    ]
    for process in processes:
        process.start()
    time.sleep(SENDER_START_S)  # let every process import paperwire before the clock starts
    started = time.perf_counter()
    start.set()
    figures = [results.get(timeout=3_600) for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join(10)
    return figures, seconds


def run(args: argparse.Namespace, files: list[Path], folder: Path) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'paperwire.sqlite3'}"
    db = Database.open(url)
    db.upgrade()
    ingest_files(db, files)
    digest_store.import_subscriptions(
        db, subscribers(args.subscribers, args.topics_share), SUBSCRIBED
    )
    papers = count_papers(db)
    db.close()
    with smtp_server() as (port, count, server_cpu):
        cpu_before = server_cpu.value
        figures, seconds = timed_senders(url, folder, port, args.senders)
        time.sleep(0.2)
        accepted, server_cpu_s = count.value, server_cpu.value - cpu_before
    sent = sum(f[0] for f in figures)
    ordered = sorted(gap for f in figures for gap in f[4])
    return {
        "papers": papers,
        "subscribers": args.subscribers,
        "topics_share": args.topics_share,
        "senders": args.senders,
        "sent": sent,
        "skipped": sum(f[1] for f in figures),
        "failed": sum(f[2] for f in figures),
        "accepted_by_server": accepted,
        "total_s": round(seconds, 2),
        "sender_cpu_s": round(sum(f[3] for f in figures), 2),
        "smtp_server_cpu_s": round(server_cpu_s, 2),
        "digests_per_s": round(sent / seconds, 1) if seconds else None,
        "per_digest_p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "per_digest_p95_ms": round(statistics.quantiles(ordered, n=100)[94], 2)
        if len(ordered) > 1
        else None,
        "target_total_s": TARGET_TOTAL_S,
        "pass": seconds <= TARGET_TOTAL_S and sent == args.subscribers,
    }


def print_table(figures: dict[str, Any]) -> None:
    print(f"papers in the database: {figures['papers']:,}")
    print(
        f"{figures['subscribers']:,} subscribers ({figures['topics_share']:.0%} topic digests), "
        f"{figures['senders']} sender process(es): "
        f"sent {figures['sent']:,}, skipped {figures['skipped']:,}, failed {figures['failed']:,}, "
        f"accepted by the server {figures['accepted_by_server']:,}"
    )
    print(
        f"total {figures['total_s']:.1f} s = {figures['digests_per_s']:,.0f} digests/s "
        f"(CPU: senders {figures['sender_cpu_s']:.1f} s, SMTP server "
        f"{figures['smtp_server_cpu_s']:.1f} s); "
        f"per digest p50 {figures['per_digest_p50_ms']} ms, p95 {figures['per_digest_p95_ms']} ms; "
        f"target <= {TARGET_TOTAL_S:g} s: {'PASS' if figures['pass'] else 'FAIL'}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = input_files(args.papers_dir)
    if isinstance(files, str):
        print(files)
        return 0
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-digests-") as folder:
        figures = run(args, files, Path(folder))
    print_table(figures)
    results = {
        "benchmark": "digests",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": "sqlite",
        "input_files": [str(path) for path in files],
        **figures,
    }
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
