"""Absolute links come from PAPERWIRE_BASE_URL, or from a Host header this site answers to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from factories import make_paper
from live_server import serving

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app

FORGED = {"Host": "evil.example"}
LINKED = [
    "/feeds/daily.rss",
    "/papers/trending.atom",
    "/",
    "/papers/2404.00001",
    "/api/papers?limit=1",
]


@contextmanager
def _site(db: Database, tmp_path: Path, **configured: Any) -> Iterator[httpx.Client]:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2404.00001", listing_day=date(2024, 4, 8), imported_upvotes=2),
            make_paper(arxiv_id="2404.00002", listing_day=date(2024, 4, 8), imported_upvotes=1),
        ],
    )
    settings = Settings(data_dir=tmp_path, **configured)
    with serving(create_app(settings, db)) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def test_without_a_base_url_a_forged_host_is_refused(db: Database, tmp_path: Path) -> None:
    with _site(db, tmp_path) as client:
        page = client.get("/feeds/daily.rss", headers=FORGED)
        assert page.status_code == 400 and "text/html" in page.headers["content-type"]
        assert "PAPERWIRE_BASE_URL" in page.text
        api = client.get("/api/papers", headers=FORGED)
        assert api.status_code == 400 and api.json()["status"] == 400
        assert client.head("/", headers=FORGED).status_code == 400


def test_without_a_base_url_links_follow_a_loopback_host(db: Database, tmp_path: Path) -> None:
    with _site(db, tmp_path) as client:
        port = client.base_url.port
        feed = client.get("/feeds/daily.rss", headers={"Host": f"localhost:{port}"})
        assert feed.status_code == 200 and f"http://localhost:{port}/papers/2404." in feed.text


def test_allowed_hosts_are_answered_under_their_name(db: Database, tmp_path: Path) -> None:
    with _site(db, tmp_path, allowed_hosts="papers.example.org, mirror.example.org") as client:
        feed = client.get("/feeds/daily.rss", headers={"Host": "mirror.example.org"})
        assert feed.status_code == 200 and "http://mirror.example.org/papers/" in feed.text
        assert client.get("/", headers=FORGED).status_code == 400


def test_with_a_base_url_every_absolute_link_uses_it(db: Database, tmp_path: Path) -> None:
    with _site(db, tmp_path, base_url="https://papers.example.org") as client:
        for path in LINKED:
            response = client.get(path, headers=FORGED)
            assert response.status_code == 200, path
            assert "evil.example" not in response.text + str(response.headers), path
        feed = client.get("/feeds/daily.rss", headers=FORGED).text
        assert "https://papers.example.org/papers/2404.00001" in feed
        page = client.get("/", headers=FORGED).text
        assert 'rel="canonical" href="https://papers.example.org/papers/date/2024-04-08"' in page
        link = client.get("/api/papers?limit=1", headers=FORGED).headers["link"]
        assert link.startswith("<https://papers.example.org/api/papers?limit=1&cursor=")
