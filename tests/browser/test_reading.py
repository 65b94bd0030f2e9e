"""The morning reader in a real browser: open the front page, follow a paper, read it."""

from __future__ import annotations

import pytest
from live_server import Site
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser


def test_reader_opens_front_page_follows_a_paper_and_reads_its_abstract(
    browser: Browser, browser_site: Site
) -> None:
    page = browser.new_page()
    page.goto(browser_site.url + "/")
    expect(page.locator("h1")).to_have_text("Thu, 18 Jun 2026")
    first = page.locator("ol.papers li.paper h2 a").first
    expect(first).to_have_text("Most upvoted paper of the latest day")
    first.click()
    page.wait_for_url("**/papers/2606.20001")
    expect(page.locator("h1")).to_have_text("Most upvoted paper of the latest day")
    expect(page.locator(".abstract")).to_contain_text("We study example")
    page.close()


def test_list_is_readable_on_a_phone_without_horizontal_scrolling(
    browser: Browser, browser_site: Site
) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(browser_site.url + "/papers/month/2025-03")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()


def test_hostile_title_runs_no_script(browser: Browser, browser_site: Site) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(browser_site.url + "/papers/2606.20002")
    expect(page.locator("h1")).to_contain_text('<script>alert("x")</script>')
    assert dialogs == []
    page.close()
