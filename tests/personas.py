"""Named people for permission tests (alice, bob, mallory): each a browser-like HTTP client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from factories import PASSWORD, make_paper
from live_server import serving

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.web.app import create_app

_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
TODAY = date(2026, 6, 18)  # the latest listing day of the community fixture papers
TOP, SECOND, OLDER = "2606.30001", "2606.30002", "2606.30003"
NO_LIMITS = {
    "signup_limit_per_hour": 0,
    "login_limit_per_minute": 0,
    "vote_limit_per_minute": 0,
    "comment_limit_per_hour": 0,
    "submission_limit_per_day": 0,
    "digest_settings_limit_per_hour": 0,
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

    def sign_up(self) -> httpx.Response:
        form = {"username": self.name, "email": f"{self.name}@example.org", "password": PASSWORD}
        response = self.post("/signup", form)
        assert response.status_code == 303, response.text
        return response

    def log_in(self, password: str = PASSWORD) -> httpx.Response:
        return self.post("/login", {"login": self.name, "password": password})

    def vote(self, arxiv_id: str, up: str | None = "1", **kw: Any) -> httpx.Response:
        form = {"paper": arxiv_id} | ({"up": up} if up is not None else {})
        return self.post("/vote", form, **kw)

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.text


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
def community_server(db: Database, folder: Path, **overrides: Any) -> Iterator[str]:
    """A live server over the community fixture papers; rate limits off unless overridden."""
    fill_community(db)
    settings = Settings(data_dir=folder, page_size=10, **(NO_LIMITS | overrides))
    with serving(create_app(settings, db)) as url:
        yield url


@contextmanager
def people(url: str, *names: str) -> Iterator[list[Persona]]:
    clients = [httpx.Client(base_url=url, timeout=10) for _ in names]
    try:
        yield [Persona(name, client) for name, client in zip(names, clients, strict=True)]
    finally:
        for client in clients:
            client.close()
