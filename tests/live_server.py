"""A real paperwire HTTP server on loopback, and the fixture papers functional tests serve."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import date

import httpx
import uvicorn
from factories import TEST_DATA, make_paper

from paperwire.ingest.files import ingest_files
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers

# The fixture files end on 2026-06-17; these papers make the latest day and its trending list.
LATEST_DAY = date(2026, 6, 18)
HOSTILE_TITLE = '<script>alert("x")</script> & <b>bold</b> $\\mathcal{O}(n^2)$ bounds'


@dataclass
class Site:
    url: str
    db: Database

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(db: Database) -> None:
    ingest_files(db, sorted(TEST_DATA.glob("*.json*")))
    upsert_papers(
        db,
        [
            make_paper(
                arxiv_id="2606.20001",
                listing_day=LATEST_DAY,
                imported_upvotes=40,
                title="Most upvoted paper of the latest day",
            ),
            make_paper(
                arxiv_id="2606.20002",
                listing_day=LATEST_DAY,
                imported_upvotes=2,
                title=HOSTILE_TITLE,
                authors=("Mallory <img src=x onerror=alert(1)>",),
                abstract="First paragraph with <i>tags</i>.\n\nSecond paragraph.",
            ),
            make_paper(
                arxiv_id="2606.20003",
                listing_day=date(2026, 6, 12),
                imported_upvotes=90,
                title="Older but much upvoted",
            ),
        ],
    )
    embed_pending(db, load_embedder("bundled"))  # what `paperwire ingest file` does


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


def serving(app: object) -> _ServerContext:
    return _ServerContext(app)


class _ServerContext:
    """Run uvicorn in a thread for the duration of a with-block."""

    def __init__(self, app: object) -> None:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
        )
        self.server = _Server(config)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
