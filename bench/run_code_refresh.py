"""Benchmark the GitHub stars refresh: 20,000 repositories against a local GitHub-like server
that advertises a rate limit, checking that the refresh never exceeds it.

Run from the repository root:

    .venv/bin/python bench/run_code_refresh.py [--repositories 20000] [--time-scale 720]
        [--out bench/results/code_refresh.json]

The server runs in its own process and answers `GET /repos/{owner}/{name}` with JSON shaped
after GitHub's documented repository example (not recorded), strong ETags and 304s, 301
renames to /repositories/{id} (1 %) and 404s (1 %). It advertises GitHub's authenticated
primary limit, 5,000 requests per window, in X-RateLimit-* headers, and answers 403 with
X-RateLimit-Remaining: 0 past it. Time is scaled so that 20,000 repositories take minutes
instead of hours: with --time-scale 180 an "hour" window lasts 20 s and paperwire's default
token budget (4,500 requests an hour) becomes 4,500 per 20 s. Two passes run through the
real `refresh_stars`, `GitHubClient` and SQLite storage: the first counts every repository
(200, renames, 404s), the second, a simulated day later, asks conditionally (304 for the
80 % whose stars did not change). A third pass (2,000 repositories) runs with no budget of
paperwire's own, so that only GitHub's headers hold it back (150 requests per 1 s window).
For each it reports requests/s, wall time, requests per window against the advertised
limit, and 403s served; and the refresher's peak memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from benchlib import REPO_ROOT, machine_info, write_json
from pydantic import SecretStr
from sqlalchemy import func, insert, select

from paperwire.code.github import TOKEN_REQUESTS_PER_HOUR, GitHubClient
from paperwire.code.refresh import RefreshReport, refresh_stars
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.schema import repositories, repository_stars

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "code_refresh.json"
GITHUB_LIMIT = 5_000  # GitHub's documented primary limit with a token, per hour
FIRST_ID = 100_000
# The third pass: a window small enough that GitHub's headers, not paperwire's budget,
# hold the refresh back (it makes ~300 requests/s unpaced on 2 cores).
HEADERS_ONLY_LIMIT = 150
HEADERS_ONLY_REPOSITORIES = 2_000


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--repositories", type=int, default=20_000)
    parser.add_argument("--time-scale", type=float, default=180.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


# -- the GitHub-like server (its own process) ----------------------------------------------


def full_name(index: int, renamed: bool = False) -> str:
    return f"lab{index // 100}/model-{index}" + ("-v2" if renamed else "")


def is_renamed(index: int) -> bool:
    return index % 100 == 0


def is_missing(index: int) -> bool:
    return index % 100 == 1


def stars_of(index: int, day: int) -> int:
    base = (index * 7919) % 5000
    return base + (index % 37 if day > 1 and index % 5 == 0 else 0)  # 20 % gain on day 2


class ReplayState:
    """What the server knows: the day (1 or 2), and its rate-limit window's counts."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.day = 1
        self.lock = threading.Lock()
        self.window_start = time.time()
        self.used = 0
        self.windows: list[int] = []  # requests served in each finished window
        self.statuses: Counter[int] = Counter()

    def count(self) -> tuple[bool, dict[str, str]]:
        """Whether this request is within the limit, and the headers to advertise."""
        with self.lock:
            now = time.time()
            if now >= self.window_start + self.window_s:
                self.windows.append(self.used)
                self.window_start, self.used = now, 0
            allowed = self.used < self.limit
            self.used += allowed
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.limit - self.used),
                "X-RateLimit-Reset": str(int(self.window_start + self.window_s + 0.999)),
                "X-RateLimit-Used": str(self.used),
                "X-RateLimit-Resource": "core",
            }
            return allowed, headers

    def reset(self, limit: int, window_s: float, day: int) -> None:
        with self.lock:
            self.limit, self.window_s, self.day = limit, window_s, day
            self.window_start, self.used = time.time(), 0
            self.windows, self.statuses = [], Counter()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "limit": self.limit,
                "window_s": self.window_s,
                "windows": [*self.windows, self.used],
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            }


