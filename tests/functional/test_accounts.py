"""Accounts over HTTP: sign-up, log-in, sessions, CSRF, password change and reset, limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from factories import PASSWORD
from personas import Persona, community_server, mails_to, people
from smtp_server import SmtpServer, running_smtp_server

from paperwire.storage import Database
from paperwire.web.auth import SESSION_COOKIE


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def test_sign_up_logs_in_and_the_header_names_the_user(url: str) -> None:
    with people(url, "alice") as (alice,):
        response = alice.sign_up()
        assert response.headers["location"] == "/"
        html = alice.page("/")
        assert '<a href="/users/alice">alice</a>' in html and "Log out" in html


def test_session_cookie_is_http_only_and_same_site(url: str) -> None:
    with people(url, "alice") as (alice,):
        cookie = alice.sign_up().headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http on loopback, for development


def test_cookie_is_secure_when_the_site_is_https(db: Database, tmp_path: Path) -> None:
    with community_server(db, tmp_path, base_url="https://papers.example.org") as base:
        # The form page begins a session; over https only would a browser send it back.
        assert "Secure" in httpx.get(base + "/login").headers["set-cookie"]


def test_log_in_says_the_same_for_an_unknown_name_and_a_wrong_password(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        wrong = bob.post("/login", {"login": "alice", "password": "not her password"})
        unknown = bob.post("/login", {"login": "nobody", "password": "whatever it is"})
        assert wrong.status_code == unknown.status_code == 400
        assert _message(wrong.text) == _message(unknown.text)
        assert (
            bob.post("/login", {"login": "ALICE@example.org", "password": PASSWORD}).status_code
            == 303
        )


def _message(html: str) -> str:
    return html.split('class="form-error"', 1)[1].split("</p>", 1)[0]


def test_taken_username_is_refused_kindly(url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        form = {"username": "Alice", "email": "m@example.org", "password": PASSWORD}
        response = mallory.post("/signup", form)
        assert response.status_code == 400 and "That username is taken" in response.text


def test_post_without_csrf_token_or_with_another_sessions_token_is_refused(url: str) -> None:
    with people(url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        mallory.sign_up()
        assert alice.vote("2606.30001", token="").status_code == 403
        stolen = mallory.csrf()
        assert alice.vote("2606.30001", token=stolen).status_code == 403
        bare = alice.client.post("/vote", data={"paper": "2606.30001", "up": "1"})
        assert bare.status_code == 403


def test_log_out_ends_the_session(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        token = alice.csrf()
        assert alice.post("/logout", {}, token=token).status_code == 303
        assert (
            "Log in" in alice.page("/") and alice.vote("2606.30001", token=token).status_code == 403
        )


def _copy_of_cookie(person: Persona) -> httpx.Client:
    """Another browser holding a copy of person's session cookie, as a thief would."""
    cookie = person.client.cookies[SESSION_COOKIE]
    return httpx.Client(base_url=person.client.base_url, cookies={SESSION_COOKIE: cookie})


def _logged_in(client: httpx.Client) -> bool:
    response = client.get("/account")  # the log-in page (303) for anybody else
    return response.status_code == 200 and "Your account" in response.text


