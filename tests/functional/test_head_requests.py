"""HEAD answers wherever GET does: the same status and headers, and no body."""

from __future__ import annotations

import httpx
import pytest
from live_server import LATEST_DAY, Site

PATHS = [
    "/",
    f"/papers/date/{LATEST_DAY}",
    "/papers/week/2026-W25",
    "/papers/trending",
    "/papers/2606.20001",
    "/papers/2606.20001.bib",
    "/papers/2606.20001.md",
    "/feeds/daily.rss",
    "/papers/trending.atom",
    "/search?q=model",
    "/docs",
    "/openapi.json",
    "/api/daily_papers",
    "/api/papers/2606.20001",
    "/api/papers/search?q=model",
    "/papers/2401.99999",  # a 404 page
    "/api/papers/2401.99999",  # a 404 in the API's error shape
    "/static/paperwire.css",
]
VARYING = {"date", "set-cookie"}  # a fresh session cookie and the clock differ per request


@pytest.mark.parametrize("path", PATHS)
def test_head_answers_like_get_without_a_body(site: Site, path: str) -> None:
    with httpx.Client(base_url=site.url, timeout=10) as client:
        got = client.get(path)
        head = client.head(path)
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    same = {k: v for k, v in got.headers.items() if k not in VARYING}
    assert {k: v for k, v in head.headers.items() if k not in VARYING} == same


def test_head_is_refused_where_get_is(site: Site) -> None:
    assert httpx.head(f"{site.url}/logout", timeout=10).status_code == 405
