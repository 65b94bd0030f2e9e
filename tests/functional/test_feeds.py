"""Every RSS and Atom feed over real HTTP: content, order, escaping, errors, autodiscovery."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import httpx
import pytest
from live_server import HOSTILE_TITLE, LATEST_DAY, Site

FORMATS = ("rss", "atom")
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}
TOP_OF_LATEST_DAY = "Most upvoted paper of the latest day"
OLDER_UPVOTED = "Older but much upvoted"
FEED_PATHS = [
    ("/feeds/daily", ""),
    (f"/papers/date/{LATEST_DAY}", ""),
    ("/papers/date/2026-06-20", ""),  # a day without papers: an empty feed
    ("/papers/week/2026-W25", ""),
    ("/papers/month/2025-03", "?page=2"),
    ("/papers/trending", ""),
    ("/feeds/category/cs.CV", ""),
    ("/feeds/category/astro-ph.GA", ""),  # an arXiv category nobody here filed under
    ("/feeds/search", "?q=reconstruction"),
]


def _feed(site: Site, path: str, feed_format: str, query: str = "") -> Any:
    response = site.get(f"{path}.{feed_format}{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPES[feed_format]
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def _titles(parsed: Any) -> list[str]:
    return [entry.title for entry in parsed.entries]


@pytest.mark.parametrize("feed_format", FORMATS)
@pytest.mark.parametrize(("path", "query"), FEED_PATHS)
def test_every_feed_is_well_formed_with_absolute_links(
    site: Site, path: str, query: str, feed_format: str
) -> None:
    parsed = _feed(site, path, feed_format, query)
    assert parsed.version == ("rss20" if feed_format == "rss" else "atom10")
    assert parsed.feed.title.startswith("paperwire: ")
    assert parsed.feed.subtitle and parsed.feed.language == "en"
    assert parsed.feed.link.startswith(site.url + "/")
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == f"{site.url}{path}.{feed_format}{query}"
    for entry in parsed.entries:
        paper_url = f"{site.url}/papers/{entry.link.rsplit('/', 1)[-1]}"
        assert entry.link == entry.id == paper_url
        assert entry.summary and entry.published and entry.tags


@pytest.mark.parametrize("feed_format", FORMATS)
def test_daily_feed_holds_the_front_page_in_its_order(site: Site, feed_format: str) -> None:
    parsed = _feed(site, "/feeds/daily", feed_format)
    assert parsed.feed.title == "paperwire: daily"
    assert parsed.feed.link == site.url + "/"
    assert _titles(parsed) == [TOP_OF_LATEST_DAY, HOSTILE_TITLE]
    assert parsed.feed.updated == (
        "Thu, 18 Jun 2026 00:00:00 -0400" if feed_format == "rss" else "2026-06-18T00:00:00-04:00"
    )
    assert _titles(_feed(site, f"/papers/date/{LATEST_DAY}", feed_format)) == _titles(parsed)


def test_day_feed_items_carry_link_authors_abstract_categories_and_day(site: Site) -> None:
    rss = _feed(site, f"/papers/date/{LATEST_DAY}", "rss")
    atom = _feed(site, f"/papers/date/{LATEST_DAY}", "atom")
    assert rss.feed.title == atom.feed.title == "paperwire: Thu, 18 Jun 2026"
    assert rss.feed.link == atom.feed.link == f"{site.url}/papers/date/{LATEST_DAY}"
    first_rss, first_atom = rss.entries[0], atom.entries[0]
    assert first_rss.link == first_atom.id == f"{site.url}/papers/2606.20001"
    raw = site.get(f"/papers/date/{LATEST_DAY}.rss").text
    assert f'<guid isPermaLink="true">{site.url}/papers/2606.20001</guid>' in raw
    assert first_rss.author == "Ada Lovelace, Alan Turing"
    assert [author.name for author in first_atom.authors] == ["Ada Lovelace", "Alan Turing"]
    assert [tag.term for tag in first_rss.tags] == [tag.term for tag in first_atom.tags]
    assert [tag.term for tag in first_atom.tags] == ["cs.AI", "cs.LG"]
    assert re.fullmatch(r"We study example \d+\.\n\nIt matters\.", first_atom.summary)
    assert re.fullmatch(r"<p>We study example \d+\.</p><p>It matters\.</p>", first_rss.summary)
    assert first_rss.published == "Thu, 18 Jun 2026 00:00:00 -0400"
    assert first_atom.published == first_atom.updated == "2026-06-18T00:00:00-04:00"


@pytest.mark.parametrize("feed_format", FORMATS)
def test_week_and_month_feeds_follow_their_pages(site: Site, feed_format: str) -> None:
    week = _feed(site, "/papers/week/2026-W25", feed_format)
    assert week.feed.title == "paperwire: Week 25, 2026 (15 Jun – 21 Jun)"
    assert week.feed.link == f"{site.url}/papers/week/2026-W25"
    assert TOP_OF_LATEST_DAY in _titles(week) and OLDER_UPVOTED not in _titles(week)
    month = _titles(_feed(site, "/papers/month/2026-06", feed_format))
    assert month.index(OLDER_UPVOTED) < month.index(TOP_OF_LATEST_DAY)
    assert len(_feed(site, "/papers/month/2025-03", feed_format).entries) == 10  # page size
    second_page = _feed(site, "/papers/month/2025-03", feed_format, "?page=2")
    assert len(second_page.entries) == 5


@pytest.mark.parametrize("feed_format", FORMATS)
def test_trending_feed_ranks_like_the_trending_page(site: Site, feed_format: str) -> None:
    parsed = _feed(site, "/papers/trending", feed_format)
    assert parsed.feed.title == "paperwire: trending"
    assert parsed.feed.link == f"{site.url}/papers/trending"
    titles = _titles(parsed)
    assert titles.index(TOP_OF_LATEST_DAY) < titles.index(OLDER_UPVOTED)
    html = site.get("/papers/trending").text
    assert html.index("Most upvoted paper of the latest day") < html.index(OLDER_UPVOTED)


@pytest.mark.parametrize("feed_format", FORMATS)
def test_hostile_text_is_escaped_and_reads_as_written(site: Site, feed_format: str) -> None:
    response = site.get(f"/papers/date/{LATEST_DAY}.{feed_format}")
    assert "<script>" not in response.text and "<img src=x" not in response.text
    assert "<b>bold</b>" not in response.text
    entry = feedparser.parse(response.content).entries[1]
    assert entry.title == HOSTILE_TITLE
    assert entry.author.startswith("Mallory <img src=x onerror=alert(1)>")
    if feed_format == "atom":
        assert entry.summary == "First paragraph with <i>tags</i>.\n\nSecond paragraph."
    else:  # an RSS description is HTML: the tags of the abstract stay text
        expected = "<p>First paragraph with &lt;i&gt;tags&lt;/i&gt;.</p><p>Second paragraph.</p>"
        assert entry.summary == expected


@pytest.mark.parametrize("feed_format", FORMATS)
def test_category_feed_holds_only_that_category_newest_first(site: Site, feed_format: str) -> None:
    parsed = _feed(site, "/feeds/category/cs.CV", feed_format)
    assert parsed.feed.title == "paperwire: cs.CV"
    assert len(parsed.entries) == 10  # the page size of the test site; 23 papers qualify
    assert all("cs.CV" in [tag.term for tag in entry.tags] for entry in parsed.entries)
    days = [entry.published_parsed[:3] for entry in parsed.entries]
    assert days == sorted(days, reverse=True)
    newest = {entry.link.rsplit("/", 1)[-1] for entry in parsed.entries[:2]}
    assert newest == {"2606.18249", "2606.18250"}  # listed 2026-06-17, the newest cs.CV day
    few = _feed(site, "/feeds/category/hep-th", feed_format)
    assert len(few.entries) == 2
    assert all("hep-th" in [tag.term for tag in entry.tags] for entry in few.entries)


@pytest.mark.parametrize("feed_format", FORMATS)
def test_search_feed_lists_the_matches(site: Site, feed_format: str) -> None:
    parsed = _feed(site, "/feeds/search", feed_format, "?q=upvoted")
    assert parsed.feed.title == "paperwire: search “upvoted”"
    assert set(_titles(parsed)) == {TOP_OF_LATEST_DAY, OLDER_UPVOTED}
    hostile = _feed(site, "/feeds/search", feed_format, "?q=%3Cscript%3E%20bold%01")
    assert hostile.feed.title == "paperwire: search “<script> bold”"  # control char dropped


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2026-02-30.rss",
        "/papers/week/2026-W60.atom",
        "/papers/month/2026-13.rss",
        "/papers/month/2025-03.atom?page=3",
        "/feeds/category/xx.YY.rss",  # well-formed, but neither arXiv's nor on any paper
        "/feeds/category/cs.cv.atom",  # codes are case-sensitive, on both databases
        "/feeds/category/%3Cscript%3E.rss",
        f"/feeds/category/cs.{'A' * 40}.atom",
        "/feeds/category/cs.AI.json",
        f"/papers/date/{LATEST_DAY}.xml",
    ],
)
def test_unknown_feeds_are_html_404_pages(site: Site, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404, path
    assert "text/html" in response.headers["content-type"]
    assert "<script>" not in response.text


def test_bad_parameters_are_client_errors(site: Site) -> None:
    assert site.get("/feeds/daily.rss?page=0").status_code == 400
    assert site.get("/papers/trending.atom?page=abc").status_code == 400
    assert site.get("/feeds/search.rss").status_code == 400
    no_words = site.get("/feeds/search.atom?q=%22%22")  # a query without words finds nothing
    assert no_words.status_code == 200 and "<entry>" not in no_words.text


def test_feeds_answer_get_only(site: Site) -> None:
    for path in ("/feeds/daily.rss", "/papers/trending.atom", f"/papers/date/{LATEST_DAY}.rss"):
        assert httpx.post(site.url + path, timeout=10).status_code == 405, path


def test_a_reader_holding_the_current_feed_gets_304(site: Site) -> None:
    first = site.get("/feeds/daily.atom")
    etag = first.headers["etag"]
    again = httpx.get(site.url + "/feeds/daily.atom", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def _alternates(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(
        r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)">', html
    )
    return {kind: (title, href) for kind, title, href in found}


@pytest.mark.parametrize(
    ("page", "feed_path", "title"),
    [
        ("/", "/feeds/daily", "paperwire: daily"),
        ("/?page=1", "/feeds/daily", "paperwire: daily"),
        ("/papers/week/2026-W25", "/papers/week/2026-W25", "paperwire: Week 25, 2026"),
        ("/papers/trending", "/papers/trending", "paperwire: trending"),
    ],
)
def test_list_pages_announce_their_feeds(site: Site, page: str, feed_path: str, title: str) -> None:
    html = site.get(page).text
    alternates = _alternates(html)
    assert alternates["application/rss+xml"][1] == f"{site.url}{feed_path}.rss"
    assert alternates["application/atom+xml"][1] == f"{site.url}{feed_path}.atom"
    assert alternates["application/rss+xml"][0].startswith(title)
    assert f'<a class="feed" href="{feed_path}.rss"' in html  # the visible link
    for _title, href in alternates.values():
        path, feed_format = href.removeprefix(site.url).rsplit(".", 1)
        _feed(site, path, feed_format)


def test_pages_without_a_list_announce_no_feed(site: Site) -> None:
    paper = site.get("/papers/2606.20001")
    missing = site.get("/papers/2401.99999")
    assert paper.status_code == 200 and missing.status_code == 404
    assert _alternates(paper.text) == {} and _alternates(missing.text) == {}
