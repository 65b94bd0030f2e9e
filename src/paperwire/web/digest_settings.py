"""The e-mail digest on the account page: subscribe, change and end the subscriptions an
account proved it owns (docs/digests.md, "Subscriptions on the account page")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from paperwire.digest import subscriptions as service
from paperwire.digest.model import (
    WEEKDAYS,
    InvalidSubscription,
    Preferences,
    Subscription,
    normalise_email,
)
from paperwire.storage import tokens as token_store
from paperwire.storage.users import User
from paperwire.web import auth, digests
from paperwire.web.auth import PostedForm
from paperwire.web.rendering import Renderer
from paperwire.web.views import database

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]
SettingsForm = Annotated[PostedForm, Depends(auth.posted_settings_form)]


def account_digest(request: Request, user: User) -> dict[str, Any]:
    """What the account page shows of the digest: each linked subscription with its
    settings, or (none linked) the subscribe form prefilled with the account's address."""
    linked = service.subscriptions_of_user(database(request), user.id)
    entries = [{"subscription": s, "topics": digests.topic_slots(s.preferences)} for s in linked]
    return {"digest_entries": entries, "preferences": Preferences(), "weekdays": WEEKDAYS}


@router.post("/account/digest", response_class=HTMLResponse)
def subscribe(request: Request, form: Form) -> HTMLResponse:
    """Double opt-in as from any form; the answer is the same whether or not the address
    is subscribed. Confirming while logged in as this account links the subscription."""
    user = _acting_user(request)
    try:
        preferences = digests.read_preferences(form, ())
        address = normalise_email(form.get("email"))
    except InvalidSubscription as error:
        return account_page(request, user, 400, digest_error=f"{error}.")
    if not digests.send_confirmation(request, address, preferences, user.id):
        return account_page(request, user, 503, digest_error="We could not send the e-mail.")
    sent = f"We sent a link to {address}. Open it while logged in here and confirm."
    return account_page(request, user, digest_notice=sent)


@router.post("/account/digest/link", response_class=HTMLResponse)
def link(request: Request, form: Form) -> HTMLResponse:
    """A manage link (which proves the mailbox) plus this session link the two."""
    user = _acting_user(request)
    subscription = digests.subscription_from_link(request, form.get("token"), manage=True)
    try:
        service.link_subscription(database(request), subscription, user.id, datetime.now(UTC))
    except InvalidSubscription as error:
        return account_page(request, user, 400, digest_error=f"{error}.")
    notice = f"The digest of {subscription.email} is now managed from this page."
    return account_page(request, user, digest_notice=notice)


@router.post("/account/digest/{subscription_id}", response_class=HTMLResponse)
def update(request: Request, subscription_id: int, form: SettingsForm) -> HTMLResponse:
    user = _acting_user(request)
    subscription = _owned(request, user, subscription_id)
    try:
        preferences = digests.read_preferences(form, digests.read_topics(form))
        service.update_preferences(database(request), subscription, preferences, datetime.now(UTC))
    except InvalidSubscription as error:
        return account_page(request, user, 400, digest_error=f"{error}.")
    return account_page(request, user, digest_notice=f"Saved the digest of {subscription.email}.")


@router.post("/account/digest/{subscription_id}/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, subscription_id: int, _form: Form) -> HTMLResponse:
    user = _acting_user(request)
    subscription = _owned(request, user, subscription_id)
    service.cancel_subscription(database(request), subscription, datetime.now(UTC))
    notice = f"No more digests will be sent to {subscription.email}."
    return account_page(request, user, digest_notice=notice)


def _acting_user(request: Request) -> User:
    user = auth.require_user(request)
    auth.check_limit(request, "digest", f"user:{user.id}")
    return user


def _owned(request: Request, user: User, subscription_id: int) -> Subscription:
    """404 for another account's subscription as for one that does not exist."""
    found = service.subscription_of_user(database(request), subscription_id, user.id)
    if found is None:
        raise HTTPException(404, "You have no such subscription.")
    return found


def account_context(request: Request, user: User) -> dict[str, Any]:
    """Everything the account page shows besides its forms' messages: the digest and the
    API tokens."""
    tokens = token_store.active_tokens(database(request), user.id)
    return account_digest(request, user) | {"tokens": tokens}


def account_page(request: Request, user: User, status: int = 200, **extra: Any) -> HTMLResponse:
    """The account page after one of its forms was posted, with that form's message."""
    renderer: Renderer = request.app.state.renderer
    context = {"tab": None, "around": None, "next": ""} | account_context(request, user)
    return renderer.page(request, "account.html", context | extra, status_code=status)
