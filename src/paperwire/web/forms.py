"""Forms posted to paperwire: URL-encoded bodies read with a size cap, and CSRF checks.

The public digest forms, used without an account, prove they came from one of paperwire's
own pages with a signed, expiring token in a hidden field, and the browser's Origin (or
Referer) header must name this site. Account forms use the session CSRF token (auth.py).
"""

from __future__ import annotations

from typing import Annotated, Protocol
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, HTTPException, Request

from paperwire.digest.tokens import DigestTokens, InvalidToken
from paperwire.web.rendering import public_base_url

MAX_FORM_BYTES = 64 * 1024
FORM_TOKEN_FIELD = "form_token"
URLENCODED = "application/x-www-form-urlencoded"


class Fields(Protocol):
    """Any posted form: these fields or auth.PostedForm (session CSRF checked)."""

    def get(self, name: str, default: str = "") -> str: ...


class FormFields:
    """The fields of one posted form; a missing field reads as an empty string."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def get(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default


async def read_form(request: Request) -> FormFields:
    """The URL-encoded body (what a plain HTML form sends); other bodies read as empty."""
    if not request.headers.get("content-type", "").startswith(URLENCODED):
        return FormFields({})
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "That form is too large.")
    return FormFields(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))


Form = Annotated[FormFields, Depends(read_form)]


def check_same_site(request: Request, form: FormFields, tokens: DigestTokens) -> None:
    """403 unless the form carries a valid form token and the browser says it was sent
    from this site (an absent Origin and Referer is allowed: the token still has to fit)."""
    expected = _origin(public_base_url(request.app.state.settings, request))
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    sender = origin if origin and origin != "null" else (_origin(referer) if referer else None)
    if (origin == "null") or (sender is not None and sender != expected):
        raise HTTPException(403, "This form was sent from another site; use the form on this one.")
    try:
        tokens.check_form(form.get(FORM_TOKEN_FIELD))
    except InvalidToken:
        raise HTTPException(
            403, "This form has expired; reload the page and send it again."
        ) from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
