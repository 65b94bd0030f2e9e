"""Digest pages: subscribe (double opt-in), confirm, manage, one-click unsubscribe, view.

A logged-in reader's request carries their account, and confirming it while logged in as
that account links the subscription to it (web/digest_settings.py shows it there).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import RateLimitItemPerDay, RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from paperwire.config import Settings
from paperwire.digest import subscriptions as service
from paperwire.digest.compose import Composer, Digest, digest_as_sent
from paperwire.digest.model import (
    MAX_TOPICS,
    WEEKDAYS,
    InvalidSubscription,
    Preferences,
    Subscription,
    Topic,
    content_of,
    describe,
    frequency_of,
    normalise_email,
    terms,
)
from paperwire.digest.render import MailRenderer
from paperwire.digest.schedule import due_period
from paperwire.digest.tokens import DigestTokens, InvalidToken
from paperwire.mail import Mailer, MailError
from paperwire.storage import digests as digest_store
from paperwire.web import auth, views
from paperwire.web.forms import Fields, Form, check_same_site
from paperwire.web.rendering import Renderer

log = logging.getLogger(__name__)
router = APIRouter(prefix="/digest", include_in_schema=False)
# The digest in a browser keeps its e-mail styles (inline) and runs nothing.
VIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SubscribeLimits:
    """Subscription requests per client address per hour and confirmation e-mails per
    address per day, counted in this process."""

    def __init__(self, settings: Settings) -> None:
        per_client = settings.subscribe_limit_per_hour
        per_email = settings.subscribe_email_limit_per_day
        self.client = RateLimitItemPerHour(per_client) if per_client else None
        self.email = RateLimitItemPerDay(per_email) if per_email else None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str, address: str) -> None:
        """429 when either is over its limit."""
        for item, key in ((self.client, f"client:{client}"), (self.email, f"email:{address}")):
            if item is not None and not self.limiter.hit(item, key):
                raise HTTPException(429, "Too many subscription requests; please try again later.")


def _renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def _tokens(request: Request) -> DigestTokens:
    return _renderer(request).digest_tokens


def _mail(request: Request) -> MailRenderer:
    """Links for e-mails: only ever to PAPERWIRE_BASE_URL (or loopback in development)."""
    site = views.email_link_base(request)
    if site is None:
        log.error("digest e-mail not sent: set PAPERWIRE_BASE_URL for links in e-mails")
        raise HTTPException(503, "E-mail is not set up on this instance yet; please try later.")
    return MailRenderer(views.settings(request), site, _tokens(request))


def _browser_mail(request: Request) -> MailRenderer:
    """Links for a digest shown in the browser: this request's own site is fine there."""
    return MailRenderer(views.settings(request), views.base_url(request), _tokens(request))


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    full = {"tab": None, "around": None, "weekdays": WEEKDAYS} | context
    return _renderer(request).page(request, name, full, status_code=status)


def _notice(
    request: Request, title: str, *lines: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    return _page(request, "digest_notice.html", status, title=title, lines=lines, **extra)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request) -> HTMLResponse:
    return _page(request, "digest_subscribe.html", preferences=Preferences())


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe(request: Request, form: Form) -> HTMLResponse:
    """Send the confirmation e-mail. The answer is the same whether or not the address is
    already subscribed."""
    check_same_site(request, form, _tokens(request))
    try:
        preferences = read_preferences(form, ())
        address = normalise_email(form.get("email"))
    except InvalidSubscription as error:
        return _notice(request, "Please check the form", f"{error}.", status=400, retry=True)
    user = auth.current_user(request)
    if not send_confirmation(request, address, preferences, user.id if user else None):
        return _notice(
            request,
            "We could not send the e-mail",
            "Please try again in a few minutes.",
            status=503,
        )
    return _notice(
        request,
        "Check your inbox",
        f"We sent a link to {address}. Open it to confirm your subscription.",
        "The link works for three days; nothing is sent to this address until it is used.",
    )


def send_confirmation(
    request: Request, address: str, preferences: Preferences, user_id: int | None
) -> bool:
    """Rate-limit, then e-mail the confirmation link; False when the mail server failed."""
    limits: SubscribeLimits = request.app.state.subscribe_limits
    limits.check(auth.client_address(request), address)
    links = _mail(request)
    mailer: Mailer = request.app.state.new_mailer()
    try:
        service.request_subscription(
            views.database(request), mailer, links, address, preferences, user_id
        )
    except MailError:
        return False
    finally:
        mailer.close()
    return True


