"""Benchmark a flood of wrong-password log-ins: the server's memory and its answers.

Run from the repository root:

    .venv/bin/python bench/run_login_flood.py [--flood 40] [--out bench/results/login_flood.json]

It starts the real `paperwire serve` (one worker, a fresh SQLite database, default rate
limits) with one account, alice, then fires --flood log-ins with wrong passwords all at
once, each from its own loopback address (127.0.0.10 onwards) so that the per-address
limit never applies, twice:

- "many names": every request names another (unknown) account, the worst case for
  memory: only the per-process hashing budget stands between the flood and argon2's
  64 MiB per hash;
- "one account": every request names alice, so the per-account limit applies as well.

For each it samples the server's resident memory (VmRSS in /proc, every 5 ms) before,
during and after the flood, and counts the answers by status (400 wrong password, 429 too
many attempts, 503 too busy hashing). Figures are printed as a table and written as JSON.
Linux only (it reads /proc). It needs no shared data and takes a few seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from benchlib import REPO_ROOT, machine_info, write_json
from run_pages import free_port, stop, wait_until_healthy

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "login_flood.json"
ACCOUNT, PASSWORD = "alice", "the real password of alice"
FIRST_HOST = 10  # 127.0.0.10 onwards
SAMPLE_EVERY_S = 0.005
SETTLE_S = 0.5
_CSRF_MARK = 'name="csrf" value="'


@dataclass(frozen=True)
class FloodRun:
    scenario: str
    requests: int
    statuses: dict[str, int]
    rss_before_mb: float
    rss_peak_mb: float
    rss_after_mb: float
    seconds: float


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=40, help="concurrent log-ins (40)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    return parser.parse_args(argv)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class PeakSampler:
    """Sample a process's resident memory in a thread; the highest value seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))


def create_account(data_dir: Path) -> None:
    """`paperwire db upgrade` and `paperwire users create alice`, as an operator would."""
    env = os.environ | {"PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_LOG_LEVEL": "WARNING"}
    paperwire = str(Path(sys.executable).parent / "paperwire")
    subprocess.run([paperwire, "db", "upgrade"], env=env, check=True, capture_output=True)
    create = [paperwire, "users", "create", ACCOUNT, "--email", "alice@example.org"]
    subprocess.run([*create, "--password", PASSWORD], env=env, check=True, capture_output=True)


def clients_with_tokens(base_url: str, count: int) -> list[tuple[httpx.Client, str]]:
    """count clients, each from its own loopback address, with its session's CSRF token."""
    prepared = []
    for n in range(count):
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{FIRST_HOST + n}")
        client = httpx.Client(base_url=base_url, transport=transport, timeout=120)
        page = client.get("/login").text
        prepared.append((client, page.split(_CSRF_MARK, 1)[1].split('"', 1)[0]))
    return prepared


def all_at_once(calls: Sequence[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def flood(base_url: str, pid: int, scenario: str, logins: list[str]) -> FloodRun:
    prepared = clients_with_tokens(base_url, len(logins))
    calls = [
        partial(_bad_login, client, token, name)
        for (client, token), name in zip(prepared, logins, strict=True)
    ]
    before = rss_mb(pid)
    started = time.perf_counter()
    with PeakSampler(pid) as sampler:
        responses = all_at_once(calls)
        seconds = time.perf_counter() - started
        time.sleep(SETTLE_S)
    for client, _token in prepared:
        client.close()
    statuses = Counter(str(response.status_code) for response in responses)
    after = rss_mb(pid)
    counts = dict(sorted(statuses.items()))
    return FloodRun(scenario, len(logins), counts, before, sampler.peak_mb, after, seconds)


def _bad_login(client: httpx.Client, token: str, name: str) -> httpx.Response:
    form = {"csrf": token, "login": name, "password": "a wrong password"}
    return client.post("/login", data=form)


@contextmanager
def serving(data_dir: Path) -> Iterator[tuple[str, int]]:
    """`paperwire serve` with one worker (which serves in its own process): URL and pid."""
    port = free_port()
    env = os.environ | {
        "PAPERWIRE_DATA_DIR": str(data_dir),
        "PAPERWIRE_LOAD_DEMO": "false",
        "PAPERWIRE_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "paperwire"), "serve", "--port", str(port)]
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(process, base_url, log_path)
            yield base_url, process.pid
        finally:
            stop(process)


def print_table(runs: list[FloodRun]) -> None:
    header = (
        f"{'scenario':<13} {'requests':>8} {'answers':<22} {'RSS before':>11} "
        f"{'RSS peak':>9} {'RSS after':>10} {'seconds':>8}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        answers = " ".join(f"{code}x{count}" for code, count in run.statuses.items())
        print(
            f"{run.scenario:<13} {run.requests:>8} {answers:<22} {run.rss_before_mb:>8.0f} MB "
            f"{run.rss_peak_mb:>6.0f} MB {run.rss_after_mb:>7.0f} MB {run.seconds:>8.2f}"
        )
    print("answers: 400 wrong password, 429 too many attempts, 503 too busy hashing")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs: list[FloodRun] = []
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-login-") as tmp:
        data_dir = Path(tmp)
        create_account(data_dir)
        with serving(data_dir) as (base_url, pid):
            httpx.get(f"{base_url}/login", timeout=30)  # warm up: the first page rendered
            names = [f"nobody{n:03d}" for n in range(args.flood)]
            runs.append(flood(base_url, pid, "many names", names))
            runs.append(flood(base_url, pid, "one account", [ACCOUNT] * args.flood))
    print_table(runs)
    results: dict[str, Any] = {
        "benchmark": "login_flood",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "flood": args.flood,
        "runs": [asdict(run) for run in runs],
    }
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
