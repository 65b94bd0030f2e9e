"""Personal access tokens over HTTP: made on the account page, shown once, read and write
scopes on /api/me, revoked at once, and one reader's token never opens another's data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from personas import SECOND, TOP, Persona, community_server, people

from paperwire.storage import Database
from paperwire.storage.schema import access_tokens


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _make_token(reader: Persona, scope: str = "read") -> str:
    response = reader.post(
        "/account/tokens", {"name": "script", "scope": scope}, token=reader.csrf("/account")
    )
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="new-token">(pw_[^<]+)</code>', response.text)
    assert found is not None
    return found.group(1)


def _api(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=10)


def test_a_read_token_reads_the_library_and_feed_but_cannot_save(url: str, db: Database) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": TOP, "tags": "to read"})
        token = _make_token(alice)
        with db.engine.connect() as connection:
            stored = connection.scalar(
                access_tokens.select().with_only_columns(access_tokens.c.token_hash)
            )
        assert stored is not None and token not in stored  # only a hash is kept
        with _api(url, token) as api:
            library = api.get("/api/me/library").json()
            assert [(e["paper"]["id"], e["tags"]) for e in library] == [(TOP, ["to read"])]
            assert api.get("/api/me/recommendations").status_code == 200
            refused = api.post("/api/me/library", json={"paper": SECOND})
            assert refused.status_code == 403 and refused.json()["status"] == 403


def test_a_write_token_saves_and_removes(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        token = _make_token(alice, "write")
        with _api(url, token) as api:
            assert (
                api.post("/api/me/library", json={"paper": SECOND, "tags": ["x"]}).status_code
                == 201
            )
            assert api.post("/api/me/library", json={"paper": SECOND}).status_code == 200
            assert api.post("/api/me/library", json={"paper": "2606.99999"}).status_code == 404
            assert f'href="/papers/{SECOND}"' in alice.page("/library")
            assert api.delete(f"/api/me/library/{SECOND}").status_code == 200
            assert api.delete(f"/api/me/library/{SECOND}").status_code == 404


def test_no_token_a_wrong_token_or_a_revoked_token_is_401(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        token = _make_token(alice)
        for wrong in (None, "pw_not-a-token", "Basic abc"):
            with _api(url, wrong) as api:
                answer = api.get("/api/me/library")
                assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        token_id = re.search(r"/account/tokens/(\d+)/revoke", alice.page("/account"))
        assert token_id is not None
        alice.post(f"/account/tokens/{token_id.group(1)}/revoke", {}, token=alice.csrf("/account"))
        assert "Token revoked" in alice.page("/account?token=revoked")
        with _api(url, token) as api:
            assert api.get("/api/me/library").status_code == 401


def test_a_token_opens_only_its_owners_library(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        bob.sign_up()
        alice.post("/library/save", {"paper": TOP, "tags": "secret"})
        bobs = _make_token(bob)
        with _api(url, bobs) as api:
            assert api.get("/api/me/library").json() == []
        token_id = re.search(r"/account/tokens/(\d+)/revoke", bob.page("/account"))
        assert token_id is not None  # alice cannot revoke bob's token
        response = alice.post(
            f"/account/tokens/{token_id.group(1)}/revoke", {}, token=alice.csrf("/account")
        )
        assert response.status_code == 404


def test_a_token_needs_a_name(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.post(
            "/account/tokens", {"name": " ", "scope": "read"}, token=alice.csrf("/account")
        )
        assert response.status_code == 400 and "Name the token" in response.text
