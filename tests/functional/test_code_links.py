"""Code and project links over HTTP: readers edit them, moderators revert, ingest keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import add_user, make_paper
from personas import TOP, community_server, people

from paperwire.storage import Database
from paperwire.storage.code import code_for
from paperwire.storage.code_links import link_edits
from paperwire.storage.papers import upsert_papers

PAPER = f"/papers/{TOP}"
LINKS = f"{PAPER}/links"
REPO = "https://github.com/right/repo"


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _code(db: Database) -> tuple[str | None, str | None]:
    found = code_for(db, [TOP]).get(TOP)
    return (found.code_url, found.project_url) if found else (None, None)


def test_a_reader_sets_the_links_and_the_paper_page_shows_them(db: Database, url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        bob.sign_up()
        form = {
            "code": "https://GitHub.com/right/repo.git/tree/main",
            "project": "https://p.example.org/",
        }
        response = alice.post(LINKS, form, token=alice.csrf(PAPER))
        assert response.status_code == 303
        assert response.headers["location"] == f"{PAPER}?links=saved#links"
        assert _code(db) == (REPO, "https://p.example.org")
        page = bob.page(PAPER)
        assert f'href="{REPO}"' in page and "right/repo" in page and "Project page" in page
        history = bob.page(f"{LINKS}/history")
        assert "alice" in history and REPO in history and "Revert" not in history


def test_logged_out_and_forged_posts_change_nothing(db: Database, url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        refused = mallory.post(LINKS, {"code": REPO}, token=mallory.csrf("/login"))
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        alice.sign_up()
        forged = alice.post(LINKS, {"code": REPO}, token="not-the-token")
        assert forged.status_code == 403
        assert alice.client.post(LINKS, data={"code": REPO}).status_code == 403  # no token
    assert _code(db) == (None, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "javascript:alert(document.cookie)"),
        ("code", "https://evil.example/owner/repo"),
        ("code", "https://github.com/just-an-owner"),
        ("project", "javascript:alert(1)"),
        ("project", "data:text/html,<script>alert(1)</script>"),
        ("project", "https://example.org/" + "x" * 600),
    ],
)
def test_links_that_are_no_web_links_are_refused_with_the_form(
    db: Database, url: str, field: str, value: str
) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.post(LINKS, {field: value}, token=alice.csrf(PAPER))
        assert response.status_code == 400
        assert 'role="alert"' in response.text and "<script>alert" not in response.text
    assert _code(db) == (None, None)


def test_a_hostile_url_is_shown_escaped(db: Database, url: str) -> None:
    hostile = "https://p.example.org/a'onmouseover='alert(1)'&b"
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert alice.post(LINKS, {"project": hostile}, token=alice.csrf(PAPER)).status_code == 303
        page = alice.page(PAPER) + alice.page(f"{LINKS}/history")
        tag = 'https://p.example.org/"><script>alert(1)</script>'
        assert alice.post(LINKS, {"project": tag}, token=alice.csrf(PAPER)).status_code == 400
    assert _code(db)[1] == hostile
    assert "a'onmouseover" not in page and "<script>alert(1)" not in page
    assert "https://p.example.org/a&#39;onmouseover=&#39;alert(1)&#39;&amp;b" in page


def test_a_moderator_reverts_an_edit_and_others_cannot(db: Database, url: str) -> None:
    upsert_papers(db, [make_paper(arxiv_id=TOP, version=2, abstract=f"Code: {REPO}.")])
    add_user(db, "root", admin=True, password=True)
    with people(url, "mallory", "bob", "root") as (mallory, bob, root):
        mallory.sign_up()
        bob.sign_up()
        root.log_in()
        token = mallory.csrf(PAPER)
        assert (
            mallory.post(LINKS, {"code": "https://github.com/spam/spam"}, token=token).status_code
            == 303
        )
        edit = link_edits(db, TOP)[0]
        revert = f"{LINKS}/edits/{edit.id}/revert"
        assert bob.post(revert, {}, token=bob.csrf(PAPER)).status_code == 403
        assert mallory.post(revert, {}, token=token).status_code == 403
        assert "Revert" in root.page(f"{LINKS}/history")
        assert root.post(revert, {}, token="forged").status_code == 403
        done = root.post(revert, {}, token=root.csrf(PAPER))
        assert done.status_code == 303
        assert root.post(revert, {}, token=root.csrf(PAPER)).status_code == 409
        assert (
            root.post(f"{LINKS}/edits/999999/revert", {}, token=root.csrf(PAPER)).status_code == 404
        )
    assert _code(db)[0] == REPO
    assert link_edits(db, TOP)[0].reverted_by == "root"


def test_ingest_does_not_overwrite_a_readers_link(db: Database, url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post(LINKS, {"code": REPO}, token=alice.csrf(PAPER))
    newer = make_paper(arxiv_id=TOP, version=9, abstract="Now at https://github.com/other/one.")
    upsert_papers(db, [newer])
    assert _code(db)[0] == REPO


def test_junk_paths_answer_client_errors(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        token = alice.csrf(PAPER)
        assert alice.client.get("/papers/0000.00000/links/history").status_code == 404
        assert alice.client.get(f"/papers/{'9' * 80}/links/history").status_code in (400, 404)
        assert alice.post("/papers/nope/links", {"code": REPO}, token=token).status_code == 404
        assert alice.post(f"{LINKS}/edits/abc/revert", {}, token=token).status_code == 400
        assert alice.post(f"{LINKS}/edits/0/revert", {}, token=token).status_code == 400
        assert alice.client.get(f"/papers/arXiv:{TOP}/links/history").status_code == 308


def test_link_edits_past_the_hourly_limit_get_429_and_change_nothing(
    db: Database, tmp_path: Path
) -> None:
    with (
        community_server(db, tmp_path, link_edit_limit_per_hour=2) as base,
        people(base, "alice") as (alice,),
    ):
        alice.sign_up()
        token = alice.csrf(PAPER)
        for n in range(2):
            form = {"code": f"https://github.com/right/repo{n}"}
            assert alice.post(LINKS, form, token=token).status_code == 303
        refused = alice.post(LINKS, {"code": REPO}, token=token)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert _code(db) == ("https://github.com/right/repo1", None)
