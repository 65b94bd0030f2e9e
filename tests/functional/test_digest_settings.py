"""The digest on the account page over HTTP, with a real SMTP server: subscribe from the
account, confirm by e-mail, change and end it there; nobody else sees or changes it, and
an account never gets a subscription just because its e-mail address matches."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from personas import Persona, community_server, people
from smtp_server import SmtpServer, running_smtp_server

from paperwire.digest.model import Preferences, Subscription
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import users as user_store

HIDDEN_RE = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
LINK_RE = re.compile(r"(http://\S+/digest/\w+\?token=\S+)")
SETTINGS = {"frequency": "weekly", "weekday": "2", "size": "5"}


@dataclass
class Site:
    url: str
    db: Database
    smtp: SmtpServer

    def links(self, email: str) -> list[str]:
        """The links of the latest e-mail to that address."""
        body = self.smtp.handler.to(email)[-1].get_body(("plain",))
        assert body is not None
        return LINK_RE.findall(body.get_content())

    def subscription(self, email: str) -> Subscription:
        found = digest_store.subscription_by_email(self.db, email)
        assert found is not None
        return found

    def user_id(self, name: str) -> int:
        user = user_store.user_by_name(self.db, name)
        assert user is not None
        return user.id


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    with (
        running_smtp_server() as smtp,
        community_server(db, tmp_path, smtp=smtp, subscribe_limit_per_hour=0) as url,
    ):
        yield Site(url, db, smtp)


def _path(link: str) -> str:
    """A link from an e-mail as a path on the test server."""
    return httpx.URL(link).raw_path.decode()


def _confirm(person: Persona, confirm_link: str) -> httpx.Response:
    """Open the link from the e-mail and press its button, as a browser would."""
    page = person.client.get(_path(confirm_link))
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    fields = dict(HIDDEN_RE.findall(page.text))
    return person.client.post("/digest/confirm", data=fields)


def _subscribe_from_account(site: Site, person: Persona, email: str) -> None:
    answer = person.post("/account/digest", {"email": email} | SETTINGS)
    assert answer.status_code == 200 and f"We sent a link to {email}" in answer.text
    done = _confirm(person, site.links(email)[0])
    assert done.status_code == 200 and "You are subscribed" in done.text


def _alice_subscribed(site: Site, alice: Persona) -> int:
    """Alice signs up and links a subscription the proper way; its id."""
    alice.sign_up()
    _subscribe_from_account(site, alice, "alice@example.org")
    return site.subscription("alice@example.org").id


def test_alice_subscribes_from_her_account_page_and_manages_it_there(site: Site) -> None:
    with people(site.url, "alice") as (alice,):
        alice.sign_up()
        page = alice.page("/account")
        assert "E-mail digest" in page and 'value="alice@example.org"' in page
        answer = alice.post("/account/digest", {"email": "alice@example.org"} | SETTINGS)
        assert "We sent a link to alice@example.org" in answer.text
        assert digest_store.subscription_by_email(site.db, "alice@example.org") is None
        (confirm_link,) = site.links("alice@example.org")
        assert "it will be on your account page" in alice.page(_path(confirm_link))
        assert "You are subscribed" in _confirm(alice, confirm_link).text
        assert site.subscription("alice@example.org").user_id == site.user_id("alice")
        page = alice.page("/account")
        assert "alice@example.org gets weekly on Wednesday, up to 5 trending papers" in page
        number = site.subscription("alice@example.org").id
        change = {
            "frequency": "daily",
            "size": "7",
            "content": "topics",
            "topic-0-name": "<script>alert(1)</script>",
            "topic-0-include": "agents",
        }
        saved = alice.post(f"/account/digest/{number}", change)
        assert saved.status_code == 200 and "Saved the digest of alice@example.org" in saved.text
        preferences = site.subscription("alice@example.org").preferences
        assert (preferences.size, preferences.topics[0].include) == (7, ("agents",))
        page = alice.page("/account")
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
        left = alice.post(f"/account/digest/{number}/unsubscribe", {})
        assert "No more digests will be sent to alice@example.org" in left.text
        assert not site.subscription("alice@example.org").is_active
        assert 'action="/account/digest"' in alice.page("/account")  # the subscribe form again


def test_bob_can_neither_see_nor_change_alices_subscription(site: Site) -> None:
    with people(site.url, "alice", "bob") as (alice, bob):
        number = _alice_subscribed(site, alice)
        bob.sign_up()
        assert "alice@example.org" not in bob.page("/account")
        assert bob.post(f"/account/digest/{number}", {"size": "1"}).status_code == 404
        assert bob.post(f"/account/digest/{number}/unsubscribe", {}).status_code == 404
        assert bob.post("/account/digest/999999", {"size": "1"}).status_code == 404
        found = site.subscription("alice@example.org")
        assert found.is_active and found.preferences.size == 5


def test_mallory_without_the_csrf_token_is_refused(site: Site) -> None:
    with people(site.url, "alice", "mallory") as (alice, mallory):
        number = _alice_subscribed(site, alice)
        mallory.sign_up()
        for path in (f"/account/digest/{number}", f"/account/digest/{number}/unsubscribe"):
            assert alice.post(path, {"size": "1"}, token="").status_code == 403
            assert alice.post(path, {"size": "1"}, token=mallory.csrf()).status_code == 403
            assert httpx.post(site.url + path, data={"size": "1"}).status_code == 403
        assert (
            mallory.post("/account/digest", {"email": "m@example.org"}, token="").status_code == 403
        )
        assert site.subscription("alice@example.org").is_active
        assert site.smtp.handler.to("m@example.org") == []


def test_a_matching_account_address_alone_does_not_give_the_subscription(site: Site) -> None:
    existing = digest_store.activate_subscription(
        site.db, "bob@example.org", Preferences(size=3), datetime.now(UTC)
    )
    with people(site.url, "bob") as (bob,):
        bob.sign_up()  # as bob@example.org, which nobody verified
        page = bob.page("/account")
        assert "bob@example.org gets" not in page and 'action="/account/digest"' in page
        assert bob.post(f"/account/digest/{existing.id}", {"size": "1"}).status_code == 404
        assert bob.post(f"/account/digest/{existing.id}/unsubscribe", {}).status_code == 404
        # Proving the mailbox (the link in the e-mail) while logged in links it.
        _subscribe_from_account(site, bob, "bob@example.org")
        assert site.subscription("bob@example.org").user_id == site.user_id("bob")
        assert "bob@example.org gets weekly" in bob.page("/account")


def test_the_account_page_answers_the_same_for_a_subscribed_address(site: Site) -> None:
    digest_store.activate_subscription(
        site.db, "known@example.org", Preferences(), datetime.now(UTC)
    )
    with people(site.url, "alice") as (alice,):
        alice.sign_up()
        known = alice.post("/account/digest", {"email": "known@example.org"}).text
        unknown = alice.post("/account/digest", {"email": "fresh@example.org"}).text
        strip = re.compile(r'name="csrf" value="[^"]+"')
        assert strip.sub("", known.replace("known@", "X@")) == strip.sub(
            "", unknown.replace("fresh@", "X@")
        )


def test_a_link_confirmed_by_someone_else_links_no_account(site: Site) -> None:
    with people(site.url, "alice", "mallory") as (alice, mallory):
        alice.sign_up()
        mallory.sign_up()
        mallory.post("/account/digest", {"email": "alice@example.org"})
        (confirm_link,) = site.links("alice@example.org")
        page = alice.page(_path(confirm_link))
        assert "log in to the account that asked" in page and "mallory" not in page
        assert "You are subscribed" in _confirm(alice, confirm_link).text
        assert site.subscription("alice@example.org").user_id is None
        assert "alice@example.org gets" not in mallory.page("/account")


def test_a_manage_link_lets_a_logged_in_reader_link_the_subscription(site: Site) -> None:
    digest_store.activate_subscription(
        site.db, "alice@example.org", Preferences(), datetime.now(UTC)
    )
    with people(site.url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/account/digest", {"email": "alice@example.org"})
        _confirm_link, manage_link = site.links("alice@example.org")
        token = httpx.URL(manage_link).params["token"]
        manage = alice.page(f"/digest/manage?token={token}")
        assert "Link to my account" in manage
        assert alice.post("/account/digest/link", {"token": token}, token="").status_code == 403
        assert alice.post("/account/digest/link", {"token": "forged"}).status_code == 400
        linked = alice.post("/account/digest/link", {"token": token})
        assert linked.status_code == 200 and "alice@example.org gets daily" in linked.text
        assert site.subscription("alice@example.org").user_id == site.user_id("alice")
        assert "Link to my account" not in alice.page(f"/digest/manage?token={token}")


def test_confirming_without_the_sessions_csrf_token_links_no_account(site: Site) -> None:
    """A form posted from elsewhere into alice's browser cannot carry her CSRF token."""
    with people(site.url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/account/digest", {"email": "alice@example.org"})
        (confirm_link,) = site.links("alice@example.org")
        page = alice.page(_path(confirm_link))
        fields = dict(HIDDEN_RE.findall(page)) | {"csrf": "forged"}
        assert "You are subscribed" in alice.client.post("/digest/confirm", data=fields).text
        assert site.subscription("alice@example.org").user_id is None
