"""Sign-up over HTTP: the answer never tells whether an address has an account."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from crowds import all_at_once, crowd
from factories import PASSWORD
from itsdangerous import TimestampSigner
from personas import CONFIRM_SUBJECT, Persona, community_server, mails_to, people

from paperwire.community import signups
from paperwire.community.signups import PendingAccount
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage import users as user_store

_CSRF_RE = re.compile(r'name="csrf" value="[^"]+"')
_NOTICE_SUBJECT = "Your paperwire account"


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _sign_up_as(person: Persona, username: str, email: str) -> httpx.Response:
    form = {"username": username, "email": email, "password": PASSWORD}
    return person.post("/signup", form)


def _comparable(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    """The answer less what differs by session anyway: CSRF tokens, cookies, date, length."""
    varying = {"set-cookie", "date", "content-length"}
    headers = {k: v for k, v in response.headers.items() if k not in varying}
    return response.status_code, _CSRF_RE.sub("csrf", response.text), headers


def test_sign_up_answers_alike_for_a_new_and_a_used_address(url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        used = _sign_up_as(mallory, "mallory", "alice@example.org")
        new = _sign_up_as(mallory, "mallory", "nobody@example.org")
        assert used.status_code == 200 and "Check your inbox" in used.text
        assert _comparable(used) == _comparable(new)
        assert "alice@example.org" not in used.text


def test_owner_of_a_used_address_gets_a_notice_and_no_account_is_made(
    url: str, db: Database
) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        _sign_up_as(mallory, "mallory", "Alice@Example.org")
        (notice,) = mails_to(alice.mailbox, "alice@example.org", _NOTICE_SUBJECT)
        text = str(notice.get_content())
        assert "/login" in text and "/reset" in text and "/signup/confirm" not in text
        assert len(mails_to(alice.mailbox, "alice@example.org", CONFIRM_SUBJECT)) == 1
        assert user_store.user_by_name(db, "mallory") is None


def test_confirmation_link_creates_the_account_once(url: str, db: Database) -> None:
    with people(url, "bob", "mallory") as (bob, mallory):
        assert _sign_up_as(bob, "bob", bob.email).status_code == 200
        assert user_store.user_by_name(db, "bob") is None  # not before the link is followed
        path = bob.confirm_path()
        assert bob.confirm(path).status_code == 303
        assert '<a href="/users/bob">bob</a>' in bob.page("/")
        again = mallory.post(
            "/signup/confirm", {"token": path.split("token=")[1]}, token=mallory.csrf(path)
        )
        assert again.status_code == 400 and "already used" in again.text


def test_a_confirmation_link_pressed_eight_times_at_once_makes_one_account(
    url: str, db: Database
) -> None:
    with people(url, "bob") as (bob,), crowd(url, "bob", 8) as tabs:
        _sign_up_as(bob, "bob", bob.email)
        path = bob.confirm_path()
        token = httpx.URL(path).params["token"]
        csrf = [tab.csrf(path) for tab in tabs]
        responses = all_at_once(
            [
                partial(tab.post, "/signup/confirm", {"token": token}, token=c)
                for tab, c in zip(tabs, csrf, strict=True)
            ]
        )
        codes = [response.status_code for response in responses]
        assert codes.count(303) == 1 and set(codes) == {303, 400}, codes
        assert user_store.user_by_name(db, "bob") is not None


def test_control_and_bidirectional_characters_never_reach_the_account(
    url: str, db: Database
) -> None:
    with people(url, "grace") as (grace,):
        typed = "gr\u202eace@exa\x07mple.org"  # an override would show the address reversed
        assert _sign_up_as(grace, "gr\u2066ace\x00", typed).status_code == 200
        assert grace.confirm(grace.confirm_path()).status_code == 303  # mailed to the clean one
        stored = user_store.user_by_name(db, "grace")
        assert stored is not None and stored.email == "grace@example.org"


def test_opening_the_link_alone_creates_nothing(url: str, db: Database) -> None:
    with people(url, "bob") as (bob,):
        _sign_up_as(bob, "bob", bob.email)
        page = bob.client.get(bob.confirm_path())
        assert page.status_code == 200 and "Create my account" in page.text
        assert user_store.user_by_name(db, "bob") is None


def test_a_username_taken_meanwhile_asks_to_sign_up_again(url: str) -> None:
    with people(url, "carol", "other") as (carol, other):
        _sign_up_as(carol, "carol", carol.email)
        _sign_up_as(other, "carol", other.email)
        assert carol.confirm(carol.confirm_path()).status_code == 303
        refused = other.confirm(other.confirm_path())
        assert refused.status_code == 400 and "sign up again and choose another" in refused.text


def test_expired_and_forged_links_are_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)  # the server's data directory: its secret key
    pending = PendingAccount("dave", "dave@example.org", "$argon2id$not-a-real-hash")
    with monkeypatch.context() as past:
        two_days = int(time.time()) - 2 * 86_400
        past.setattr(TimestampSigner, "get_timestamp", lambda _self: two_days)
        expired = signups.confirm_token(settings, pending)
    fresh = signups.confirm_token(settings, pending)
    with people(url, "dave") as (dave,):
        for token in (expired, fresh[:-3] + "abc", "nonsense"):
            page = dave.client.get("/signup/confirm", params={"token": token})
            assert page.status_code == 400 and "expired or is not valid" in page.text
            posted = dave.post("/signup/confirm", {"token": token}, token=dave.csrf("/signup"))
            assert posted.status_code == 400 and "expired or is not valid" in posted.text


def test_the_mailed_token_holds_a_hash_never_the_password(url: str, tmp_path: Path) -> None:
    with people(url, "erin") as (erin,):
        _sign_up_as(erin, "erin", erin.email)
        token = httpx.URL(erin.confirm_path()).params["token"]
        assert PASSWORD not in token
        pending = signups.pending_account(Settings(data_dir=tmp_path), token)
        assert pending is not None and pending.password_hash.startswith("$argon2id$")
        assert PASSWORD not in pending.password_hash


def test_confirmation_without_a_csrf_token_is_refused(url: str) -> None:
    with people(url, "frank") as (frank,):
        _sign_up_as(frank, "frank", frank.email)
        token = httpx.URL(frank.confirm_path()).params["token"]
        assert frank.post("/signup/confirm", {"token": token}, token="").status_code == 403
