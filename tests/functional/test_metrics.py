"""/metrics in Prometheus's format: request latency by route template (never by raw
path), the papers and background work read at each scrape, and the optional token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import Site, serving
from prometheus_client.parser import text_string_to_metric_families

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import count_papers
from paperwire.web.app import create_app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str) -> float:
    name = "paperwire_http_request_duration_seconds_count"
    return sum(v for (n, labels), v in found.items() if n == name and ("route", route) in labels)


def test_requests_are_counted_by_route_template_and_papers_read_when_scraped(site: Site) -> None:
    before = samples(site.get("/metrics").text)
    for day in ("2026-06-18", "2026-06-17", "2026-06-16"):
        assert site.get(f"/papers/date/{day}").status_code == 200
    assert site.get("/no/such/page/42").status_code == 404
    assert site.get("/papers/2606.20001").status_code == 200  # loads the vector index
    response = site.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)
    day_route = "/papers/date/{label}"
    assert requests_of(after, day_route) - requests_of(before, day_route) == 3
    assert requests_of(after, "unmatched") > requests_of(before, "unmatched")
    assert "/no/such/page/42" not in response.text and "2026-06-17" not in response.text
    assert after["paperwire_papers", ()] == count_papers(site.db)
    assert after["paperwire_digest_lag_seconds", ()] == 0
    assert after["paperwire_vector_index_behind_writes", ()] == 0


@pytest.fixture
def guarded(sqlite_db: Database, tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path, metrics_token="s3cret-metrics-token")
    with serving(create_app(settings, sqlite_db)) as url:
        yield url


def test_a_metrics_token_keeps_metrics_from_everyone_else(guarded: str) -> None:
    assert httpx.get(f"{guarded}/metrics").status_code == 401
    wrong = {"Authorization": "Bearer guess"}
    assert httpx.get(f"{guarded}/metrics", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer s3cret-metrics-token"}
    assert httpx.get(f"{guarded}/metrics", headers=right).status_code == 200
