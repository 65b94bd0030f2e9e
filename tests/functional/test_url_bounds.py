"""Dates in URLs and query parameters, and dates stored far out: answers, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
from backends import backend_params, empty_database_url
from factories import make_paper
from live_server import Site, serving

from paperwire.config import Settings
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app

# Labels a fuzzer (or a hostile reader) sends: the ends of Python's calendar, days that do
# not exist, the edges of the range paperwire lists (1991-2200), and things that are no date.
LABELS = [
    "9999-12-31", "0001-01-01", "0000-00-00", "1990-12-31", "2201-01-01", "2024-02-30",
    "9999-W52", "9999-W53", "0001-W01", "0000-W00", "2023-W53", "2026-W60",
    "9999-12", "0001-01", "0000-13", "2200-12", "1991-01",
    "0", "-1", "99999-01-01", "2024-04-08T00:00", "+002024-04-08", "%00", "...", "x" * 64,
]  # fmt: skip
PAGE_ROUTES = ["/papers/{kind}/{label}", "/papers/{kind}/{label}.rss", "/papers/{kind}/{label}.bib"]
KINDS = {"date": "date", "week": "week", "month": "month"}
FAR_FUTURE = date(9999, 12, 31)
FAR_PAST = date(1, 1, 1)


def _statuses(paths: list[str], base: str) -> dict[str, int]:
    with httpx.Client(base_url=base, timeout=10) as client:
        return {path: client.get(path).status_code for path in paths}


def test_period_pages_answer_every_label_without_a_server_error(site: Site) -> None:
    paths = [
        route.format(kind=kind, label=label)
        for route in PAGE_ROUTES
        for kind in KINDS
        for label in LABELS
    ]
    statuses = _statuses(paths, site.url)
    assert {path: s for path, s in statuses.items() if s >= 500} == {}
    # A label that names no listing in the range is a missing page, with the HTML error page.
    assert {path: s for path, s in statuses.items() if s not in (200, 404)} == {}


def test_daily_papers_answers_every_label_with_404_or_422(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        answers = {
            (kind, label): client.get("/api/daily_papers", params={kind: label})
            for kind in ("date", "week", "month")
            for label in LABELS
        }
    wrong = {
        key: (r.status_code, r.text[:80])
        for key, r in answers.items()
        if r.status_code not in (200, 404, 422)
        or (r.status_code != 200 and r.json()["status"] != r.status_code)
    }
    assert wrong == {}
    assert answers[("date", "9999-12-31")].status_code == 404
    assert answers[("week", "9999-W52")].status_code == 404
    assert answers[("month", "9999-12")].status_code == 404
    assert answers[("date", "0")].status_code == 422
    assert "1991-2200" in answers[("date", "2201-01-01")].json()["error"]


def test_out_of_range_period_pages_are_404_pages_that_say_why(site: Site) -> None:
    for path in ("/papers/date/9999-12-31", "/papers/week/9999-W52", "/papers/month/9999-12"):
        response = site.get(path)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"]
        assert "1991-2200" in response.text


def test_several_periods_narrow_each_other(site: Site) -> None:
    both = httpx.get(
        f"{site.url}/api/daily_papers", params={"date": "2026-06-18", "month": "2026-06"}
    )
    assert [item["paper"]["id"] for item in both.json()][:1] == ["2606.20001"]
    apart = httpx.get(
        f"{site.url}/api/daily_papers", params={"date": "2026-06-18", "month": "2026-05"}
    )
    assert apart.status_code == 200 and apart.json() == []


@pytest.mark.parametrize("value", ["0", "1700000000", "20260618", "2026-02-30", "1970-01-01"])
def test_search_dates_are_iso_days_in_range(site: Site, value: str) -> None:
    api = httpx.get(f"{site.url}/api/papers/search", params={"q": "model", "to": value})
    assert api.status_code == 422 and api.json()["status"] == 422 and "to" in api.json()["error"]
    page = httpx.get(f"{site.url}/search", params={"q": "model", "to": value})
    # The search page stays usable: the form, with what was typed and the reason.
    assert page.status_code == 400 and 'class="search-form"' in page.text
    assert 'class="form-error"' in page.text and 'value="model"' in page.text
    assert f'name="to" value="{value}"' in page.text


def test_search_dates_in_range_filter(site: Site) -> None:
    page = httpx.get(f"{site.url}/search", params={"q": "model", "from": "", "to": "2026-06-18"})
    assert page.status_code == 200 and 'class="form-error"' not in page.text
    api = httpx.get(f"{site.url}/api/papers/search", params={"q": "model", "to": "1991-01-01"})
    assert api.status_code == 200 and api.json() == []


@pytest.fixture(scope="module", params=backend_params())
def far_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A site whose database already holds papers listed on 9999-12-31 and 0001-01-01, as
    an instance filled before dates were checked at ingest may."""
    db = Database.open(empty_database_url(request.param, tmp_path_factory.mktemp("far")))
    db.upgrade()
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2404.00001", listing_day=date(2024, 4, 8), imported_upvotes=3),
            make_paper(arxiv_id="2404.00002", listing_day=FAR_FUTURE, imported_upvotes=5),
            replace(
                make_paper(arxiv_id="2404.00003", imported_upvotes=1),
                listing_day=FAR_PAST,
                published_at=None,
            ),
        ],
    )
    embed_pending(db, load_embedder("bundled"))
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("data")), page_size=10)
    with serving(create_app(settings, db)) as url:
        yield url
    db.close()


FAR_PATHS = [
    "/",
    "/feeds/daily.rss",
    "/feeds/daily.atom",
    "/papers/trending",
    "/papers/trending.rss",
    "/papers/trending.bib",
    "/papers/date/2024-04-08",
    "/papers/week/2024-W15",
    "/papers/month/2024-04",
    "/papers/month/2024-04?sort=trending",
    "/papers/2404.00002",
    "/papers/2404.00002.bib",
    "/papers/2404.00002.md",
    "/papers/2404.00003",
    "/feeds/category/cs.AI.rss",
    "/search?q=example",
    "/api/daily_papers",
    "/api/daily_papers?sort=trending",
    "/api/daily_papers?sort=publishedAt",
    "/api/daily_papers?month=2024-04",
    "/api/papers",
    "/api/papers/2404.00002",
    "/api/papers/2404.00002/similar",
    "/api/papers/search?q=example",
]


def test_papers_stored_at_the_ends_of_the_calendar_break_no_page(far_site: str) -> None:
    statuses = _statuses(FAR_PATHS, far_site)
    assert {path: s for path, s in statuses.items() if s != 200} == {}
