"""`paperwire serve` as a real process: first start on nothing, and a schema that is behind."""

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
import pytest
from live_server import free_port
from sqlalchemy import text

from paperwire.storage import Database

START_TIMEOUT_SECONDS = 60


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    return clean | {"PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_LOG_LEVEL": "WARNING"} | extra


@contextmanager
def _serving(tmp_path: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run `paperwire serve` on a fresh data dir until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(port), *args],
        env=_environment(tmp_path / "data"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url, process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with _serving(tmp_path) as running:
        yield running


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
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


def test_first_start_creates_the_database_and_serves_the_demo(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = served
    assert httpx.get(f"{url}/healthz").json()["papers"] == 2380
    front = httpx.get(url + "/").text
    assert "Mon, 8 Apr 2024" in front
    assert front.count('class="paper"') == 50
    trending = httpx.get(url + "/papers/trending").text
    assert trending.count('class="paper"') == 50
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down, then re-raises SIGTERM so that a supervisor sees why it ended.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    output = process.stdout.read() if process.stdout else ""
    assert "created a new database schema" in output
    assert "loaded 2380 demo papers" in output


def test_serve_refuses_a_schema_that_is_behind(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    db = Database.open(f"sqlite:///{data_dir / 'paperwire.sqlite3'}")
    db.upgrade()
    with db.engine.begin() as connection:  # as if made by an older paperwire
        connection.execute(text("DELETE FROM alembic_version"))
    db.close()
    result = subprocess.run(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(free_port())],
        env=_environment(data_dir),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "run `paperwire db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_workers_serve_the_same_database(tmp_path: Path) -> None:
    with _serving(tmp_path, "--workers", "2") as (url, _process), httpx.Client() as client:
        answers = {client.get(f"{url}/healthz").json()["papers"] for _ in range(10)}
    assert answers == {2380}
