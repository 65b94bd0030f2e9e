"""The JSON API over real HTTP: Hugging Face shapes, paging, errors, caching headers, CORS."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from factories import TEST_DATA
from live_server import LATEST_DAY, Site

RECORDED_ITEM = json.loads((TEST_DATA / "hf" / "api-daily-papers-item.json").read_text())


def get(site: Site, path: str, **params: Any) -> httpx.Response:
    return httpx.get(site.url + path, params=params, timeout=10)


def _same_shape(ours: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """Keys of the recorded object that ours lacks, or whose JSON type differs (null aside)."""
    problems = []
    for key, value in recorded.items():
        if key not in ours:
            problems.append(f"missing {key}")
        elif ours[key] is not None and type(ours[key]) is not type(value):
            problems.append(f"{key}: {type(ours[key]).__name__} != {type(value).__name__}")
    return problems


def test_daily_papers_items_have_the_recorded_shape(site: Site) -> None:
    items = get(site, "/api/daily_papers", date=str(LATEST_DAY)).json()
    assert [item["paper"]["id"] for item in items][:1] == ["2606.20001"]
    ours = items[0]
    # Fields paperwire has no data for are present with null/empty values.
    missing = {"submittedOnDailyBy", "projectPage", "githubRepo", "githubRepoAddedBy"}
    recorded_paper = {k: v for k, v in RECORDED_ITEM["paper"].items() if k not in missing}
    assert _same_shape(ours["paper"], recorded_paper) == []
    wrapper = {k: v for k, v in RECORDED_ITEM.items() if k not in {"submittedBy", "organization"}}
    assert _same_shape(ours, wrapper) == []
    assert ours["paper"]["authors"][0] == {"_id": None, "name": "Ada Lovelace", "hidden": False}
    assert ours["paper"]["upvotes"] == 40 and ours["numComments"] == 0


def test_listing_day_is_midnight_new_york_time(site: Site) -> None:
    item = get(site, "/api/daily_papers", date=str(LATEST_DAY)).json()[0]
    assert item["paper"]["submittedOnDailyAt"] == "2026-06-18T04:00:00.000Z"  # 00:00 EDT
    winter = get(site, "/api/papers/2401.00974").json()
    assert winter["submittedOnDailyAt"] == "2024-01-03T05:00:00.000Z"  # 00:00 EST
    assert winter["publishedAt"] == "2024-01-01T23:33:56.000Z"


def test_week_month_sorting_and_paging(site: Site) -> None:
    month = get(site, "/api/daily_papers", month="2025-03", limit=10).json()
    second = get(site, "/api/daily_papers", month="2025-03", limit=10, p=1).json()
    assert len(month) == 10 and len(second) == 5
    assert not {i["paper"]["id"] for i in month} & {i["paper"]["id"] for i in second}
    assert get(site, "/api/daily_papers", month="2025-03", p=7).json() == []
    week = get(site, "/api/daily_papers", week="2026-W25", sort="publishedAt").json()
    published = [item["paper"]["publishedAt"] for item in week]
    assert published == sorted(published, reverse=True)
    trending = get(site, "/api/daily_papers", month="2026-06", sort="trending").json()
    assert [i["paper"]["id"] for i in trending][:2] == ["2606.20001", "2606.20003"]


def test_default_is_the_latest_day_and_submitter_filters_everything(site: Site) -> None:
    latest = get(site, "/api/daily_papers").json()
    assert {item["paper"]["id"] for item in latest} == {"2606.20001", "2606.20002"}
    assert get(site, "/api/daily_papers", submitter="akhaliq").json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"p": -1},
        {"date": "2026-13-01"},
        {"week": "2026-W60"},
        {"sort": "upvotes"},
    ],
)
def test_bad_parameters_are_422_with_the_error_shape(site: Site, params: dict[str, Any]) -> None:
    response = get(site, "/api/daily_papers", **params)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and isinstance(body["error"], str) and body["error"]


def test_one_paper_and_unknown_paper(site: Site) -> None:
    paper = get(site, "/api/papers/hep-th/9504118").json()
    assert paper["id"] == "hep-th/9504118" and paper["categories"] == ["hep-th"]
    missing = get(site, "/api/papers/2401.99999")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no paper with the id '2401.99999'", "status": 404}
    assert missing.headers["content-type"] == "application/json"


def test_cursor_paging_walks_every_paper_once(site: Site) -> None:
    seen: list[str] = []
    url: str | None = site.url + "/api/papers?limit=10"
    while url:
        response = httpx.get(url, timeout=10)
        seen += [paper["id"] for paper in response.json()]
        url = response.links.get("next", {}).get("url")
    assert len(seen) == len(set(seen)) == 79
    days = [get(site, f"/api/papers/{i}").json()["submittedOnDailyAt"] for i in seen[:12]]
    assert days == sorted(days, reverse=True)
    assert get(site, "/api/papers", cursor="%%%").status_code == 422


def test_search_has_the_hf_search_shape(site: Site) -> None:
    hits = get(site, "/api/papers/search", q="generative fraud detection", limit=3).json()
    assert hits[0]["paper"]["id"] == "2401.00974"
    assert "<mark>" in hits[0]["highlightedTitle"]
    assert {"title", "summary", "publishedAt", "highlightedSummary"} <= set(hits[0])
    assert get(site, "/api/papers/search", q="").status_code == 422
    assert get(site, "/api/papers/search", q="x" * 501).status_code == 422
    assert get(site, "/api/papers/search", q='self-supervised "NEAR(" ^*').status_code == 200


def test_etag_and_last_modified_give_304(site: Site) -> None:
    first = get(site, "/api/papers/2401.00974")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = httpx.get(site.url + "/api/papers/2401.00974", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = httpx.get(site.url + "/api/daily_papers", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = httpx.get(site.url + "/api/papers/2401.00974", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200


def test_cors_allows_any_origin_to_read(site: Site) -> None:
    response = httpx.get(
        site.url + "/api/daily_papers", headers={"Origin": "https://example.org"}, timeout=10
    )
    assert response.headers["access-control-allow-origin"] == "*"


def test_openapi_and_docs_page(site: Site) -> None:
    spec = get(site, "/openapi.json").json()
    assert {"/api/daily_papers", "/api/papers/search", "/api/papers"} <= set(spec["paths"])
    docs = get(site, "/docs")
    assert docs.status_code == 200 and "GET /api/daily_papers" in docs.text
    assert "<script" not in docs.text


def test_search_api_modes_filters_and_pages(site: Site) -> None:
    query = "choosing which generative model makes synthetic data to train scam detectors"
    described = site.get(f"/api/papers/search?q={query}").json()
    assert described[0]["paper"]["id"] == "2401.00974"
    keyword = site.get("/api/papers/search?q=detecting+scams+using&mode=keyword").json()
    assert keyword == []
    first = site.get("/api/papers/search?q=model&limit=3").json()
    second = site.get("/api/papers/search?q=model&limit=3&p=1").json()
    assert len(first) == len(second) == 3
    assert not {i["paper"]["id"] for i in first} & {i["paper"]["id"] for i in second}
    late = site.get("/api/papers/search?q=model&from=2031-01-01").json()
    assert late == []
    bad = site.get("/api/papers/search?q=model&category=x%20y")
    assert bad.status_code == 422 and bad.json()["status"] == 422


def test_similar_papers_api(site: Site) -> None:
    similar = site.get("/api/papers/2401.01388/similar?limit=3").json()
    assert len(similar) == 3 and similar[0]["id"] == "2401.00964"
    assert 0 < similar[-1]["similarity"] <= similar[0]["similarity"] <= 1
    assert "2401.01388" not in [item["id"] for item in similar]
    missing = site.get("/api/papers/2401.99999/similar")
    assert missing.status_code == 404 and missing.json()["status"] == 404
