"""A reader in a real browser saves a paper, sees the feed learn from it, sets a paper
aside, and imports a Zotero BibTeX export (no JavaScript needed for any of it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import PASSWORD, TEST_DATA
from feed_papers import MOLECULES, SAVED_MOLECULE, add_feed_papers
from personas import TODAY, community_server, confirm_path, mailbox
from playwright.sync_api import Browser, Page, expect

from paperwire.storage import Database

pytestmark = pytest.mark.browser
ZOTERO_EXPORT = TEST_DATA / "library" / "zotero-export.bib"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("library-browser")
    db = Database.open(f"sqlite:///{folder / 'paperwire.sqlite3'}")
    db.upgrade()
    add_feed_papers(db)
    with community_server(db, folder) as url:
        yield url
    db.close()


def _signed_up(browser: Browser, url: str, name: str) -> Page:
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(url + "/signup")
    page.fill("#username", name)
    page.fill("#email", f"{name}@example.org")
    page.fill("#password", PASSWORD)
    page.click("form[action='/signup'] button[type=submit]")
    page.goto(url + confirm_path(mailbox(url), f"{name}@example.org"))
    page.click("form[action='/signup/confirm'] button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text(name)
    return page


def _item(arxiv_id: str) -> str:
    """A selector for the list item of one paper."""
    return f"li.paper:has(h2 a[href='/papers/{arxiv_id}'])"


def test_save_then_the_feed_ranks_alike_papers_first_and_not_interested_removes_one(
    browser: Browser, site_url: str
) -> None:
    page = _signed_up(browser, site_url, "carol")
    page.get_by_role("link", name="For you", exact=True).click()
    expect(page.locator("main")).to_contain_text("Follow categories")
    page.goto(f"{site_url}/papers/date/{TODAY}")
    saved = _item(SAVED_MOLECULE[0])
    page.locator(f"{saved} form.library-form button").click()
    expect(page.locator(f"{saved} form.library-form button")).to_have_text("Saved")
    page.get_by_role("link", name="For you", exact=True).click()
    titles = page.locator("ol.papers li.paper h2 a")
    expect(titles.first).to_be_visible()
    first_three = [titles.nth(n).inner_text() for n in range(3)]
    assert sorted(first_three) == sorted(title for _, title, _ in MOLECULES)
    expect(page.locator("ol.papers li.paper").first.locator(".reasons")).to_contain_text(
        f"close to “{SAVED_MOLECULE[1]}”, which you saved"
    )
    top = page.locator("ol.papers li.paper").first
    top_title = top.locator("h2 a").inner_text()
    top.locator("form.not-interested-form button").click()
    page.wait_for_url("**/for-you")
    expect(page.locator("ol.papers li.paper h2 a", has_text=top_title)).to_have_count(0)
    # The day's whole list, sorted for the reader: what they set aside stays out.
    page.goto(f"{site_url}/papers/date/{TODAY}")
    page.get_by_role("link", name="Ranked for you").click()
    expect(page.locator("nav.sort a[aria-current=page]")).to_have_text("Ranked for you")
    expect(page.locator(f"{saved} form.library-form button")).to_have_text("Saved")
    expect(page.locator("ol.papers li.paper h2 a", has_text=top_title)).to_have_count(0)
    expect(page.locator("ol.papers .reasons").first).to_contain_text("which you saved")
    page.context.close()


def test_import_a_zotero_bibtex_export(browser: Browser, site_url: str) -> None:
    page = _signed_up(browser, site_url, "dave")
    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name="Import").first.click()
    page.set_input_files("#file", str(ZOTERO_EXPORT))
    page.fill("#tags", "from zotero")
    page.click("form[action='/library/import'] button[type=submit]")
    expect(page.locator(".import-report h2")).to_have_text("Imported from bibtex")
    expect(page.locator(".import-report")).to_contain_text("matched no paper here")
    page.context.close()
