"""Named people for permission tests (alice, bob, mallory): each a browser-like HTTP client."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from factories import PASSWORD, make_paper
from live_server import serving
from smtp_server import SmtpServer, running_smtp_server

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app

_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
_CONFIRM_RE = re.compile(r"(/signup/confirm\?token=\S+)")
CONFIRM_SUBJECT = "Confirm your paperwire account"
# The mail server of each live community server, by its URL: personas read their mail there.
_MAILBOXES: dict[str, SmtpServer] = {}
TODAY = date(2026, 6, 18)  # the latest listing day of the community fixture papers
TOP, SECOND, OLDER = "2606.30001", "2606.30002", "2606.30003"
NO_LIMITS = {
    "signup_limit_per_hour": 0,
    "login_limit_per_minute": 0,
    "vote_limit_per_minute": 0,
    "comment_limit_per_hour": 0,
    "submission_limit_per_day": 0,
    "digest_settings_limit_per_hour": 0,
    "link_edit_limit_per_hour": 0,
    "library_limit_per_minute": 0,
    "library_import_limit_per_hour": 0,
}


@dataclass
class Persona:
    name: str
    client: httpx.Client
    last: httpx.Response | None = field(default=None, repr=False)

    def csrf(self, page: str = "/login") -> str:
        """The CSRF token of a form page, as a browser would find it."""
        found = _CSRF_RE.search(self.client.get(page).text)
        assert found is not None, f"no CSRF token on {page}"
        return found.group(1)

    def post(
        self, path: str, data: dict[str, str], *, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        """POST a form with this session's CSRF token (or the one given)."""
        fields = {"csrf": self.csrf() if token is None else token} | data
        self.last = self.client.post(path, data=fields, **kw)
        return self.last

    def sign_up(self, next_page: str = "") -> httpx.Response:
        """Sign up, then follow the link mailed to confirm the address: logged in after."""
        form = {"username": self.name, "email": self.email, "password": PASSWORD}
        response = self.post("/signup", form | {"next": next_page})
        assert response.status_code == 200 and "Check your inbox" in response.text, response.text
        return self.confirm(self.confirm_path())

    def confirm(self, path: str) -> httpx.Response:
        """Open a confirmation link and press its button, as a person would."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        token = path.split("token=", 1)[1]
        return self.post("/signup/confirm", {"token": unquote(token)}, token=self.csrf(path))

    def confirm_path(self) -> str:
        """The path of the latest confirmation link mailed to this persona."""
        return confirm_path(self.mailbox, self.email)

    @property
    def email(self) -> str:
        return f"{self.name}@example.org"

    @property
    def mailbox(self) -> SmtpServer:
        return mailbox(str(self.client.base_url))

    def log_in(self, password: str = PASSWORD) -> httpx.Response:
        return self.post("/login", {"login": self.name, "password": password})

    def vote(self, arxiv_id: str, up: str | None = "1", **kw: Any) -> httpx.Response:
        form = {"paper": arxiv_id} | ({"up": up} if up is not None else {})
        return self.post("/vote", form, **kw)

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text


def mailbox(url: str) -> SmtpServer:
    """The mail server a live community server at url sends through."""
    return _MAILBOXES[url.rstrip("/")]


def confirm_path(smtp: SmtpServer, email: str) -> str:
    """The path of the latest sign-up confirmation link mailed to email."""
    mails = mails_to(smtp, email, CONFIRM_SUBJECT)
    assert mails, f"no confirmation mail to {email}"
    found = _CONFIRM_RE.search(str(mails[-1].get_content()))
    assert found is not None, mails[-1].get_content()
    return found.group(1)


def fill_community(db: Database) -> None:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id=TOP, listing_day=TODAY, imported_upvotes=5, title="Top paper"),
            make_paper(arxiv_id=SECOND, listing_day=TODAY, imported_upvotes=4, title="Second"),
            make_paper(
                arxiv_id=OLDER, listing_day=date(2026, 6, 15), imported_upvotes=9, title="Older"
            ),
        ],
    )


@contextmanager
def community_server(
    db: Database, folder: Path, *, smtp: SmtpServer | None = None, **overrides: Any
) -> Iterator[str]:
    """A live server over the community fixture papers, mailing through smtp (or a mail
    server of its own); rate limits off unless overridden."""
    fill_community(db)
    with running_smtp_server() as own:
        mailbox = smtp or own
        settings = Settings(
            data_dir=folder, page_size=10, smtp_url=mailbox.url, **(NO_LIMITS | overrides)
        )
        with serving(create_app(settings, db)) as url:
            _MAILBOXES[url] = mailbox
            try:
                yield url
            finally:
                del _MAILBOXES[url]


def mails_to(smtp: SmtpServer, address: str, subject: str) -> list[EmailMessage]:
    """The messages to address with subject, waiting briefly: they are sent after answers."""
    deadline = time.monotonic() + 5
    while not _with_subject(smtp.handler.to(address), subject) and time.monotonic() < deadline:
        time.sleep(0.02)
    return _with_subject(smtp.handler.to(address), subject)


def _with_subject(messages: list[EmailMessage], subject: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["Subject"]) == subject]


@contextmanager
def people(url: str, *names: str) -> Iterator[list[Persona]]:
    clients = [httpx.Client(base_url=url, timeout=10) for _ in names]
    try:
        yield [Persona(name, client) for name, client in zip(names, clients, strict=True)]
    finally:
        for client in clients:
            client.close()
