"""Rendering digests: escaped paper text, both parts, links and the date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from factories import make_paper

from paperwire.config import Settings
from paperwire.digest.choose import Chosen
from paperwire.digest.compose import Digest
from paperwire.digest.model import Preferences, Subscription
from paperwire.digest.render import MailRenderer

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def _digest(*titles: str) -> Digest:
    subscription = Subscription(
        7, "ada@example.org", "active", Preferences(size=3), datetime(2024, 1, 1, tzinfo=UTC), None
    )
    items = [Chosen(make_paper(title=title, imported_upvotes=1)) for title in titles]
    return Digest(subscription, date(2024, 4, 8), items, first=False)


def _renderer(tmp_path: Path) -> MailRenderer:
    return MailRenderer(Settings(_env_file=None, data_dir=tmp_path), "https://papers.example.org/")  # type: ignore[call-arg]


def test_paper_text_is_escaped_in_html_and_kept_in_text(tmp_path: Path) -> None:
    message = _renderer(tmp_path).digest_message(_digest(HOSTILE), delivery_id=3)
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()
    assert HOSTILE in text.get_content()


def test_links_are_absolute_and_signed(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path)
    digest = _digest("A paper")
    links = renderer.links(digest, delivery_id=3)
    assert links.unsubscribe.startswith("https://papers.example.org/digest/unsubscribe?token=")
    assert renderer.tokens.read_unsubscribe(links.unsubscribe.split("token=")[1]) == (
        7,
        "ada@example.org",
    )
    assert renderer.tokens.read_view(links.view.split("token=")[1]) == (3, 7)
    message = renderer.digest_message(digest, delivery_id=3)
    assert message.get_all("Message-ID") == ["<digest.3.20240408@papers.example.org>"]
    assert len(message.get_all("Date", [])) == 1
    assert message["Subject"] == "paperwire: 1 paper trending for Mon, 8 April 2024"


def test_the_browser_view_has_no_view_link_of_its_own(tmp_path: Path) -> None:
    renderer = _renderer(tmp_path)
    digest = _digest("A paper")
    html = renderer.digest_html(digest, renderer.links(digest, 3), in_browser=True)
    assert "View in your browser" not in html and "Unsubscribe" in html


def test_control_and_override_characters_never_reach_a_digest(tmp_path: Path) -> None:
    message = _renderer(tmp_path).digest_message(
        _digest("Unsafe\u202e fdp.exe\x1b[31m title"), delivery_id=3
    )
    for kind in ("html", "plain"):
        part = message.get_body((kind,))
        assert part is not None
        content = part.get_content()
        assert "Unsafe fdp.exe[31m title" in content
        assert "\u202e" not in content and "\x1b" not in content
