"""The subscription flow over HTTP with a real SMTP server: subscribe, confirm, manage,
one-click unsubscribe, browser view, and the CSRF and rate-limit guards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from backends import backend_params, empty_database_url
from factories import make_paper
from live_server import serving
from smtp_server import SmtpServer, running_smtp_server

from paperwire.config import Settings
from paperwire.digest.jobs import run_digest_pass
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app

FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
LINK_RE = re.compile(r"(http://\S+/digest/\w+\?token=\S+)")


@dataclass
class Flow:
    url: str
    db: Database
    smtp: SmtpServer
    settings: Settings

    def form_token(self) -> str:
        found = FORM_TOKEN_RE.search(httpx.get(self.url + "/", timeout=10).text)
        assert found is not None
        return found.group(1)

    def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        headers = {"Origin": self.url} | headers
        return httpx.post(self.url + path, data=data, headers=headers, timeout=10)

    def subscribe(self, email: str, **fields: str) -> httpx.Response:
        return self.post(
            "/digest/subscribe", {"email": email, "form_token": self.form_token()} | fields
        )

    def last_mail(self, email: str) -> EmailMessage:
        return self.smtp.handler.to(email)[-1]


def links(message: EmailMessage) -> list[str]:
    text = message.get_body(("plain",))
    assert text is not None
    return LINK_RE.findall(text.get_content())


@pytest.fixture(scope="module", params=backend_params())
def flow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flow]:
    db = Database.open(empty_database_url(request.param, tmp_path_factory.mktemp("flow")))
    db.upgrade()
    upsert_papers(
        db, [make_paper(listing_day=date(2024, 4, 8), imported_upvotes=n) for n in (3, 2)]
    )
    with running_smtp_server() as smtp:
        settings = Settings(
            data_dir=Path(tmp_path_factory.mktemp("data")),
            smtp_url=smtp.url,  # type: ignore[arg-type]
            subscribe_limit_per_hour=1_000,
        )
        with serving(create_app(settings, db)) as url:
            yield Flow(url, db, smtp, settings.model_copy(update={"base_url": url}))
    db.close()


def _confirm(flow: Flow, email: str) -> None:
    assert flow.subscribe(email).status_code == 200
    (confirm_link,) = links(flow.last_mail(email))
    page = httpx.get(confirm_link, timeout=10)
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    token = httpx.URL(confirm_link).params["token"]
    done = flow.post("/digest/confirm", {"token": token, "form_token": flow.form_token()})
    assert done.status_code == 200 and "You are subscribed" in done.text


def test_list_pages_offer_the_subscribe_form(flow: Flow) -> None:
    for path in ("/", "/papers/trending", "/papers/week/2024-W15"):
        page = httpx.get(flow.url + path, timeout=10)
        assert "Get trending papers in your email inbox" in page.text
        assert FORM_TOKEN_RE.search(page.text)


def test_subscribing_takes_a_confirmed_link(flow: Flow) -> None:
    answer = flow.subscribe("ada@example.org", frequency="weekly", weekday="4", size="5")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    message = flow.last_mail("ada@example.org")
    assert message["Subject"] == "Confirm your paperwire digest"
    (confirm_link,) = links(message)
    httpx.get(confirm_link, timeout=10)
    assert (
        digest_store.subscription_by_email(flow.db, "ada@example.org") is None
    )  # GET is not consent
    _confirm(flow, "ada@example.org")
    found = digest_store.subscription_by_email(flow.db, "ada@example.org")
    assert found is not None and found.is_active
    assert (found.preferences.frequency, found.preferences.weekday) == (
        "daily",
        0,
    )  # the latest request


def test_the_answer_does_not_tell_whether_an_address_is_subscribed(flow: Flow) -> None:
    _confirm(flow, "member@example.org")
    known = flow.subscribe("member@example.org")
    unknown = flow.subscribe("stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("member@", "X@") == unknown.text.replace("stranger@", "X@")
    # Only the mailbox learns it: the e-mail to a subscriber also holds a manage link.
    assert len(links(flow.last_mail("member@example.org"))) == 2
    assert len(links(flow.last_mail("stranger@example.org"))) == 1


def test_forms_from_other_sites_or_without_a_token_are_refused(flow: Flow) -> None:
    token = flow.form_token()
    data = {"email": "mallory@example.org", "form_token": token}
    assert flow.post("/digest/subscribe", data, Origin="https://evil.example").status_code == 403
    referer = {"Origin": "", "Referer": "https://evil.example/page"}
    assert flow.post("/digest/subscribe", data, **referer).status_code == 403
    assert flow.post("/digest/subscribe", {"email": "mallory@example.org"}).status_code == 403
    assert flow.smtp.handler.to("mallory@example.org") == []


def test_one_address_gets_few_confirmation_emails(flow: Flow) -> None:
    answers = [flow.subscribe("victim@example.org").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert len(flow.smtp.handler.to("victim@example.org")) == 3


def test_a_malformed_address_is_explained(flow: Flow) -> None:
    answer = flow.subscribe("not an address")
    assert answer.status_code == 400 and "does not look like an e-mail address" in answer.text


def test_digest_links_manage_view_and_unsubscribe_in_one_click(flow: Flow) -> None:
    _confirm(flow, "reader@example.org")
    run_digest_pass(flow.db, flow.settings, at=datetime.now(UTC).replace(year=2100))
    digest = flow.last_mail("reader@example.org")
    view, manage, unsubscribe = links(digest)
    shown = httpx.get(view, timeout=10)
    assert shown.status_code == 200 and "A study of example" in shown.text
    assert "unsafe-inline" in shown.headers["content-security-policy"]

    page = httpx.get(manage, timeout=10)
    assert page.status_code == 200 and "Your digest" in page.text
    preview = httpx.get(manage.replace("/digest/manage", "/digest/preview"), timeout=10)
    assert preview.status_code == 200 and "PAPERWIRE" in preview.text
    token = httpx.URL(manage).params["token"]
    changed = flow.post(
        "/digest/manage",
        {
            "token": token,
            "form_token": flow.form_token(),
            "frequency": "daily",
            "size": "7",
            "content": "topics",
            "topic-0-name": "agents",
            "topic-0-include": "agents, planning",
        },
    )
    assert changed.status_code == 303
    found = digest_store.subscription_by_email(flow.db, "reader@example.org")
    assert found is not None and found.preferences.topics[0].include == ("agents", "planning")

    header = str(digest["List-Unsubscribe"]).strip("<>")
    assert header == unsubscribe
    assert "Unsubscribe" in httpx.get(header, timeout=10).text  # a page with a button
    one_click = httpx.post(
        header,
        content=b"List-Unsubscribe=One-Click",
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    found = digest_store.subscription_by_email(flow.db, "reader@example.org")
    assert found is not None and not found.is_active
    assert "has ended" in httpx.get(manage, timeout=10).text


def test_forged_links_are_refused(flow: Flow) -> None:
    assert httpx.post(flow.url + "/digest/unsubscribe?token=forged", timeout=10).status_code == 400
    assert "expired" in httpx.get(flow.url + "/digest/confirm?token=forged", timeout=10).text
    assert httpx.get(flow.url + "/digest/manage?token=x", timeout=10).status_code == 400


def test_confirmation_links_never_follow_a_forged_host_header(flow: Flow) -> None:
    # Without PAPERWIRE_BASE_URL, links are only made for loopback requests: a forged Host
    # would otherwise have the victim mailed a manage link pointing at the forger's site.
    token = flow.form_token()
    data = {"email": "hostvictim@example.org", "form_token": token}
    forged = flow.post("/digest/subscribe", data, Host="evil.example", Origin="http://evil.example")
    assert forged.status_code == 400  # a host this site does not answer to
    assert flow.smtp.handler.to("hostvictim@example.org") == []
    assert flow.subscribe("hostvictim@example.org").status_code == 200
    assert all(
        "evil.example" not in link for link in links(flow.last_mail("hostvictim@example.org"))
    )