def repository_body(index: int, day: int, base: str) -> bytes:
    name = full_name(index, is_renamed(index))
    owner, short = name.split("/")
    stars = stars_of(index, day)
    document = {
        "id": FIRST_ID + index,
        "node_id": f"R_kgDO{FIRST_ID + index:08d}",
        "name": short,
        "full_name": name,
        "private": False,
        "owner": {"login": owner, "id": index, "type": "Organization"},
        "html_url": f"https://github.com/{name}",
        "description": "Code for the paper.",
        "fork": False,
        "url": f"{base}/repos/{name}",
        "created_at": "2024-03-01T12:00:00Z",
        "updated_at": "2024-04-08T09:30:00Z",
        "pushed_at": "2024-04-07T18:02:11Z",
        "size": 2048,
        "stargazers_count": stars,
        "watchers_count": stars,
        "language": "Python",
        "forks_count": stars // 10,
        "open_issues_count": 4,
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
        "topics": ["deep-learning"],
        "visibility": "public",
        "default_branch": "main",
        "subscribers_count": 9,
    }
    return json.dumps(document).encode()


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    # Headers and body leave in one write: written apart, Nagle's algorithm and delayed
    # ACKs would hold each answer ~40 ms and measure the server, not the refresh.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    state: ReplayState

    def do_GET(self) -> None:
        if self.path.startswith("/__"):
            self._control()
            return
        allowed, headers = self.state.count()
        status, extra, body = self._answer() if allowed else self._spent()
        with self.state.lock:
            self.state.statuses[status] += 1
        self._send(status, headers | extra, body)

    def _answer(self) -> tuple[int, dict[str, str], bytes]:
        parts = self.path.strip("/").split("/")
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        if parts[0] == "repositories":
            return self._repository(int(parts[1]) - FIRST_ID, base)
        index = int(parts[2].split("-")[1])
        if is_missing(index):
            return 404, {}, b'{"message": "Not Found"}'
        if is_renamed(index) and not parts[2].endswith("-v2"):
            return 301, {"Location": f"{base}/repositories/{FIRST_ID + index}"}, b"{}"
        return self._repository(index, base)

    def _repository(self, index: int, base: str) -> tuple[int, dict[str, str], bytes]:
        etag = f'"{FIRST_ID + index:x}-{stars_of(index, self.state.day):x}"'
        if self.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        headers = {"ETag": etag, "Content-Type": "application/json; charset=utf-8"}
        return 200, headers, repository_body(index, self.state.day, base)

    def _spent(self) -> tuple[int, dict[str, str], bytes]:
        return 403, {}, b'{"message": "API rate limit exceeded"}'

    def _control(self) -> None:
        if self.path.startswith("/__reset/"):
            limit, window_ms, day = (int(p) for p in self.path.split("/")[2:5])
            self.state.reset(limit, window_ms / 1000, day)
        self._send(200, {}, json.dumps(self.state.stats()).encode())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def serve(port_out: Any) -> None:
    """The server process: report the port, then serve until terminated."""
    handler = type("Handler", (ReplayHandler,), {"state": ReplayState(GITHUB_LIMIT, 5.0)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port_out.send(server.server_address[1])
    server.serve_forever(poll_interval=0.05)


# -- the refresher (this process) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PassFigures:
    name: str
    requests_per_hour_budget: int
    advertised_limit: int
    window_s: float
    asked: int
    updated: int
    unchanged: int
    renamed: int
    missing: int
    failed: int
    rate_limited_waits: int
    requests: int
    wall_s: float
    requests_per_s: float
    max_requests_in_a_window: int
    forbidden_403: int

    @property
    def within_limit(self) -> bool:
        return self.max_requests_in_a_window <= self.advertised_limit and not self.forbidden_403


def fill(db: Database, count: int) -> None:
    """count GitHub repositories, all due now, as ingest would add them."""
    now = datetime.now(UTC)
    rows = [
        {
            "host": "github.com",
            "path": full_name(i),
            "path_key": full_name(i).lower(),
            "url": f"https://github.com/{full_name(i)}",
            "created_at": now,
            "next_check_at": now - timedelta(seconds=count - i),  # oldest first: by index
        }
        for i in range(count)
    ]
    with db.write() as connection:
        connection.execute(insert(repositories), rows)


def control(base: str, path: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}{path}", timeout=10)
    data: dict[str, Any] = answer.json()
    return data


def run_pass(
    db: Database,
    base: str,
    name: str,
    *,
    budget: int,
    limit: int,
    window_s: float,
    day: int,
    repositories: int | None = None,
) -> PassFigures:
    control(base, f"/__reset/{limit}/{round(window_s * 1000)}/{day}")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        github_api_url=base,
        github_token=SecretStr("bench-token"),
        github_requests_per_hour=budget,
    )
    shift = timedelta(days=day - 1, minutes=1)  # the day the pass runs on
    started = time.perf_counter()
    with GitHubClient(settings) as client:
        report = refresh_stars(
            db,
            settings,
            client,
            limit=repositories,
            clock=lambda: datetime.now(UTC) + shift,
            max_wait_seconds=60,
        )
    wall = time.perf_counter() - started
    stats = control(base, "/__stats")
    return figures(name, budget, limit, window_s, report, stats, wall)


def figures(
    name: str,
    budget: int,
    limit: int,
    window_s: float,
    report: RefreshReport,
    stats: dict[str, Any],
    wall: float,
) -> PassFigures:
    requests = sum(int(v) for v in stats["statuses"].values())
    return PassFigures(
        name=name,
        requests_per_hour_budget=budget,
        advertised_limit=limit,
        window_s=window_s,
        asked=report.asked,
        updated=report.updated,
        unchanged=report.unchanged,
        renamed=report.renamed,
        missing=report.missing,
        failed=report.failed,
        rate_limited_waits=report.rate_limited_waits,
        requests=requests,
        wall_s=round(wall, 2),
        requests_per_s=round(requests / wall, 1),
        max_requests_in_a_window=max(stats["windows"]),
        forbidden_403=int(stats["statuses"].get("403", 0)),
    )


def print_table(rows: list[PassFigures]) -> None:
    header = (
        f"{'pass':<30} {'budget/h':>10} {'limit/window':>13} {'asked':>6} {'200':>6} "
        f"{'304':>6} {'301':>4} {'404':>4} {'waits':>5} {'req':>6} {'wall s':>7} "
        f"{'req/s':>6} {'max/window':>10} {'403':>4}  ok"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.name:<30} {row.requests_per_hour_budget:>10,} "
            f"{f'{row.advertised_limit}/{row.window_s:g}s':>13} {row.asked:>6} "
            f"{row.updated:>6} {row.unchanged:>6} {row.renamed:>4} {row.missing:>4} "
            f"{row.rate_limited_waits:>5} {row.requests:>6} {row.wall_s:>7.1f} "
            f"{row.requests_per_s:>6.0f} {row.max_requests_in_a_window:>10} "
            f"{row.forbidden_403:>4}  {'PASS' if row.within_limit else 'FAIL'}"
        )


