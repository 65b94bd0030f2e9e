"""Render digests and confirmation e-mails: HTML with inlined styles plus a plain-text part."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from paperwire.config import Settings
from paperwire.digest.compose import Digest
from paperwire.digest.model import describe
from paperwire.digest.tokens import DigestTokens
from paperwire.mail import new_message
from paperwire.text import without_unsafe_controls_in
from paperwire.web.rendering import preview, short_authors

TEMPLATES_DIR = Path(__file__).parent / "templates"
ABSTRACT_PREVIEW_CHARS = 220  # about two lines in a mail client
# Styles are written inline, where every mail client applies them; the <style> block in
# the template only adds dark-mode colours for the clients that honour media queries.
STYLES = {
    "body": "margin:0;padding:0;background:#f4f4f5;",
    "outer": "width:100%;background:#f4f4f5;",
    "card": "max-width:600px;margin:0 auto;background:#ffffff;border:1px solid #e4e4e7;"
    "border-radius:6px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:#18181b;",
    "header": "padding:20px 24px 8px 24px;",
    "brand": "font-size:13px;font-weight:bold;letter-spacing:.04em;color:#b45309;"
    "text-decoration:none;",
    "title": "margin:4px 0 0 0;font-size:20px;line-height:1.3;color:#18181b;",
    "intro": "margin:6px 0 0 0;font-size:14px;line-height:1.5;color:#52525b;",
    "item": "padding:14px 24px;border-top:1px solid #e4e4e7;",
    "paper_title": "margin:0;font-size:16px;line-height:1.35;font-weight:bold;",
    "paper_link": "color:#1d4ed8;text-decoration:none;",
    "authors": "margin:4px 0 0 0;font-size:13px;line-height:1.4;color:#52525b;",
    "abstract": "margin:6px 0 0 0;font-size:14px;line-height:1.5;color:#27272a;",
    "meta": "margin:6px 0 0 0;font-size:12px;color:#71717a;",
    "footer": "padding:16px 24px 20px 24px;border-top:1px solid #e4e4e7;font-size:12px;"
    "line-height:1.6;color:#71717a;",
    "footer_link": "color:#52525b;text-decoration:underline;",
    "button": "display:inline-block;padding:10px 18px;background:#1d4ed8;color:#ffffff;"
    "border-radius:4px;text-decoration:none;font-weight:bold;",
}


@dataclass(frozen=True, slots=True)
class DigestLinks:
    view: str
    manage: str
    unsubscribe: str


class MailRenderer:
    """Builds every e-mail paperwire's digests send; needs the public base URL for links."""

    def __init__(self, settings: Settings, base_url: str, tokens: DigestTokens | None = None):
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens or DigestTokens(settings)
        self.domain = urlsplit(self.base_url).hostname or "paperwire.invalid"
        self.env = _environment()

    def links(self, digest: Digest, delivery_id: int) -> DigestLinks:
        subscription = digest.subscription
        return DigestLinks(
            view=self.url("/digest/view", self.tokens.view(delivery_id, subscription.id)),
            manage=self.url(
                "/digest/manage", self.tokens.manage(subscription.id, subscription.email)
            ),
            unsubscribe=self.url(
                "/digest/unsubscribe", self.tokens.unsubscribe(subscription.id, subscription.email)
            ),
        )

    def url(self, path: str, token: str) -> str:
        return f"{self.base_url}{path}?token={quote(token)}"

    def digest_html(self, digest: Digest, links: DigestLinks, *, in_browser: bool = False) -> str:
        context = self._context(digest, links) | {"in_browser": in_browser}
        return self.env.get_template("digest.html").render(context)

    def digest_message(self, digest: Digest, delivery_id: int) -> EmailMessage:
        """The complete message: both parts, Message-ID and one-click unsubscribe headers."""
        links = self.links(digest, delivery_id)
        context = self._context(digest, links)
        # The same delivery always gets the same Message-ID: should a crash ever make a
        # sender repeat one, mail clients can tell it is the same message.
        message = new_message(
            self.settings,
            to=digest.subscription.email,
            subject=subject(digest),
            message_id=f"<digest.{delivery_id}.{digest.period:%Y%m%d}@{self.domain}>",
        )
        # These headers are plain ASCII: set_raw skips the header parser, a third of the
        # cost of building a message (see docs/performance.md); the mail policy sends them
        # unfolded, so the unsubscribe URL stays one URL (RFC 2369, RFC 8058).
        message.set_raw("List-Id", f"paperwire digest <digest.{self.domain}>")
        message.set_raw("List-Unsubscribe", f"<{links.unsubscribe}>")
        message.set_raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        text = self.env.get_template("digest.txt").render(context)
        html = self.env.get_template("digest.html").render(context)
        set_alternative_parts(message, text, html)
        return message

    def confirmation_message(
        self, email: str, confirm_url: str, manage_url: str | None
    ) -> EmailMessage:
        """Double opt-in: the link that confirms; the manage link when already subscribed."""
        context = {"confirm_url": confirm_url, "manage_url": manage_url, "email": email}
        message = new_message(self.settings, to=email, subject="Confirm your paperwire digest")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.env.get_template("confirm.txt").render(context))
        message.add_alternative(
            self.env.get_template("confirm.html").render(context), subtype="html"
        )
        return message

    def _context(self, digest: Digest, links: DigestLinks) -> dict[str, object]:
        return {
            "digest": digest,
            "links": links,
            "heading": heading(digest.period),
            "about": describe(digest.subscription.preferences),
            "in_browser": False,
            "preview_chars": ABSTRACT_PREVIEW_CHARS,
            "base_url": self.base_url,
        }


def set_alternative_parts(message: EmailMessage, text: str, html: str) -> None:
    """Make message multipart/alternative with a UTF-8 text and HTML part, base64-encoded.

    The same structure set_content/add_alternative build, assembled directly: that halves
    the cost of building and sending a digest (see docs/performance.md).
    """
    message.set_raw("MIME-Version", "1.0")
    boundary = f"=_paperwire_{secrets.token_hex(12)}"
    message.set_raw("Content-Type", f'multipart/alternative; boundary="{boundary}"')
    message.set_payload([_text_part(text, "plain"), _text_part(html, "html")])


def _text_part(content: str, subtype: str) -> EmailMessage:
    part = EmailMessage()
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "base64")
    part.set_payload(base64.encodebytes(content.encode("utf-8")).decode("ascii"))
    return part


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The e-mail templates, compiled once per process."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Control and bidi-override characters in stored titles or names never reach a mail.
        finalize=without_unsafe_controls_in,
    )
    env.filters["preview"] = preview
    env.filters["short_authors"] = short_authors
    env.globals["s"] = STYLES
    return env


def heading(period: date) -> str:
    return f"{period:%a}, {period.day} {period:%B %Y}"


def subject(digest: Digest) -> str:
    count = len(digest.items)
    papers = f"{count} paper{'' if count == 1 else 's'}"
    kind = "trending" if digest.subscription.preferences.content == "trending" else "new"
    return (
        f"paperwire: {papers} {kind} for {heading(digest.period)}"
        if count
        else (f"paperwire: no new papers for {heading(digest.period)}")
    )
