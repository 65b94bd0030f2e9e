"""Comment Markdown: a small safe subset survives, everything else is dropped or escaped."""

from __future__ import annotations

import re

import pytest

from paperwire.community.comments import (
    ALLOWED_TAGS,
    CommentError,
    clean_body,
    render_markdown,
)


def test_the_safe_subset_renders() -> None:
    html = render_markdown(
        "*em* **strong** `code`\n\n> quote\n\n- item\n\n[link](https://a.example)"
    )
    for fragment in ("<em>em</em>", "<strong>strong</strong>", "<code>code</code>", "<blockquote>"):
        assert fragment in html
    assert '<a href="https://a.example" rel="nofollow ugc noopener noreferrer">link</a>' in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![pixel](https://tracker.example/p.gif)",
        '<iframe src="https://evil.example"></iframe>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_hostile_markup_never_becomes_active(hostile: str) -> None:
    html = render_markdown(hostile)
    tags = re.findall(r"<(\w+)([^>]*)>", html)  # real tags: escaped text has &lt; instead
    assert {name for name, _ in tags} <= ALLOWED_TAGS
    for _name, attributes in tags:
        assert "javascript:" not in attributes and "data:" not in attributes
        assert not re.search(r"\son\w+=", attributes)


def test_headings_stay_plain_text() -> None:
    assert "<h1>" not in render_markdown("# Shouting")


def test_bodies_are_trimmed_and_bounded() -> None:
    assert clean_body("  hello\r\nworld  ") == "hello\nworld"
    with pytest.raises(CommentError):
        clean_body("   ")
    with pytest.raises(CommentError):
        clean_body("x" * 5_001)


def test_bodies_lose_control_and_bidi_override_characters() -> None:
    assert clean_body("see \u202efdp.exe\u202c\x1b[31m\x00 now\r") == "see fdp.exe[31m now"
    with pytest.raises(CommentError):
        clean_body("\u202e\x07 \u2066")


def test_character_references_to_overrides_render_as_nothing() -> None:
    html = render_markdown("a &#x202e; b &#8238; `\u202e` [x](https://a.example) \u2067")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", html)
    assert "a  b  <code></code>" in html