def run(args: argparse.Namespace) -> list[PassFigures]:
    hour_s = 3600 / args.time_scale
    scaled_budget = round(TOKEN_REQUESTS_PER_HOUR * args.time_scale)
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.get_context("fork").Process(target=serve, args=(send,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{receive.recv()}"
    try:
        with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as tmp:
            db = Database.open(f"sqlite:///{Path(tmp) / 'paperwire.sqlite3'}")
            db.upgrade()
            fill(db, args.repositories)
            print(f"{args.repositories:,} repositories; an 'hour' lasts {hour_s:g} s", flush=True)
            rows = [
                run_pass(db, base, "first count (200/301/404)", budget=scaled_budget,
                         limit=GITHUB_LIMIT, window_s=hour_s, day=1),
                run_pass(db, base, "next day (conditional: 304)", budget=scaled_budget,
                         limit=GITHUB_LIMIT, window_s=hour_s, day=2),
                run_pass(db, base, "no own budget, headers only", budget=10_000_000,
                         limit=HEADERS_ONLY_LIMIT, window_s=1.0, day=3,
                         repositories=HEADERS_ONLY_REPOSITORIES),
            ]  # fmt: skip
            check_storage(db, args.repositories)
            db.close()
    finally:
        server.terminate()
        server.join()
    return rows


def check_storage(db: Database, count: int) -> None:
    """Every repository has its daily counts: the pass recorded what it was told."""
    with db.engine.connect() as connection:
        days = connection.scalar(select(func.count()).select_from(repository_stars))
        left = connection.scalar(select(func.count()).select_from(repositories))
    missing = sum(is_missing(i) for i in range(count))
    print(f"stored {days:,} daily counts for {left:,} repositories ({missing} missing)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.repositories < 100 or args.time_scale <= 0:
        print("--repositories must be at least 100 and --time-scale positive", file=sys.stderr)
        return 2
    rows = run(args)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print_table(rows)
    print(f"refresher peak memory (max RSS): {peak_mb:.0f} MB")
    write_json(
        args.out,
        {
            "benchmark": "code_refresh",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "database": "sqlite",
            "repositories": args.repositories,
            "time_scale": args.time_scale,
            "passes": [asdict(row) | {"within_limit": row.within_limit} for row in rows],
            "peak_rss_mb": round(peak_mb),
        },
    )
    print(f"wrote {args.out}")
    return 0 if all(row.within_limit for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
