"""Subscription services: request (double opt-in), confirm, manage, unsubscribe, import.

Views, commands and the account page call these; none of them speaks SQL or knows about
HTTP. An account holds a subscription only once it proved it owns the address.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from paperwire.digest.model import (
    InvalidSubscription,
    Preferences,
    Subscription,
    frequency_of,
    normalise_email,
)
from paperwire.digest.render import MailRenderer
from paperwire.digest.tokens import InvalidToken
from paperwire.mail import Mailer
from paperwire.storage import Database
from paperwire.storage import digests as digest_store


def request_subscription(
    db: Database,
    mailer: Mailer,
    renderer: MailRenderer,
    email: str,
    preferences: Preferences,
    user_id: int | None = None,
) -> str:
    """E-mail a confirmation link carrying the request; store nothing until it is used.

    What the requester sees never depends on whether the address is subscribed: only the
    mailbox's owner learns that, from the e-mail (which then also holds a manage link).
    user_id, the logged-in requester, travels in the link (see confirm_subscription).
    Returns the normalised address.
    """
    address = normalise_email(email)
    preferences.check()
    existing = digest_store.subscription_by_email(db, address)
    tokens = renderer.tokens
    manage_url = None
    if existing is not None and existing.is_active:
        manage_url = renderer.url("/digest/manage", tokens.manage(existing.id, existing.email))
    confirm_url = renderer.url("/digest/confirm", tokens.confirm(address, preferences, user_id))
    mailer.send(renderer.confirmation_message(address, confirm_url, manage_url))
    return address


def confirm_subscription(
    db: Database, renderer: MailRenderer, token: str, now: datetime, confirmed_by: int | None = None
) -> Subscription:
    """Activate the subscription a confirmation link asks for; InvalidToken when the link
    is forged, expired, or older than the address's last unsubscribe.

    It is linked to the account that asked only when that same account confirms
    (confirmed_by): the link proves the mailbox, the session the account. Anyone can type
    someone else's address, so a link followed by another person links nothing.
    """
    request = renderer.tokens.read_confirm(token)
    existing = digest_store.subscription_by_email(db, request.email)
    left = existing.unsubscribed_at if existing is not None else None
    if left is not None and left.timestamp() > request.issued_at:
        raise InvalidToken("this link was sent before the address unsubscribed")
    try:
        preferences = request.preferences.check()
    except InvalidSubscription as error:
        raise InvalidToken(str(error)) from error
    owner = request.user_id if request.user_id == confirmed_by else None
    return digest_store.activate_subscription(db, request.email, preferences, now, owner)


def subscription_for_link(db: Database, subscription_id: int, email: str) -> Subscription:
    """The subscription a signed link names; InvalidToken when it no longer matches."""
    found = digest_store.subscription_by_id(db, subscription_id)
    if found is None or found.email != email:
        raise InvalidToken("this link belongs to a subscription that no longer exists")
    return found


def subscriptions_of_user(db: Database, user_id: int) -> list[Subscription]:
    """The active subscriptions an account proved it owns."""
    return digest_store.active_subscriptions_of_user(db, user_id)


def subscription_of_user(db: Database, subscription_id: int, user_id: int) -> Subscription | None:
    """The subscription if it is linked to this account, else None, whether it exists or
    not: an account learns nothing about other people's subscriptions."""
    found = digest_store.subscription_by_id(db, subscription_id)
    return found if found is not None and found.user_id == user_id else None


def link_subscription(
    db: Database, subscription: Subscription, user_id: int, now: datetime
) -> None:
    """Let an account manage a subscription whose manage link it holds (the link proves the
    mailbox); InvalidSubscription when it is not active."""
    if not digest_store.link_to_user(db, subscription.id, user_id, now):
        raise InvalidSubscription("this subscription has ended; subscribe again first")


def update_preferences(
    db: Database, subscription: Subscription, preferences: Preferences, now: datetime
) -> Subscription:
    """Change an active subscription; InvalidSubscription when it is not active, or when
    it asks for a reader's feed without belonging to an account (whose address is proven
    and whose library the feed is made from)."""
    if preferences.content == "for-you" and subscription.user_id is None:
        raise InvalidSubscription(
            "a digest of your feed belongs to an account: log in and manage it from your "
            "account page"
        )
    if not digest_store.set_preferences(db, subscription.id, preferences.check(), now):
        raise InvalidSubscription("this subscription has ended; subscribe again first")
    updated = digest_store.subscription_by_id(db, subscription.id)
    assert updated is not None
    return updated


def cancel_subscription(db: Database, subscription: Subscription, now: datetime) -> None:
    """Unsubscribe (idempotent) and drop digests not yet sent."""
    digest_store.unsubscribe(db, subscription.id, now)
    digest_store.drop_pending_deliveries(db, subscription.id)


@dataclass
class ImportReport:
    added: int = 0
    already_known: int = 0
    problems: list[str] = field(default_factory=list)


def import_subscribers(db: Database, text: str, now: datetime) -> ImportReport:
    """Add confirmed subscribers from CSV with columns email,frequency (header optional).

    The operator vouches for the addresses (an existing list moving to paperwire), so no
    confirmation e-mail is sent. Known addresses are left unchanged.
    """
    report = ImportReport()
    rows: dict[str, Preferences] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and row[0].strip().lower() == "email"):
            continue
        try:
            email, preferences = _csv_subscriber(row)
        except InvalidSubscription as error:
            report.problems.append(f"line {number}: {error}")
            continue
        rows.setdefault(email, preferences)
    report.added = digest_store.import_subscriptions(db, list(rows.items()), now)
    report.already_known = len(rows) - report.added
    return report


def _csv_subscriber(row: list[str]) -> tuple[str, Preferences]:
    frequency = frequency_of(row[1] if len(row) > 1 and row[1].strip() else "daily")
    return normalise_email(row[0]), Preferences(frequency=frequency).check()
