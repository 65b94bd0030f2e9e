"""prefix* queries over HTTP in the default (hybrid) mode: the search page and the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from live_server import Site


def _api(site: Site, **params: Any) -> httpx.Response:
    return httpx.get(site.url + "/api/papers/search", params=params, timeout=10)


def _page(site: Site, query: str) -> httpx.Response:
    return httpx.get(site.url + "/search", params={"q": query}, timeout=10)


@pytest.mark.parametrize("query", ["transfor*", "diffus*"])
def test_a_prefix_finds_papers_by_their_words_on_the_search_page(site: Site, query: str) -> None:
    page = _page(site, query)
    assert page.status_code == 200
    assert "Papers matching" in page.text and "No paper contains these words" not in page.text
    assert (
        f"<mark>{query[0].upper()}{query[1:-1]}" in page.text or f"<mark>{query[:-1]}" in page.text
    )


@pytest.mark.parametrize("query", ["transfor*", "diffus*", "learn*"])
def test_the_api_finds_papers_holding_a_word_the_prefix_begins(site: Site, query: str) -> None:
    hits = _api(site, q=query, limit=5).json()
    marked = [(hit["highlightedTitle"] + hit["highlightedSummary"]).lower() for hit in hits]
    assert sum(f"<mark>{query[:-1]}" in text for text in marked) >= 3


def test_a_too_short_prefix_is_searched_as_a_word(site: Site) -> None:
    assert _page(site, "tr*").status_code == 200
    assert _api(site, q="tr*", mode="keyword").json() == []


@pytest.mark.parametrize("query", ["*", "_*", "** *"])
def test_a_star_without_a_word_is_answered_as_a_query_without_words(site: Site, query: str) -> None:
    page, no_words = _page(site, query), _page(site, "!!!")
    assert page.status_code == no_words.status_code < 500
    assert "no words to search for" in page.text
    api, no_words_api = _api(site, q=query), _api(site, q="!!!")
    assert (api.status_code, api.text) == (no_words_api.status_code, no_words_api.text)
    assert api.status_code < 500


def test_a_star_inside_a_word_is_ignored(site: Site) -> None:
    assert _page(site, "trans*former").status_code == 200
    assert _api(site, q="trans*former").status_code == 200
