"""Benchmark the "for you" feed at full size: one reader's feed, and a digest pass's worth
of readers' feeds, over the shared arXiv listings (137k papers).

Run from the repository root:

    .venv/bin/python bench/run_feed.py [--readers 10000] [--library-size 30]
        [--requests 200] [--out bench/results/feed.json]

It ingests the two shared listing files into a fresh SQLite database, embeds every paper
with the bundled model (as `paperwire ingest file` does), and creates --readers readers,
each with a library of --library-size papers of one arXiv category listed before the
feed's week (SYNTHETIC readers: real papers, chosen at random). It then times, in-process,
`recommend.feed.personal_feed` (one page of 50, with reasons) for --requests random
readers, and the feed part of a digest pass: `Composer.compose` of a "for-you" digest of
10 papers for every reader, sharing the week's papers and vectors as a real pass does.
Targets: feed p50 <= 50 ms; 10,000 readers' feeds <= 60 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import REPO_ROOT, SHARED_DATA, machine_info, write_json
from sqlalchemy import insert, select

from paperwire.config import Settings
from paperwire.digest.compose import Composer
from paperwire.digest.model import Preferences, Subscription
from paperwire.digest.send import CLAIM_BATCH
from paperwire.ingest.files import ingest_files
from paperwire.recommend.feed import FEED_DAYS, FeedPools, personal_feed
from paperwire.search.embedder import load_embedder
from paperwire.search.engine import searcher_for
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.digests import History
from paperwire.storage.papers import count_papers, latest_listing_day
from paperwire.storage.schema import library_items, papers, users
from paperwire.storage.users import count_users

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "feed.json"
LISTING_FILES = ("cs-ai-2024-2026.jsonl.gz", "cs-cv-cl-ai-2025-2026.jsonl.gz")
TARGET_FEED_P50_MS = 50.0
TARGET_DIGEST_S = 60.0
PAGE_SIZE = 50
DIGEST_SIZE = 10
SEED = 20261205


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-dir", type=Path, default=SHARED_DATA / "arxiv")
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--library-size", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200, help="feeds timed one by one")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the database here and reuse it on the next run [default: a temporary folder]",
    )
    return parser.parse_args(argv)


def prepare(db: Database, files: list[Path], args: argparse.Namespace) -> dict[str, float]:
    """The papers, embeddings and readers, unless a kept database has them already."""
    built: dict[str, float] = {}
    if count_papers(db):
        print("reusing the papers of --data-dir", flush=True)
    else:
        print("ingesting and embedding the shared listings ...", flush=True)
        built = build(db, files)
    last = latest_listing_day(db)
    assert last is not None
    before = last - timedelta(days=FEED_DAYS - 1)
    add_readers(db, count_users(db), args.readers, args.library_size, before)
    return built


def build(db: Database, files: list[Path]) -> dict[str, float]:
    """Ingest and embed the listings; seconds each took."""
    started = time.perf_counter()
    ingest_files(db, files)
    ingested = time.perf_counter()
    embed_pending(db, load_embedder("bundled"))
    return {"ingest_s": ingested - started, "embed_s": time.perf_counter() - ingested}


def add_readers(db: Database, first: int, readers: int, library_size: int, before: date) -> None:
    """Readers first+1..readers with a library each: library_size random papers of one
    primary category listed before `before` (categories weighted by their papers)."""
    if first >= readers:
        return
    rng = random.Random(SEED + first)
    by_category = _papers_by_category(db, before, library_size)
    categories = list(by_category)
    weights = [len(by_category[c]) for c in categories]
    now = datetime.now(UTC)
    user_rows = [
        {"id": n, "username": f"r{n}", "username_key": f"r{n}", "email": f"r{n}@example.org",
         "email_key": f"r{n}@example.org", "password_hash": "-", "created_at": now}
        for n in range(first + 1, readers + 1)
    ]  # fmt: skip
    library_rows: list[dict[str, Any]] = []
    for user in user_rows:
        category = rng.choices(categories, weights)[0]
        for key in rng.sample(by_category[category], library_size):
            library_rows.append(
                {"user_id": user["id"], "paper_id": key, "source": "saved", "added_at": now}
            )
    with db.write() as connection:
        connection.execute(insert(users), user_rows)
        connection.execute(insert(library_items), library_rows)


def _papers_by_category(db: Database, before: date, at_least: int) -> dict[str, list[int]]:
    query = select(papers.c.id, papers.c.primary_category).where(papers.c.listing_day < before)
    found: dict[str, list[int]] = defaultdict(list)
    with db.engine.connect() as connection:
        for key, category in connection.execute(query):
            found[category or "?"].append(int(key))
    return {c: keys for c, keys in found.items() if len(keys) >= at_least}


def time_feeds(db: Database, settings: Settings, readers: int, requests: int) -> list[float]:
    """Milliseconds of personal_feed for `requests` random readers (after one warm-up)."""
    searcher, pools = searcher_for(db, settings), FeedPools()
    personal_feed(db, searcher, pools, 1, limit=PAGE_SIZE, offset=0)  # loads the index
    rng = random.Random(SEED + 1)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        reader = rng.randint(1, readers)
        feed = personal_feed(db, searcher, pools, reader, limit=PAGE_SIZE, offset=0)
        timings.append((time.perf_counter() - started) * 1000)
        assert feed.entries, "a reader with a library has a feed"
    return timings


def time_digest_pass(db: Database, settings: Settings, readers: int, period: date) -> float:
    """Seconds to compose every reader's "for-you" digest in one Composer (one pass)."""
    composer = Composer(db, settings)
    preferences = Preferences(size=DIGEST_SIZE, content="for-you")
    subscriptions = [
        Subscription(user_id, f"r{user_id}@example.org", "active", preferences, None, None, user_id)
        for user_id in range(1, readers + 1)
    ]
    started = time.perf_counter()
    # In claimed batches, as the sender composes them (digest/send.py).
    for start in range(0, len(subscriptions), CLAIM_BATCH):
        batch = subscriptions[start : start + CLAIM_BATCH]
        composer.prepare(batch)
        for subscription in batch:
            digest = composer.compose(subscription, period, History())
            assert len(digest.items) == DIGEST_SIZE
    return time.perf_counter() - started


