"""The contributor in a real browser: sign up, log in, upvote without reload, comment, trend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import PASSWORD
from personas import OLDER, TODAY, TOP, community_server, confirm_path, mailbox
from playwright.sync_api import Browser, Page, expect

from paperwire.storage import Database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("community-browser")
    db = Database.open(f"sqlite:///{folder / 'paperwire.sqlite3'}")
    db.upgrade()
    with community_server(db, folder) as url:
        yield url
    db.close()


def _sign_up(page: Page, url: str, name: str) -> None:
    """Sign up, then open the link from the captured e-mail and press its button."""
    page.goto(url + "/signup")
    page.fill("#username", name)
    page.fill("#email", f"{name}@example.org")
    page.fill("#password", PASSWORD)
    page.click("form[action='/signup'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your inbox")
    page.goto(url + confirm_path(mailbox(url), f"{name}@example.org"))
    page.click("form[action='/signup/confirm'] button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text(name)


def test_sign_up_log_out_and_in_again(browser: Browser, site_url: str) -> None:
    page = browser.new_context().new_page()
    _sign_up(page, site_url, "alice")
    page.click("nav.account button:has-text('Log out')")
    expect(page.locator("nav.account")).to_contain_text("Log in")
    page.goto(site_url + "/login")
    page.fill("#login", "alice")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text("alice")
    page.context.close()


def test_upvote_changes_the_count_without_reloading_the_page(
    browser: Browser, site_url: str
) -> None:
    page = browser.new_context().new_page()
    _sign_up(page, site_url, "bob")
    page.goto(f"{site_url}/papers/date/{TODAY}")
    page.evaluate("window.notReloaded = true")
    button = page.locator(f"form.vote-form:has(input[name=paper][value='{TOP}']) button")
    expect(button.locator(".count")).to_have_text("5")
    button.click()
    expect(button.locator(".count")).to_have_text("6")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.notReloaded") is True
    button.click()  # and back
    expect(button.locator(".count")).to_have_text("5")
    assert page.evaluate("window.notReloaded") is True
    page.reload()
    expect(button.locator(".count")).to_have_text("5")
    page.context.close()


def test_comment_appears_rendered_under_the_paper(browser: Browser, site_url: str) -> None:
    page = browser.new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _sign_up(page, site_url, "carol")
    page.goto(f"{site_url}/papers/{TOP}")
    page.fill("#comment-body", "A *clever* idea <script>alert(1)</script>")
    page.click("form.comment-form button[type=submit]")
    comment = page.locator("article.comment").last
    expect(comment.locator("em")).to_have_text("clever")
    expect(comment).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert dialogs == []
    page.context.close()


def test_upvotes_move_a_paper_up_the_trending_page(browser: Browser, site_url: str) -> None:
    reader = browser.new_page()
    reader.goto(site_url + "/papers/trending")
    titles = reader.locator("ol.papers li.paper h2 a")
    expect(titles.first).to_have_text("Top paper")
    for name in ("dave", "erin", "frank"):
        context = browser.new_context()
        page = context.new_page()
        _sign_up(page, site_url, name)
        page.goto(site_url + "/papers/trending")
        button = page.locator(f"form.vote-form:has(input[name=paper][value='{OLDER}']) button")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        context.close()
    reader.reload()
    expect(titles.first).to_have_text("Older")
    expect(reader.locator("ol.papers li.paper").first).to_contain_text(
        "+3 upvotes in the last 24 h"
    )
    reader.close()
