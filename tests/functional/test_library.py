"""The library over HTTP: save from any list, tags, export, import a Zotero file, privacy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import TEST_DATA
from personas import SECOND, TODAY, TOP, community_server, people

from paperwire.storage import Database

DAY = f"/papers/date/{TODAY}"


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _item(html: str, arxiv_id: str) -> str:
    """The list item of one paper on a list page."""
    start = html.index(f'href="/papers/{arxiv_id}"')
    return html[start : html.index("</li>", start)]


def test_saving_from_a_list_returns_there_and_the_list_shows_it_saved(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert "Save</button>" in _item(alice.page(DAY), TOP)  # cached before the save
        response = alice.post("/library/save", {"paper": TOP, "next": DAY}, token=alice.csrf(DAY))
        assert response.status_code == 303 and response.headers["location"] == DAY
        assert "Saved</button>" in _item(alice.page(DAY), TOP)
        library = alice.page("/library")
        assert f'href="/papers/{TOP}"' in library and "1 paper" in library


def test_tags_filter_the_library_page(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": TOP, "tags": "Vision, to read"})
        alice.post("/library/save", {"paper": SECOND})
        page = alice.page("/library?tag=vision")
        assert f'href="/papers/{TOP}"' in page and f'href="/papers/{SECOND}"' not in page
        alice.post("/library/tags", {"paper": SECOND, "tags": "vision"})
        assert f'href="/papers/{SECOND}"' in alice.page("/library?tag=vision")
        assert 'href="/library?tag=to%20read"' in alice.page("/library")


def test_the_library_is_private_and_needs_a_login(url: str) -> None:
    with people(url, "alice", "bob", "mallory") as (alice, bob, mallory):
        alice.sign_up()
        bob.sign_up()
        alice.post("/library/save", {"paper": TOP, "tags": "secret-project"})
        assert "secret-project" not in bob.page("/library")
        assert f'href="/papers/{TOP}"' not in bob.page("/library")
        assert "Saved</button>" not in _item(bob.page(DAY), TOP)
        assert mallory.client.get("/library").status_code in (302, 303, 307)
        assert mallory.client.get("/library.bib").status_code in (302, 303, 307)
        assert mallory.client.get("/for-you").status_code in (302, 303, 307)


def test_changes_need_the_sessions_csrf_token(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        forged = alice.post("/library/save", {"paper": TOP}, token="not-the-token")
        assert forged.status_code == 403
        assert "Your library is empty" in alice.page("/library")


def test_export_is_bibtex_of_every_saved_paper(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": TOP})
        alice.post("/library/save", {"paper": SECOND})
        response = alice.client.get("/library.bib")
        assert response.headers["content-type"].startswith("application/x-bibtex")
        assert response.text.count("@misc{") == 2 and f"eprint = {{{TOP}}}" in response.text


def test_removing_takes_a_paper_out(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": TOP})
        alice.post("/library/remove", {"paper": TOP})
        assert "Your library is empty" in alice.page("/library")


def test_unknown_paper_is_404_and_an_oversized_tag_is_400(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert alice.post("/library/save", {"paper": "2606.99999"}).status_code == 404
        assert alice.post("/library/save", {"paper": TOP, "tags": "x" * 41}).status_code == 400


def test_import_of_an_id_list_saves_what_matches_and_names_the_rest(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        listing = f"# my reading list\n{TOP}\nhttps://arxiv.org/abs/{SECOND}v2\n2501.99999\n"
        response = alice.client.post(
            "/library/import",
            data={"csrf": alice.csrf("/library/import"), "tags": "imported"},
            files={"file": ("ids.txt", listing.encode(), "text/plain")},
        )
        assert response.status_code == 200, response.text
        assert "<strong>2</strong> papers added" in response.text
        assert "2501.99999" in response.text  # matched nothing here, and says so
        assert 'href="/library?tag=imported"' in alice.page("/library")


def test_import_of_an_unreadable_file_says_what_is_accepted(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.client.post(
            "/library/import",
            data={"csrf": alice.csrf("/library/import")},
            files={"file": ("photo.bin", b"\x89PNG\r\n\x1a\n\x00\x00", "application/octet-stream")},
        )
        assert response.status_code == 400
        assert "BibTeX" in response.text


def test_import_without_the_csrf_token_is_refused(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.client.post(
            "/library/import", files={"file": ("ids.txt", TOP.encode(), "text/plain")}
        )
        assert response.status_code == 403


def test_the_zotero_export_fixture_imports_over_http(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        data = (TEST_DATA / "library" / "zotero-export.bib").read_bytes()
        response = alice.client.post(
            "/library/import",
            data={"csrf": alice.csrf("/library/import")},
            files={"file": ("My Library.bib", data, "application/x-bibtex")},
        )
        assert response.status_code == 200, response.text
        # None of these papers is stored in the community fixture: each is named, none lost.
        assert "Imported from bibtex" in response.text and "matched no paper here" in response.text