def report(results: dict[str, Any]) -> None:
    feed, digest = results["feed_ms"], results["digest"]
    print(f"papers {results['papers']:,}, readers {results['readers']:,} (SYNTHETIC libraries)")
    print(f"{'measure':<38} {'value':>10}  target")
    print("-" * 60)
    verdict = "PASS" if feed["p50"] <= TARGET_FEED_P50_MS else "FAIL"
    target = f"<= {TARGET_FEED_P50_MS:g}: {verdict}"
    print(f"{'feed page of 50, p50 ms':<38} {feed['p50']:>10.1f}  {target}")
    print(f"{'feed page of 50, p95 ms':<38} {feed['p95']:>10.1f}")
    verdict = "PASS" if digest["seconds"] <= TARGET_DIGEST_S else "FAIL"
    label = f"{digest['readers']:,} readers' digest feeds, s"
    print(f"{label:<38} {digest['seconds']:>10.1f}  <= {TARGET_DIGEST_S:g}: {verdict}")
    print(f"{'  per reader, ms':<38} {digest['per_reader_ms']:>10.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = [args.papers_dir / name for name in LISTING_FILES]
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"skipped: shared data file {missing[0]} is missing")
        return 0
    with tempfile.TemporaryDirectory(prefix="paperwire-feed-") as scratch:
        settings = Settings(data_dir=args.data_dir or Path(scratch), load_demo=False)
        db = Database.open(settings.effective_database_url())
        db.upgrade()
        built = prepare(db, files, args)
        count, last = count_papers(db), latest_listing_day(db)
        assert last is not None
        timings = sorted(time_feeds(db, settings, args.readers, args.requests))
        seconds = time_digest_pass(db, settings, args.readers, last)
        db.close()
    results: dict[str, Any] = {
        "benchmark": "feed",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "papers": count,
        "readers": args.readers,
        "library_size": args.library_size,
        "build": built,
        "feed_ms": {
            "p50": statistics.median(timings),
            "p95": timings[int(0.95 * (len(timings) - 1))],
            "requests": len(timings),
            "target_p50": TARGET_FEED_P50_MS,
        },
        "digest": {
            "readers": args.readers,
            "seconds": seconds,
            "per_reader_ms": seconds * 1000 / args.readers,
            "target_s": TARGET_DIGEST_S,
        },
    }
    report(results)
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
