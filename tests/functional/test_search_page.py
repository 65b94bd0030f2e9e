"""The search page and the search box on every page."""

from __future__ import annotations

from pathlib import Path

import httpx
from factories import make_paper
from live_server import LATEST_DAY, Site, serving

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app


def test_search_box_is_on_every_page(site: Site) -> None:
    for path in ("/", f"/papers/date/{LATEST_DAY}", "/papers/trending", "/papers/2401.00974"):
        html = site.get(path).text
        assert '<form class="search" action="/search" method="get" role="search">' in html


def test_results_are_highlighted_and_link_to_papers(site: Site) -> None:
    html = site.get("/search?q=generative+fraud+detection").text
    assert 'href="/papers/2401.00974"' in html
    assert "<mark>" in html
    assert 'value="generative fraud detection"' in html  # the box keeps the query


def test_query_is_escaped_wherever_it_is_echoed(site: Site) -> None:
    html = site.get('/search?q="><script>alert(1)</script>').text
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


def test_no_match_says_what_to_try(site: Site) -> None:
    html = site.get("/search?q=zzyzx+qqqq&mode=keyword").text
    assert "No paper matches" in html and 'class="paper"' not in html
    by_meaning = site.get("/search?q=zzyzx+qqqq").text  # hybrid: says what it shows
    assert "No paper contains these words" in by_meaning


def test_empty_query_shows_the_form_and_bad_ones_are_explained(site: Site) -> None:
    empty = site.get("/search")
    assert empty.status_code == 200 and "exact phrases" in empty.text
    assert site.get("/search?q=" + "x" * 501).status_code == 400
    no_words = site.get("/search?q=%21%21%21")  # finds nothing, and says why
    assert no_words.status_code == 200 and "no words to search for" in no_words.text


def test_results_are_paginated(site: Site) -> None:
    first = site.get("/search?q=model").text  # page size is 10 on the test site
    assert first.count('class="paper"') == 10 and 'rel="next"' in first
    second = site.get("/search?q=model&page=2").text
    assert 'start="11"' in second


def test_search_by_meaning_finds_a_paper_described_in_other_words(site: Site) -> None:
    html = site.get("/search?q=spotting+financial+scams+with+synthetic+data&mode=semantic").text
    assert 'href="/papers/2401.00974"' in html
    assert 'value="semantic" checked' in html


def test_filters_narrow_results_and_survive_paging(site: Site) -> None:
    html = site.get("/search?q=model&category=cs.CV&from=2024-01-01").text
    assert 'class="paper"' in html
    assert "category=cs.CV" in html and "from=2024-01-01" in html  # kept in the pager
    assert 'class="category primary">cs.AI' not in html or "cs.CV" in html
    nothing = site.get("/search?q=model&from=2031-01-01").text
    assert 'class="paper"' not in nothing


def test_impossible_filters_are_400(site: Site) -> None:
    assert site.get("/search?q=model&from=2024-02-01&to=2024-01-01").status_code == 400
    assert site.get("/search?q=model&category=<b>").status_code == 400
    assert site.get("/search?q=model&mode=psychic").status_code == 400


def test_paper_page_lists_similar_papers(site: Site) -> None:
    html = site.get("/papers/2401.01388").text  # WiFi activity recognition
    section = html[html.index('id="similar-heading"') :]
    assert 'href="/papers/2401.00964"' in section  # the other WiFi activity paper
    assert 'href="/papers/2401.01388"' not in section


def test_searches_stop_at_a_thousand_results(site: Site) -> None:
    too_deep = site.get("/search?q=model&page=101")  # 10 a page on the test site
    assert too_deep.status_code == 404 and "1,000" in too_deep.text
    api = site.get("/api/papers/search?q=model&limit=50&p=20")
    assert api.status_code == 404 and "1,000" in api.json()["error"]
    assert site.get("/api/papers/search?q=model&limit=60&p=16").status_code == 200  # 960-1000


def test_searches_from_one_address_are_rate_limited(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'paperwire.sqlite3'}")
    db.upgrade()
    upsert_papers(db, [make_paper(title="Rate limits for search")])
    settings = Settings(data_dir=tmp_path / "data", search_limit_per_minute=2)
    with serving(create_app(settings, db)) as url:
        answers = [httpx.get(f"{url}/search?q=rate", timeout=10) for _ in range(3)]
        feed = httpx.get(f"{url}/feeds/search.rss?q=rate", timeout=10)
    db.close()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] and feed.status_code == 429