def test_a_copied_cookie_stops_working_when_its_owner_logs_out(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        with _copy_of_cookie(alice) as copy:
            assert _logged_in(copy)
            assert alice.post("/logout", {}).status_code == 303
            assert not _logged_in(copy) and not _logged_in(alice.client)


def test_a_copied_cookie_stops_working_when_the_password_changes(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        with _copy_of_cookie(alice) as copy:
            new = "a brand new passphrase"
            changed = alice.post("/account/password", {"current": PASSWORD, "password": new})
            assert changed.status_code == 200
            assert not _logged_in(copy)
            assert _logged_in(alice.client)  # the browser that changed it got a new session


def test_log_out_everywhere_ends_every_session_and_every_copy(url: str) -> None:
    with people(url, "alice", "alice", "bob") as (laptop, phone, bob):
        laptop.sign_up()
        bob.sign_up()
        assert phone.log_in().status_code == 303
        assert "Log out everywhere" in laptop.page("/account")
        with _copy_of_cookie(phone) as copy:
            assert laptop.post("/account/logout-everywhere", {}, token="").status_code == 403
            assert _logged_in(copy)
            response = laptop.post("/account/logout-everywhere", {})
            assert response.status_code == 303 and response.headers["location"] == "/"
            assert not any(_logged_in(c) for c in (laptop.client, phone.client, copy))
        assert _logged_in(bob.client)
        assert laptop.log_in().status_code == 303 and _logged_in(laptop.client)


def test_changing_the_password_ends_every_other_session(url: str) -> None:
    with people(url, "alice", "alice") as (laptop, phone):
        laptop.sign_up()
        assert phone.log_in().status_code == 303
        new = "a brand new passphrase"
        changed = laptop.post("/account/password", {"current": PASSWORD, "password": new})
        assert changed.status_code == 200 and "Your password is changed" in changed.text
        assert '<a href="/users/alice">' in laptop.page("/")
        assert '<a href="/users/alice">' not in phone.page("/")
        assert phone.log_in().status_code == 400 and phone.log_in(new).status_code == 303


def test_wrong_current_password_changes_nothing(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.post("/account/password", {"current": "guess guess", "password": "x" * 12})
        assert response.status_code == 400 and "current password is not right" in response.text


def test_password_reset_by_email_works_once(db: Database, tmp_path: Path) -> None:
    with (
        running_smtp_server() as smtp,
        community_server(db, tmp_path, smtp=smtp) as base,
        people(base, "alice", "mallory") as (alice, mallory),
    ):
        alice.sign_up()
        known = mallory.post("/reset", {"email": "alice@example.org"})
        unknown = mallory.post("/reset", {"email": "nobody@example.org"})
        assert known.status_code == unknown.status_code == 200
        assert _notice(known) == _notice(unknown)
        (mail,) = _mail_to(smtp, "alice@example.org")
        assert smtp.handler.to("nobody@example.org") == []
        link = next(w for w in str(mail.get_content()).split() if "/reset/" in w)
        path = link.removeprefix(base)
        new = "reset to something long"
        assert mallory.post(path, {"password": new}, token=mallory.csrf(path)).status_code == 303
        assert mallory.client.get(path).status_code == 400  # used: the password changed
        assert alice.log_in(new).status_code == 303


def _mail_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    """The reset messages to address, waiting briefly: they are sent after the answer."""
    return mails_to(smtp, address, "Reset your paperwire password")


def _notice(response: httpx.Response) -> str:
    return response.text.split('class="form-notice"', 1)[1].split("</p>", 1)[0]


def test_log_in_attempts_are_rate_limited(db: Database, tmp_path: Path) -> None:
    with (
        community_server(db, tmp_path, login_limit_per_minute=3) as base,
        people(base, "mallory") as (mallory,),
    ):
        codes = [
            mallory.post("/login", {"login": "alice", "password": f"guess {n}"}).status_code
            for n in range(4)
        ]
        assert codes == [400, 400, 400, 429]
        assert int(mallory.last.headers["retry-after"]) >= 1  # type: ignore[union-attr]


def test_sign_ups_are_rate_limited(db: Database, tmp_path: Path) -> None:
    with (
        community_server(db, tmp_path, signup_limit_per_hour=1) as base,
        people(base, "alice", "mallory") as (alice, mallory),
    ):
        alice.sign_up()
        form = {"username": "mallory", "email": "m@example.org", "password": PASSWORD}
        assert mallory.post("/signup", form).status_code == 429


def test_oversized_request_bodies_are_refused(url: str) -> None:
    with people(url, "mallory") as (mallory,):
        response = mallory.post("/login", {"login": "x" * 100_000, "password": "y"})
        assert response.status_code == 413


def test_security_headers_are_on_every_page(url: str) -> None:
    response = httpx.get(url + "/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_log_in_never_redirects_off_the_site(url: str, target: str) -> None:
    with people(url, "alice") as (alice,):
        response = alice.sign_up(next_page=target)
        assert response.headers["location"] == "/"


def test_script_in_a_username_is_refused_and_echoed_escaped(url: str) -> None:
    with people(url, "mallory") as (mallory,):
        evil = "<script>alert(1)</script>"
        form = {"username": evil, "email": "m@example.org", "password": PASSWORD}
        response = mallory.post("/signup", form)
        assert response.status_code == 400
        assert evil not in response.text and "&lt;script&gt;" in response.text


def test_account_page_asks_to_log_in_and_comes_back(url: str) -> None:
    with people(url, "alice") as (alice,):
        response = alice.client.get("/account")
        assert (
            response.status_code == 303 and response.headers["location"] == "/login?next=/account"
        )
        alice.sign_up()
        assert "Change your password" in alice.page("/account")


def test_reset_links_never_follow_a_forged_host_header(db: Database, tmp_path: Path) -> None:
    with (
        running_smtp_server() as smtp,
        community_server(db, tmp_path, smtp=smtp) as base,
        people(base, "alice", "mallory") as (alice, mallory),
    ):
        alice.sign_up()
        forged = {"Host": "evil.example"}
        response = mallory.post("/reset", {"email": "alice@example.org"}, headers=forged)
        assert response.status_code == 400  # a host this site does not answer to
        mallory.post("/reset", {"email": "alice@example.org"})  # loopback: a real request
        _mail_to(smtp, "alice@example.org")
        time.sleep(0.3)  # time for a mail of the forged request, were there one
        (mail,) = _mail_to(smtp, "alice@example.org")
        assert "evil.example" not in str(mail.get_content())
