"""The Cite box in a real browser: Copy BibTeX copies the entry; without JavaScript it hides."""

from __future__ import annotations

import pytest
from live_server import Site
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser
PAPER = "/papers/2401.00974"


def test_copy_bibtex_puts_the_entry_on_the_clipboard_and_says_copied(
    browser: Browser, browser_site: Site
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(browser_site.url + PAPER)
    status = page.get_by_role("status")
    expect(status).to_have_text("")
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(status).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == browser_site.get(PAPER + ".bib").text
    assert copied.startswith("@misc{cheng2024downstream,\n")
    expect(status).to_have_text("", timeout=5000)  # the message goes after two seconds
    context.close()


def test_copy_falls_back_to_selecting_the_text_without_the_clipboard_api(
    browser: Browser, browser_site: Site
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.goto(browser_site.url + PAPER)
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    reader = context.new_page()  # a page whose navigator.clipboard is intact, to read it back
    reader.goto(browser_site.url + "/about/trending")
    copied = reader.evaluate("navigator.clipboard.readText()")
    # A selection ends at the last visible character: only the final newline is lost.
    assert copied == browser_site.get(PAPER + ".bib").text.rstrip("\n")
    context.close()


def test_without_javascript_the_button_stays_hidden_and_the_bibtex_shows(
    browser: Browser, browser_site: Site
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(browser_site.url + PAPER)
    expect(page.locator("button[data-copy-target]")).to_be_hidden()
    expect(page.locator("pre.bibtex")).to_be_visible()
    expect(page.locator("pre.bibtex")).to_contain_text("@misc{cheng2024downstream,")
    expect(page.get_by_role("link", name="Download .bib")).to_be_visible()
    context.close()


def test_cite_box_fits_a_phone_screen(browser: Browser, browser_site: Site) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(browser_site.url + "/papers/2606.20002")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
