"""A reader in a real browser moves from upvote trending to the code tab, sees stars and
narrows the latest day to papers with code (no JavaScript needed for any of it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from code_factories import link_code, link_repository
from live_server import LATEST_DAY, Site
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser
NOW = datetime.now(UTC)


@pytest.fixture(scope="module", autouse=True)
def _code(browser_site: Site) -> None:
    link_repository(
        browser_site.db,
        "2606.20001",
        "lab/top",
        history={LATEST_DAY - timedelta(days=7): 1_178, LATEST_DAY: 1_234},
        trend_score=40.0,
        scored_at=NOW,
        stars_gained_week=56,
    )
    link_repository(
        browser_site.db,
        "2401.00974",
        "old/classic",
        history={LATEST_DAY: 9_000},
        trend_score=90.0,
        scored_at=NOW,
        stars_gained_week=120,
    )
    link_code(browser_site.db, "2606.20002", None, project_url="https://project.example.org/")


def test_reader_clicks_from_upvote_trending_to_the_code_tab(
    browser: Browser, browser_site: Site
) -> None:
    page = browser.new_page(java_script_enabled=False)
    page.goto(browser_site.url + "/papers/trending")
    page.get_by_role("link", name="Code", exact=True).first.click()
    page.wait_for_url("**/papers/trending/code")
    expect(page.locator("h1")).to_have_text("Trending by code")
    titles = page.locator("ol.papers li.paper h2 a")
    expect(titles).to_have_count(2)
    expect(page.locator("ol.papers li.paper").first).to_contain_text(
        "+120 stars this week · 9,000 ★"
    )
    code = page.locator("ol.papers li.paper").nth(1).locator("a.code-link")
    expect(code).to_have_attribute("href", "https://github.com/lab/top")
    expect(code).to_have_attribute("rel", "noopener nofollow ugc")
    page.close()


def test_reader_sees_stars_on_the_day_and_toggles_with_code(
    browser: Browser, browser_site: Site
) -> None:
    page = browser.new_page(java_script_enabled=False)
    page.goto(browser_site.url + "/")
    items = page.locator("ol.papers li.paper")
    expect(items.first.locator(".stars")).to_have_text("★ 1,234 · +56 this week")
    every = items.count()
    assert every == 2  # the second has a project page, no code
    page.get_by_role("link", name="With code only").click()
    page.wait_for_url(f"**/papers/date/{LATEST_DAY}?code=1")  # the day the front page shows
    expect(items).to_have_count(1)
    expect(items.first.locator("h2 a")).to_have_text("Most upvoted paper of the latest day")
    page.get_by_role("link", name="✓ With code only").click()
    expect(items).to_have_count(every)
    page.close()
