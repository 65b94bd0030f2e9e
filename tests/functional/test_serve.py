"""`paperwire serve` as a real process: first start on nothing, and a schema that is behind."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import free_port
from serve_process import environment, serving
from sqlalchemy import text

from paperwire.storage import Database


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serving(tmp_path) as running:
        yield running


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
        env=environment(data_dir),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "run `paperwire db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_workers_serve_the_same_database_and_add_up_their_metrics(
    tmp_path: Path,
) -> None:
    with serving(tmp_path, "--workers", "2") as (url, _process), httpx.Client() as client:
        answers = {client.get(f"{url}/healthz").json()["papers"] for _ in range(10)}
        assert all(client.get(f"{url}/api/daily_papers").is_success for _ in range(10))
        # Whichever worker answers a scrape counts every worker's requests.
        scrapes = [client.get(f"{url}/metrics").text for _ in range(4)]
    assert answers == {2380}
    counted = '{method="GET",route="/api/daily_papers",status="2xx"} 10.0'
    assert all(f"paperwire_http_request_duration_seconds_count{counted}" in s for s in scrapes)
    assert not (tmp_path / "data" / "metrics").exists() or not any(
        (tmp_path / "data" / "metrics").iterdir()
    )  # the workers' metric files go with the server


def test_workers_share_the_index_files_serve_builds_before_it_listens(tmp_path: Path) -> None:
    """The demo's 2,380 papers pass PAPERWIRE_INDEX_REBUILD_PAPERS=1000: serve builds the
    index files first, both workers map them, and search and similar papers come from them
    as they would without."""
    with (
        serving(tmp_path, "--workers", "2", PAPERWIRE_INDEX_REBUILD_PAPERS="1000") as (
            url,
            process,
        ),
        httpx.Client(base_url=url) as client,
    ):
        current = (tmp_path / "data" / "index" / "CURRENT").read_text().strip()
        hits = [
            client.get("/api/papers/search", params={"q": "fraud detection with generative models"})
            for _ in range(6)  # whichever worker answers
        ]
        assert all(hit.is_success and hit.json() for hit in hits)
        assert len({str(hit.json()[0]) for hit in hits}) == 1
        page = client.get(f"/papers/{hits[0].json()[0]['paper']['id']}").text
        assert 'class="similar-list"' in page
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        output = process.stdout.read() if process.stdout else ""
    assert "building the search index (2,380 papers to add" in output
    assert f"built the search index of 2,380 papers in {tmp_path / 'data' / 'index'}" in output
    assert current.startswith("gen-")


# What a web worker needs neither to start nor to search: each cost every worker's start
# a tenth of a second or more (docs/performance.md).
NOT_AT_WORKER_START = ("httpx", "tenacity", "huggingface_hub")
WORKER_START = """
import sys
from paperwire.web.asgi import app_from_environment
from paperwire.search.embedder import load_embedder
app_from_environment()
load_embedder("bundled").embed(["protein folding"])
print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
"""


def test_a_web_worker_starts_without_the_http_client_or_the_model_hub(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    db = Database.open(f"sqlite:///{tmp_path / 'data' / 'paperwire.sqlite3'}")
    db.upgrade()
    db.close()
    started = subprocess.run(
        [sys.executable, "-c", WORKER_START, *NOT_AT_WORKER_START],
        env=environment(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert started.stdout.strip() == ""
