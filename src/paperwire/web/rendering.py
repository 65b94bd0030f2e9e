"""Jinja2 environment and the filters pages use to show papers."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperwire import __version__, citations
from paperwire.config import Settings
from paperwire.digest.model import describe
from paperwire.digest.tokens import DigestTokens
from paperwire.ranking.calendar import PeriodKind, period_of
from paperwire.storage.follows import follow_key
from paperwire.text import without_unsafe_controls_in
from paperwire.web import auth

TEMPLATES_DIR = Path(__file__).parent / "templates"
PREVIEW_CHARS = 300
AUTHORS_SHOWN = 6


class Renderer:
    """Renders templates with the shared context every page needs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Jinja2Templates(directory=TEMPLATES_DIR)
        env = self.templates.env
        # Templates ship inside the package and change only with it: no stat() of every
        # template a page extends or includes on each render.
        env.auto_reload = False
        # Whatever the database holds, no control or bidi-override character reaches a page.
        env.finalize = without_unsafe_controls_in
        env.filters["preview"] = preview
        env.filters["short_authors"] = short_authors
        env.filters["paragraphs"] = paragraphs
        env.filters["long_date"] = long_date
        env.filters["citation_date"] = citation_date
        env.filters["bibtex"] = citations.bibtex_entry
        env.filters["plain_citation"] = citations.plain_citation
        env.globals["version"] = __version__
        env.globals["period_url"] = period_url
        env.filters["digest_description"] = describe
        env.filters["follow_key"] = follow_key
        env.globals["digest_form_token"] = lambda: self.digest_tokens.form()

    @cached_property
    def digest_tokens(self) -> DigestTokens:
        """Built on first use: the secret key may be generated into the data directory."""
        return DigestTokens(self.settings)

    def page(
        self, request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
    ) -> HTMLResponse:
        full = {
            "request": request,
            "base_url": public_base_url(self.settings, request),
            "viewer": auth.current_user(request),
            "csrf": auth.csrf_token(request),
        } | context
        response = self.templates.TemplateResponse(request, name, full, status_code=status_code)
        auth.save_new_session(request, response)
        return response


_URL_KIND = {"day": "date", "week": "week", "month": "month"}


def public_base_url(settings: Settings, request: Request) -> str:
    """This instance's public URL: PAPERWIRE_BASE_URL, or the one the request came to."""
    return settings.base_url.rstrip("/") or str(request.base_url).rstrip("/")


def period_url(kind: PeriodKind, day: date | None) -> str:
    """The page of the day, week or month holding day; the front page when day is unknown."""
    if day is None:
        return "/"
    return f"/papers/{_URL_KIND[kind]}/{period_of(kind, day).label}"


def preview(abstract: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of an abstract, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(abstract.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def short_authors(authors: tuple[str, ...], shown: int = AUTHORS_SHOWN) -> str:
    """'A, B, C' or 'A, B, … and 12 more' for long author lists."""
    if len(authors) <= shown:
        return ", ".join(authors)
    return f"{', '.join(authors[:shown])} and {len(authors) - shown} more"


def paragraphs(text: str) -> list[str]:
    return [part for part in text.split("\n\n") if part.strip()]


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return "unknown"
    day = value.date() if isinstance(value, datetime) else value
    return f"{day.day} {day:%B %Y}"


def citation_date(value: date | datetime | None) -> str:
    """Google Scholar wants YYYY/MM/DD."""
    if value is None:
        return ""
    return f"{value:%Y/%m/%d}"
