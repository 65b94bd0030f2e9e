"""Papers with code over real HTTP: the code tab, ★ on lists, the "with code" filter, the
empty state, pagination, feeds and the API's GitHub fields."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from code_factories import link_code, link_repository
from live_server import LATEST_DAY, Site, serving
from sqlalchemy import select

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.schema import paper_links, papers
from paperwire.web.app import create_app

NOW = datetime.now(UTC)
BUSY_DAY = date(2024, 1, 2)  # 24 fixture papers; 12 get code, over two pages of 10
TOP = "2606.20001"
OLD = "2401.00974"  # an older fixture paper whose code is the most starred lately


@pytest.fixture(scope="module", autouse=True)
def code(site: Site) -> list[str]:
    """Links for the module's site: the ids of BUSY_DAY's papers that have code."""
    history = {LATEST_DAY - timedelta(days=7): 1_178, LATEST_DAY: 1_234}
    link_repository(
        site.db,
        TOP,
        "lab/top",
        history=history,
        trend_score=40.0,
        scored_at=NOW,
        stars_gained_week=56,
    )
    link_code(
        site.db,
        TOP,
        "https://github.com/lab/top",
        project_url="https://top.example.org/",
        repository_id=_repository(site, "lab/top"),
    )
    link_repository(
        site.db,
        OLD,
        "old/classic",
        history={LATEST_DAY: 9_000},
        trend_score=90.0,
        scored_at=NOW,
        stars_gained_week=120,
    )
    link_code(site.db, "2606.20002", None, project_url='https://x.example/"><b>')
    busy = _ids_of(site, BUSY_DAY)[:12]
    gitlab = [arxiv_id for arxiv_id in busy if arxiv_id != OLD]
    # A stored link that is no web link (links are reader-editable) is shown as text only.
    link_code(site.db, gitlab[0], "javascript:alert(1)")
    for n, arxiv_id in enumerate(gitlab[1:]):
        link_code(site.db, arxiv_id, f"https://gitlab.com/group/project{n}")
    return busy


def _repository(site: Site, path: str) -> int:
    from paperwire.storage.schema import repositories

    with site.db.engine.connect() as connection:
        return int(connection.scalar(select(repositories.c.id).where(repositories.c.path == path)))


def _ids_of(site: Site, day: date) -> list[str]:
    query = select(papers.c.arxiv_id).where(papers.c.listing_day == day).order_by(papers.c.arxiv_id)
    with site.db.engine.connect() as connection:
        return list(connection.scalars(query))


def _listed(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/papers/([^"]+)">', html)


def test_code_tab_ranks_papers_of_any_age_by_recent_stars(site: Site) -> None:
    page = site.get("/papers/trending/code")
    assert page.status_code == 200
    assert _listed(page.text) == [OLD, TOP]
    assert "+56 stars this week · 1,234 ★" in page.text
    assert "+120 stars this week · 9,000 ★" in page.text
    assert '<a href="/papers/trending/code" aria-current="page">Code</a>' in page.text
    assert 'href="/about/trending#code"' in page.text


def test_upvote_trending_links_to_the_code_tab(site: Site) -> None:
    page = site.get("/papers/trending")
    assert '<a href="/papers/trending" aria-current="page">Upvotes</a>' in page.text
    assert '<a href="/papers/trending/code" >Code</a>' in page.text


def test_lists_show_code_links_and_stars(site: Site) -> None:
    page = site.get(f"/papers/date/{LATEST_DAY}").text
    link = '<a class="code-link" href="https://github.com/lab/top" rel="noopener nofollow ugc">'
    assert link + "Code</a>" in page
    assert "★ 1,234 · +56 this week" in page
    assert 'href="https://top.example.org/" rel="noopener nofollow ugc">Project page</a>' in page


def test_links_that_are_not_web_links_never_become_hrefs(site: Site) -> None:
    assert "javascript:" not in site.get(f"/papers/date/{BUSY_DAY}").text
    page = site.get(f"/papers/date/{LATEST_DAY}").text
    assert 'href="https://x.example/&#34;&gt;&lt;b&gt;" rel="noopener nofollow ugc"' in page


def _every_page(site: Site, path: str) -> list[str]:
    sep = "&" if "?" in path else "?"
    shown: list[str] = []
    for number in range(1, 5):
        response = site.get(f"{path}{sep}page={number}")
        if response.status_code == 404:
            break
        shown += _listed(response.text)
    return shown


def _with_code(site: Site, day: date) -> set[str]:
    """The papers of day with a code link: ours, and any the ingest found in abstracts."""
    query = (
        select(papers.c.arxiv_id)
        .join(paper_links, paper_links.c.paper_id == papers.c.id)
        .where(papers.c.listing_day == day, paper_links.c.code_url.is_not(None))
    )
    with site.db.engine.connect() as connection:
        return set(connection.scalars(query))


def test_with_code_filter_narrows_a_day_and_keeps_its_order(site: Site, code: list[str]) -> None:
    every = _every_page(site, f"/papers/date/{BUSY_DAY}")
    shown = _every_page(site, f"/papers/date/{BUSY_DAY}?code=1")
    first = site.get(f"/papers/date/{BUSY_DAY}?code=1")
    with_code = _with_code(site, BUSY_DAY)
    assert set(code) <= with_code
    assert shown == [arxiv_id for arxiv_id in every if arxiv_id in with_code]
    assert len(shown) == len(with_code) > 10
    assert f"{len(with_code)} papers with code, most upvoted first" in first.text
    assert f'href="/papers/date/{BUSY_DAY}?code=1&amp;page=2"' in first.text
    assert f'<a class="code-toggle on" href="/papers/date/{BUSY_DAY}"' in first.text
    assert (
        f'<a class="code-toggle" href="/papers/date/{BUSY_DAY}?code=1"'
        in site.get(f"/papers/date/{BUSY_DAY}").text
    )


def test_with_code_filter_on_trending_and_sorted_lists(site: Site) -> None:
    trending = site.get("/papers/trending?code=1")
    assert _listed(trending.text) == [TOP]
    assert _listed(site.get(f"/papers/date/{LATEST_DAY}?sort=trending&code=1").text) == [TOP]
    assert (
        f'href="/papers/date/{LATEST_DAY}?sort=trending&amp;code=1"'
        in site.get(f"/papers/date/{LATEST_DAY}?code=1").text
    )
    assert _listed(site.get("/?code=1").text) == [TOP]


def test_a_page_past_the_code_list_is_404(site: Site) -> None:
    assert site.get("/papers/trending/code?page=2").status_code == 404


def test_code_trending_feeds_follow_the_tab(site: Site) -> None:
    for fmt in ("rss", "atom"):
        response = site.get(f"/papers/trending/code.{fmt}")
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert [entry.link.rsplit("/", 1)[1] for entry in feed.entries] == [OLD, TOP]
        assert "github.com/old/classic" in feed.entries[0].summary
        assert "★ 9,000, +120 this week" in feed.entries[0].summary
    assert 'href="http://' in site.get("/papers/trending/code").text  # autodiscovery links


def test_day_feeds_carry_code_links_but_never_a_script_url(site: Site) -> None:
    body = site.get(f"/papers/date/{LATEST_DAY}.rss").text
    assert 'Code: &lt;a href="https://github.com/lab/top"&gt;' in body
    assert "javascript" not in site.get(f"/papers/date/{BUSY_DAY}.rss").text


def test_api_fills_github_fields(site: Site) -> None:
    top = httpx.get(f"{site.url}/api/papers/{TOP}").json()
    assert top["githubRepo"] == "https://github.com/lab/top"
    assert top["githubStars"] == 1234
    assert top["projectPage"] == "https://top.example.org/"
    gitlab = httpx.get(f"{site.url}/api/papers/{_gitlab(site, 1)}").json()
    assert gitlab["githubRepo"] is None and gitlab["githubStars"] is None
    assert gitlab["codeUrl"].startswith("https://gitlab.com/")
    hostile = httpx.get(f"{site.url}/api/papers/{_gitlab(site, 0)}").json()
    assert hostile["codeUrl"] is None and hostile["githubRepo"] is None


def _gitlab(site: Site, n: int) -> str:
    return [i for i in _ids_of(site, BUSY_DAY)[:12] if i != OLD][n]


def test_api_code_trending_and_with_code_lists(site: Site) -> None:
    items = httpx.get(f"{site.url}/api/papers/trending/code").json()
    assert [item["paper"]["id"] for item in items] == [OLD, TOP]
    assert items[0]["githubStarsThisWeek"] == 120 and items[0]["trendScore"] > 89
    assert items[0]["paper"]["githubStars"] == 9000
    assert httpx.get(f"{site.url}/api/papers/trending/code", params={"p": 1}).json() == []
    day = httpx.get(
        f"{site.url}/api/daily_papers", params={"date": str(LATEST_DAY), "code": "true"}
    ).json()
    assert [item["paper"]["id"] for item in day] == [TOP]
    search = httpx.get(f"{site.url}/api/daily_papers", params={"date": str(LATEST_DAY)}).json()
    assert search[0]["paper"]["githubRepo"] == "https://github.com/lab/top"


def test_about_trending_gives_the_code_formula(site: Site) -> None:
    page = site.get("/about/trending").text
    assert 'id="code"' in page and "gain<sub>d</sub>" in page and "72.0 hours" in page


def test_an_instance_without_counted_stars_says_why_its_code_tab_is_empty(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    db.upgrade()
    with serving(create_app(Settings(data_dir=tmp_path), db)) as url:
        page = httpx.get(f"{url}/papers/trending/code")
        api = httpx.get(f"{url}/api/papers/trending/code")
    db.close()
    assert page.status_code == 200 and "paperwire code refresh" in page.text
    assert api.json() == []


def test_a_new_star_count_shows_on_cached_pages_at_once(site: Site) -> None:
    before = site.get("/papers/trending/code").text
    assert "2606.20003" not in _listed(before)
    link_repository(
        site.db,
        "2606.20003",
        "fresh/repo",
        history={LATEST_DAY: 5},
        trend_score=500.0,
        scored_at=NOW,
        stars_gained_week=5,
    )
    assert _listed(site.get("/papers/trending/code").text)[0] == "2606.20003"
    assert "★ 5 · +5 this week" in site.get("/papers/date/2026-06-12").text
