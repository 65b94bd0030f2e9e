"""Real clients against a running paperwire: huggingface_hub, and a client over its limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
from factories import make_paper
from huggingface_hub import HfApi
from live_server import LATEST_DAY, Site, serving

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import get_paper, upsert_papers
from paperwire.web.app import create_app


@pytest.fixture
def hub(site: Site, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return HfApi(endpoint=site.url)


def test_huggingface_hub_lists_daily_papers(hub: HfApi) -> None:
    papers = list(hub.list_daily_papers(date=str(LATEST_DAY)))
    assert [paper.id for paper in papers] == ["2606.20001", "2606.20002"]
    first = papers[0]
    assert first.title == "Most upvoted paper of the latest day"
    assert first.upvotes == 40
    assert [author.name for author in first.authors or []] == ["Ada Lovelace", "Alan Turing"]
    assert first.submitted_at is not None


def test_huggingface_hub_reads_one_paper(hub: HfApi) -> None:
    paper = hub.paper_info("2401.00974")
    assert paper.id == "2401.00974"
    assert paper.title is not None and paper.title.startswith("Downstream Task-Oriented")
    assert paper.published_at is not None and paper.published_at.date() == date(2024, 1, 1)
    assert paper.summary is not None and "fraud detection" in paper.summary


def test_huggingface_hub_searches_papers(hub: HfApi) -> None:
    found = list(hub.list_papers(query="generative model selections fraud"))
    assert found and found[0].id == "2401.00974"


def test_huggingface_hub_raises_on_unknown_paper(hub: HfApi) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as caught:
        hub.paper_info("2401.99999")
    assert caught.value.response.status_code == 404


def test_clients_over_the_rate_limit_get_429_with_retry_after(db: Database, tmp_path: Path) -> None:
    # A database of its own: on PostgreSQL the limit counts every server's requests, the
    # module's other tests' included.
    upsert_papers(db, [make_paper(arxiv_id="2401.00974")])
    app = create_app(Settings(data_dir=tmp_path, api_rate_limit_per_minute=5), db)
    with serving(app) as url, httpx.Client(base_url=url) as client:
        statuses = [client.get("/api/papers/2401.00974").status_code for _ in range(6)]
        over = client.get("/api/papers/2401.00974")
        page = client.get("/")  # pages are not limited
    assert statuses == [200] * 5 + [429]
    assert over.json()["status"] == 429 and "a minute" in over.json()["error"]
    assert 1 <= int(over.headers["retry-after"]) <= 61
    assert page.status_code == 200


def test_etag_changes_when_the_paper_changes(site: Site) -> None:
    url = site.url + "/api/papers/2401.00974"
    etag = httpx.get(url).headers["etag"]
    stored = get_paper(site.db, "2401.00974")
    assert stored is not None
    upsert_papers(site.db, [replace(stored, imported_upvotes=(stored.imported_upvotes or 0) + 1)])
    response = httpx.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["etag"] != etag
