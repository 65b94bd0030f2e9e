"""Benchmark the community layer: trending at 100k+ papers and 1M votes, and a vote round trip.

Run from the repository root:

    .venv/bin/python bench/run_community.py [--papers-dir ../shared/data/arxiv]
        [--votes 1000000] [--requests 300] [--out bench/results/community.json]

It ingests the shared arXiv listings and upvote snapshot (real papers, about 137,000) into
a fresh SQLite database, then adds SYNTHETIC community data: 20,000 users and --votes
votes (1,000,000 by default), skewed towards the papers of the trending window as real
votes would be, cast at random moments of the last 14 days (older papers: 60 days). The
votes go in with bulk inserts and the per-paper aggregates (`paper_stats`, `vote_buckets`)
are computed from them exactly as the vote path keeps them. It then starts the real
`paperwire serve` and measures, from keep-alive clients:

- the trending page, the busiest day and month (most upvoted first) and the busiest day
  with ?sort=trending, rendered on every request (page cache 0: as after every vote);
- the trending page as shipped (page cache on, nothing changing);
- a vote round trip: POST /vote as votes.js sends it (JSON, X-CSRF-Token) by logged-in
  users, one request at a time, toggling votes on trending papers.

Figures are printed as a table and written as JSON. Without the shared data it says why
and exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import REPO_ROOT, machine_info, write_json
from run_pages import (
    PageRun,
    PageTarget,
    busiest_day,
    first_trending_page,
    free_port,
    input_files,
    keep_alive,
    measure,
    running_server,
    summarize,
    timed_ingest,
    trending_items,
)
from sqlalchemy import insert, text

from paperwire.community.accounts import hash_password
from paperwire.config import Settings
from paperwire.ranking import listings
from paperwire.storage import Database
from paperwire.storage.papers import count_papers
from paperwire.storage.schema import paper_stats, users, vote_buckets, votes

DEFAULT_PAPERS_DIR = REPO_ROOT.parent / "shared" / "data" / "arxiv"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "community.json"
TARGET_TRENDING_P50_MS = 15.0
TARGET_VOTE_P50_MS = 20.0
SYNTHETIC_USERS = 20_000
VOTERS = 20  # users who log in over HTTP and vote during the benchmark
VOTER_PASSWORD = "benchmark voter password"
WINDOW_SHARE = 0.6  # of the synthetic votes, on papers of the trending window
RECENT_DAYS, OLDER_DAYS = 14, 60
INSERT_CHUNK = 50_000
RANDOM_SEED = 20261129
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-dir", type=Path, default=DEFAULT_PAPERS_DIR)
    parser.add_argument("--snapshot", type=Path, default=None)
    parser.add_argument("--votes", type=int, default=1_000_000, help="synthetic votes")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page")
    parser.add_argument("--concurrency", type=int, default=1, help="client threads for pages")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def add_users(db: Database) -> list[int]:
    """SYNTHETIC_USERS users that cannot log in, and VOTERS that can; all their ids."""
    now = datetime.now(UTC)
    real_hash, dummy = hash_password(VOTER_PASSWORD), "$argon2id$v=19$m=65536,t=3,p=4$x$x"
    rows = [
        {
            "username": f"user{n:05d}",
            "username_key": f"user{n:05d}",
            "email": f"user{n:05d}@example.org",
            "email_key": f"user{n:05d}@example.org",
            "password_hash": real_hash if n < VOTERS else dummy,
            "created_at": now,
        }
        for n in range(SYNTHETIC_USERS)
    ]
    with db.write() as connection:
        connection.execute(insert(users), rows)
        return list(connection.scalars(text("select id from users order by id")))


def paper_ids(db: Database, since: date | None) -> list[int]:
    query = "select id from papers where listing_day is not null"
    if since is not None:
        query += " and listing_day >= :since"
    with db.engine.connect() as connection:
        return list(connection.scalars(text(query), {"since": since}))


def vote_counts(papers: list[int], total: int, rng: random.Random) -> dict[int, int]:
    """Split `total` votes over papers with a Zipf-like skew (a few papers get many)."""
    order = papers[:]
    rng.shuffle(order)
    weights = [1.0 / (rank + 10) for rank in range(len(order))]
    drawn = Counter(rng.choices(order, weights=weights, k=total))
    return {paper: min(count, SYNTHETIC_USERS) for paper, count in drawn.items()}


def synthetic_votes(
    db: Database, user_ids: list[int], total: int, anchor: date
) -> Iterator[tuple[int, int, datetime]]:
    """(user, paper, cast_at) for about `total` votes, each user at most once per paper."""
    rng = random.Random(RANDOM_SEED)
    now = datetime.now(UTC)
    window = paper_ids(db, anchor - timedelta(days=13))
    counts = Counter(vote_counts(window, int(total * WINDOW_SHARE), rng))
    counts.update(vote_counts(paper_ids(db, None), total - counts.total(), rng))
    recent = set(window)
    for paper, count in counts.items():
        days = RECENT_DAYS if paper in recent else OLDER_DAYS
        for user in rng.sample(user_ids, min(count, len(user_ids))):
            yield user, paper, now - timedelta(seconds=rng.uniform(0, days * 86_400))


def store_votes(
    db: Database, stream: Iterator[tuple[int, int, datetime]], half_life_hours: float
) -> int:
    """Bulk-insert votes and the aggregates the vote path would have kept for them."""
    now = datetime.now(UTC)
    stats: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    buckets: Counter[tuple[int, datetime]] = Counter()
    stored = 0
    with db.write() as connection:
        for chunk in _chunks(stream, INSERT_CHUNK):
            rows = [{"user_id": u, "paper_id": p, "created_at": t} for u, p, t in chunk]
            connection.execute(insert(votes), rows)
            stored += len(rows)
            for row in rows:
                _aggregate(row, stats, buckets, now, half_life_hours)
        _store_aggregates(connection, stats, buckets, now)
    return stored


def _aggregate(
    row: dict[str, Any],
    stats: dict[int, list[float]],
    buckets: Counter[tuple[int, datetime]],
    now: datetime,
    half_life_hours: float,
) -> None:
    cast_at: datetime = row["created_at"]
    entry = stats[row["paper_id"]]
    entry[0] += 1
    entry[1] += 0.5 ** ((now - cast_at) / timedelta(hours=half_life_hours))
    buckets[(row["paper_id"], cast_at.replace(minute=0, second=0, microsecond=0))] += 1


def _store_aggregates(
    connection: Any,
    stats: dict[int, list[float]],
    buckets: Counter[tuple[int, datetime]],
    now: datetime,
) -> None:
    rows = [
        {"paper_id": p, "votes": int(v[0]), "comments": 0, "decayed": v[1], "decayed_at": now}
        for p, v in stats.items()
    ]
    for chunk in _chunks(iter(rows), INSERT_CHUNK):
        connection.execute(insert(paper_stats), chunk)
    bucket_rows = [{"paper_id": p, "hour": h, "delta": d} for (p, h), d in buckets.items()]
    for chunk in _chunks(iter(bucket_rows), INSERT_CHUNK):
        connection.execute(insert(vote_buckets), chunk)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def logged_in_voter(base_url: str, number: int) -> tuple[str, str]:
    """Log a voter in over HTTP; its session cookie and CSRF token."""
    with keep_alive(base_url) as client:
        client.request("GET", "/login")
        response = client.getresponse()
        page = response.read().decode()
        anonymous = (response.getheader("set-cookie") or "").split(";", 1)[0]
        found = _CSRF_RE.search(page)
        assert found is not None
        body = f"csrf={found.group(1)}&login=user{number:05d}&password={VOTER_PASSWORD}"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": anonymous}
        client.request("POST", "/login", body=body.replace(" ", "+"), headers=headers)
        answer = client.getresponse()
        answer.read()
        cookie = (answer.getheader("set-cookie") or "").split(";", 1)[0]
        client.request("GET", "/account", headers={"Cookie": cookie})
        account = client.getresponse().read().decode()
    token = _CSRF_RE.search(account)
    assert answer.status == 303 and token is not None, "voter log-in failed"
    return cookie, token.group(1)


def vote_round_trips(base_url: str, papers: list[str], requests: int) -> PageRun:
    """POST /vote as votes.js does, one at a time over keep-alive connections."""
    voters = [logged_in_voter(base_url, n) for n in range(VOTERS)]
    rng = random.Random(RANDOM_SEED)
    latencies: list[float] = []
    started = time.perf_counter()
    with keep_alive(base_url) as client:
        for _ in range(requests):
            cookie, token = rng.choice(voters)
            latencies.append(_post_vote(client, cookie, token, rng.choice(papers)))
    wall_s = time.perf_counter() - started
    return summarize(PageTarget("vote", ["/vote"], len(papers)), latencies, 1, wall_s)


def _post_vote(client: http.client.HTTPConnection, cookie: str, token: str, paper: str) -> float:
    headers = {
        "Cookie": cookie,
        "X-CSRF-Token": token,
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    started = time.perf_counter()
    client.request("POST", "/vote", body=f"paper={paper}", headers=headers)
    response = client.getresponse()
    response.read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"POST /vote answered {response.status}")
    return elapsed_ms


def targets(db: Database) -> list[PageTarget]:
    day, day_papers = busiest_day(db)
    month = day[:7]
    with db.engine.connect() as connection:
        month_papers = int(
            connection.scalar(
                text("select count(*) from papers where listing_day like :m"), {"m": f"{month}%"}
            )
            or 0
        )
    return [
        PageTarget("trending", ["/papers/trending"], trending_items(db, Settings())),
        PageTarget("day", [f"/papers/date/{day}"], day_papers),
        PageTarget("day sort=trending", [f"/papers/date/{day}?sort=trending"], day_papers),
        PageTarget("month", [f"/papers/month/{month}"], month_papers),
    ]


def trending_paper_ids(db: Database) -> list[str]:
    """The ids of the first 200 trending papers: what voters vote on during the benchmark."""
    found = first_trending_page(db, Settings(page_size=200))
    return [paper.arxiv_id for paper, _entry in found.entries]


def build(db: Database, files: list[Path], total_votes: int) -> dict[str, Any]:
    print(f"ingesting {len(files)} files ...", flush=True)
    ingest = timed_ingest(db, files, "first")
    anchor = listings.latest_day(db)
    assert anchor is not None
    print(f"{count_papers(db):,} papers; adding synthetic users and votes ...", flush=True)
    started = time.perf_counter()
    user_ids = add_users(db)
    stored = store_votes(db, synthetic_votes(db, user_ids, total_votes, anchor), 72.0)
    return {
        "papers": count_papers(db),
        "ingest_s": round(ingest.seconds, 1),
        "users": len(user_ids),
        "votes": stored,
        "synthetic_data_s": round(time.perf_counter() - started, 1),
    }


def measure_all(data_dir: Path, db: Database, args: argparse.Namespace) -> list[PageRun]:
    pages, papers = targets(db), trending_paper_ids(db)
    db.close()
    os.environ["PAPERWIRE_VOTE_LIMIT_PER_MINUTE"] = "0"
    os.environ["PAPERWIRE_LOGIN_LIMIT_PER_MINUTE"] = "0"
    runs = []
    with running_server(data_dir, free_port(), 1, 0) as base_url:
        print(f"uncached pages at {base_url} ...", flush=True)
        runs += [measure(base_url, t, args.requests, args.concurrency) for t in pages]
        runs[0] = _renamed(runs[0], "trending (uncached)")
    with running_server(data_dir, free_port(), 1, None) as base_url:
        print("cached trending page and vote round trips ...", flush=True)
        cached = measure(base_url, pages[0], args.requests, args.concurrency)
        runs.append(_renamed(cached, "trending (page cache)"))
        runs.append(vote_round_trips(base_url, papers, args.requests))
    return runs


def _renamed(run: PageRun, kind: str) -> PageRun:
    fields = {name: getattr(run, name) for name in PageRun.__dataclass_fields__}
    return PageRun(**(fields | {"kind": kind}))


def target_for(kind: str) -> float | None:
    if kind.startswith("trending"):
        return TARGET_TRENDING_P50_MS
    return TARGET_VOTE_P50_MS if kind == "vote" else None


def print_table(runs: list[PageRun]) -> None:
    header = (
        f"{'what':<22} {'items':>6} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8}  target"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        target = target_for(run.kind)
        verdict = (
            ""
            if target is None
            else f"p50<={target:g}: {'PASS' if run.p50_ms <= target else 'FAIL'}"
        )
        print(
            f"{run.kind:<22} {run.items:>6} {run.requests:>8} {run.p50_ms:>8.2f} "
            f"{run.p95_ms:>8.2f} {run.max_ms:>8.2f}  {verdict}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files = input_files(args.papers_dir, args.snapshot)
    if isinstance(files, str):
        print(files)
        return 0
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-community-") as tmp:
        data_dir = Path(tmp)
        db = Database.open(Settings(data_dir=data_dir).effective_database_url())
        db.upgrade()
        data = build(db, files, args.votes)
        print(data, flush=True)
        runs = measure_all(data_dir, db, args)
    print_table(runs)
    results = {
        "benchmark": "community",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": "sqlite",
        "synthetic_votes": True,
        "data": data,
        "runs": [r.as_json() | {"target_p50_ms": target_for(r.kind)} for r in runs],
    }
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