@router.get("/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, token: str = "") -> HTMLResponse:
    """A button, not an action: mail scanners open links, only people press buttons."""
    try:
        asked = _tokens(request).read_confirm(token)
    except InvalidToken:
        return _expired(request)
    return _notice(
        request,
        "Confirm your subscription",
        f"Send {describe(asked.preferences)} to {asked.email}?",
        action="/digest/confirm",
        button="Confirm my subscription",
        **({"hidden": {"token": token}} | _account_note(request, asked.user_id, token)),
    )


def _account_note(request: Request, user_id: int | None, token: str) -> dict[str, Any]:
    """For a request made from an account: the account's CSRF token when it is the one
    logged in (confirming then links the subscription), else how to log in as it."""
    if user_id is None:
        return {}
    viewer = auth.current_user(request)
    if viewer is not None and viewer.id == user_id:
        return {
            "hidden": {"token": token, auth.CSRF_FIELD: auth.csrf_token(request) or ""},
            "note": "You asked for it from your account: it will be on your account page.",
        }
    back = quote(f"/digest/confirm?token={token}", safe="")
    return {
        "note": "To manage it from your account page, log in to the account that asked "
        "for it before confirming.",
        "link": f"/login?next={back}",
        "link_label": "Log in",
    }


@router.post("/confirm", response_class=HTMLResponse)
def confirm(request: Request, form: Form) -> HTMLResponse:
    """Linked to an account only when its session (with its CSRF token) confirms."""
    check_same_site(request, form, _tokens(request))
    viewer = auth.current_user(request)
    by = viewer.id if viewer and auth.csrf_matches(request, form.get(auth.CSRF_FIELD)) else None
    try:
        subscription = service.confirm_subscription(
            views.database(request),
            _browser_mail(request),
            form.get("token"),
            datetime.now(UTC),
            by,
        )
    except InvalidToken:
        return _expired(request)
    return _notice(
        request,
        "You are subscribed",
        f"{subscription.email} will get {describe(subscription.preferences)}.",
        "Every digest has a link to change or end the subscription.",
        link=_manage_path(request, subscription),
        link_label="Choose topics, frequency and size",
    )


@router.get("/manage", response_class=HTMLResponse)
def manage_page(request: Request, token: str = "", saved: bool = False) -> HTMLResponse:
    subscription = subscription_from_link(request, token, manage=True)
    if not subscription.is_active:
        return _ended(request)
    viewer = auth.current_user(request)
    return _page(
        request,
        "digest_manage.html",
        subscription=subscription,
        preferences=subscription.preferences,
        topics=topic_slots(subscription.preferences),
        token=token,
        offer_link=viewer is not None and subscription.user_id != viewer.id,
        unsubscribe_token=_tokens(request).unsubscribe(subscription.id, subscription.email),
        saved=saved,
    )


@router.post("/manage", response_class=HTMLResponse, response_model=None)
def manage(request: Request, form: Form) -> Response:
    check_same_site(request, form, _tokens(request))
    token = form.get("token")
    subscription = subscription_from_link(request, token, manage=True)
    try:
        preferences = read_preferences(form, read_topics(form))
        service.update_preferences(
            views.database(request), subscription, preferences, datetime.now(UTC)
        )
    except InvalidSubscription as error:
        return _notice(request, "Please check the form", f"{error}.", status=400, retry=True)
    return RedirectResponse(f"/digest/manage?token={quote(token)}&saved=true", status_code=303)


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str = "") -> HTMLResponse:
    subscription = subscription_from_link(request, token, manage=False)
    return _notice(
        request,
        "Unsubscribe",
        f"Stop sending paperwire digests to {subscription.email}?",
        action=f"/digest/unsubscribe?token={token}",
        button="Unsubscribe",
        hidden={},
    )


