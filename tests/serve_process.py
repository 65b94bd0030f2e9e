"""`paperwire serve` as a real process on loopback, started with a clean environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from live_server import free_port

START_TIMEOUT_SECONDS = 60


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test's environment without its PAPERWIRE_ settings, plus these."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    return clean | {"PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_LOG_LEVEL": "WARNING"} | extra


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run `paperwire serve` on a fresh data dir (with env's PAPERWIRE_ settings) until the
    block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(port), *args],
        env=environment(tmp_path / "data", **env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url, process
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM first: killing a `--workers` supervisor outright would orphan its workers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"serve exited early: {output}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer in time")
