"""Comments over HTTP: safe Markdown, editing and deleting your own, moderators hiding any."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import add_user
from personas import TODAY, TOP, Persona, community_server, people

from paperwire.storage import Database

PAPER = f"/papers/{TOP}"


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _comment(persona: Persona, body: str) -> int:
    response = persona.post("/comments", {"paper": TOP, "body": body})
    assert response.status_code == 303, response.text
    found = re.search(r"#comment-(\d+)$", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def test_markdown_is_rendered_and_script_is_not(url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        mallory.sign_up()
        _comment(alice, "A *neat* trick with `code` and [a link](https://example.org).")
        evil = (
            "<script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[click](javascript:alert(3)) ![pixel](https://evil.example/p.png)"
        )
        _comment(mallory, evil)
        html = alice.page(PAPER)
        assert "<em>neat</em>" in html and "<code>code</code>" in html
        assert 'href="https://example.org" rel="nofollow ugc noopener noreferrer"' in html
        comments = html.split('id="comments"', 1)[1]
        assert "<script>alert" not in comments and "<img" not in comments
        assert 'href="javascript:' not in comments and "<img " not in comments
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comments  # shown as text, inert


def test_comment_counts_show_on_lists(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        _comment(alice, "first")
        _comment(alice, "second")
        assert "2 comments" in alice.page(f"/papers/date/{TODAY}")


def test_author_edits_and_deletes_their_comment(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        number = _comment(alice, "typo here")
        assert "typo here" in alice.page(f"/comments/{number}/edit")
        edited = alice.post(f"/comments/{number}/edit", {"body": "no typo"})
        assert edited.status_code == 303
        html = alice.page(PAPER)
        assert "no typo" in html and "edited" in html
        assert alice.post(f"/comments/{number}/delete", {}).status_code == 303
        assert "no typo" not in alice.page(PAPER)


def test_mallory_cannot_edit_delete_or_hide_alices_comment(url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        mallory.sign_up()
        number = _comment(alice, "alice's own words")
        assert mallory.client.get(f"/comments/{number}/edit").status_code == 403
        assert mallory.post(f"/comments/{number}/edit", {"body": "pwned"}).status_code == 403
        assert mallory.post(f"/comments/{number}/delete", {}).status_code == 403
        assert mallory.post(f"/comments/{number}/hide", {}).status_code == 403
        html = mallory.page(PAPER)
        assert "alice's own words" in html and "pwned" not in html


def test_anonymous_cannot_comment(url: str) -> None:
    with people(url, "mallory") as (mallory,):
        response = mallory.post("/comments", {"paper": TOP, "body": "drive-by"})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert "drive-by" not in mallory.page(PAPER)


def test_moderator_hides_a_comment_from_everyone_else(db: Database, url: str) -> None:
    add_user(db, "root", admin=True, password=True)
    with people(url, "alice", "root", "bob") as (alice, root, bob):
        alice.sign_up()
        bob.sign_up()
        root.log_in()
        number = _comment(alice, "spam spam spam")
        hidden = root.post(f"/comments/{number}/hide", {"hidden": "1"})
        assert hidden.status_code == 303
        assert "spam spam spam" not in bob.page(PAPER)
        assert "hidden by a moderator" in root.page(PAPER)
        assert "0 comments" in bob.page(f"/papers/date/{TODAY}")


def test_empty_and_overlong_comments_are_refused(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert alice.post("/comments", {"paper": TOP, "body": "   "}).status_code == 400
        assert alice.post("/comments", {"paper": TOP, "body": "x" * 5_001}).status_code == 400