@router.post("/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, form: Form, token: str = "") -> HTMLResponse:
    """RFC 8058 one-click: mail clients POST here with the signed token in the URL and no
    form token, so the signed link itself is the only proof needed."""
    subscription = subscription_from_link(request, token or form.get("token"), manage=False)
    service.cancel_subscription(views.database(request), subscription, datetime.now(UTC))
    return _notice(
        request,
        "Unsubscribed",
        f"No more digests will be sent to {subscription.email}.",
        "Changed your mind? Subscribe again from any list page.",
    )


@router.get("/view", response_class=HTMLResponse)
def view(request: Request, token: str = "") -> HTMLResponse:
    """A digest that was sent, as its e-mail showed it."""
    try:
        delivery_id, subscription_id = _tokens(request).read_view(token)
    except InvalidToken:
        return _expired(request)
    db = views.database(request)
    sent = digest_store.sent_digest(db, delivery_id)
    subscription = digest_store.subscription_by_id(db, subscription_id)
    if sent is None or subscription is None or sent.subscription_id != subscription_id:
        raise HTTPException(404, "This digest is not known here.")
    digest = digest_as_sent(db, subscription, sent)
    return _digest_html(request, digest, delivery_id)


@router.get("/preview", response_class=HTMLResponse)
def preview(request: Request, token: str = "") -> HTMLResponse:
    """The digest a subscriber would get if it were sent now."""
    subscription = subscription_from_link(request, token, manage=True)
    settings = views.settings(request)
    prefs = subscription.preferences
    period = due_period(
        prefs.frequency, prefs.weekday, datetime.now(UTC), settings.digest_delay_minutes
    )
    digest = Composer(views.database(request), settings).compose(subscription, period)
    return _digest_html(request, digest, 0)


def _digest_html(request: Request, digest: Digest, delivery_id: int) -> HTMLResponse:
    mail = _browser_mail(request)
    html = mail.digest_html(digest, mail.links(digest, delivery_id), in_browser=True)
    return HTMLResponse(html, headers={"Content-Security-Policy": VIEW_CSP})


def subscription_from_link(request: Request, token: str, *, manage: bool) -> Subscription:
    """The subscription a manage (or unsubscribe) token names; 400 when it is not valid."""
    tokens = _tokens(request)
    try:
        subscription_id, email = (
            tokens.read_manage(token) if manage else tokens.read_unsubscribe(token)
        )
        return service.subscription_for_link(views.database(request), subscription_id, email)
    except InvalidToken:
        raise HTTPException(
            400, "This link is damaged or too old; use the one in your latest digest."
        ) from None


def _manage_path(request: Request, subscription: Subscription) -> str:
    return f"/digest/manage?token={_tokens(request).manage(subscription.id, subscription.email)}"


def _expired(request: Request) -> HTMLResponse:
    return _notice(
        request,
        "This link has expired",
        "Confirmation links work for three days: subscribe again.",
        status=400,
        link="/digest/subscribe",
        link_label="Subscribe",
    )


def _ended(request: Request) -> HTMLResponse:
    return _notice(
        request,
        "This subscription has ended",
        "Subscribe again from any list page.",
        link="/digest/subscribe",
        link_label="Subscribe",
    )


def topic_slots(preferences: Preferences) -> list[Topic]:
    """The topics to show on a settings form: the subscription's and one empty one."""
    return [*preferences.topics, Topic()][:MAX_TOPICS]


def read_preferences(form: Fields, topics: tuple[Topic, ...]) -> Preferences:
    """The settings posted by a subscribe or settings form; InvalidSubscription if wrong."""
    try:
        weekday, size = int(form.get("weekday", "0")), int(form.get("size", "10"))
    except ValueError:
        raise InvalidSubscription("weekday and size must be numbers") from None
    return Preferences(
        frequency=frequency_of(form.get("frequency", "daily")),
        weekday=weekday,
        size=size,
        content=content_of(form.get("content", "trending")),
        topics=topics,
    ).check()


def read_topics(form: Fields) -> tuple[Topic, ...]:
    """The topics filled in on the manage form; blank ones are left out."""
    found = [_topic(form, f"topic-{number}-") for number in range(MAX_TOPICS)]
    return tuple(topic for topic in found if topic != Topic(name=topic.name))


def _topic(form: Fields, prefix: str) -> Topic:
    return Topic(
        name=form.get(f"{prefix}name").strip()[:80],
        include=terms(form.get(f"{prefix}include")),
        exclude=terms(form.get(f"{prefix}exclude")),
        authors=terms(form.get(f"{prefix}authors")),
        categories=terms(form.get(f"{prefix}categories")),
        query=form.get(f"{prefix}query").strip()[:500],
    )
