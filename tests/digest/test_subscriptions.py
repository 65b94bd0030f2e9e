"""Subscription services: confirmation rules, import parsing, and the confirmation e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.digest import subscriptions as service
from paperwire.digest.model import InvalidSubscription, Preferences
from paperwire.digest.render import MailRenderer
from paperwire.digest.tokens import InvalidToken
from paperwire.storage import Database


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def close(self) -> None:
        return None


@pytest.fixture
def renderer(tmp_path: Path) -> MailRenderer:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    return MailRenderer(settings, "https://papers.example.org")


def _confirm_token(mailer: RecordingMailer) -> str:
    text = mailer.sent[-1].get_body(("plain",))
    assert text is not None
    (link,) = [line for line in text.get_content().split() if "/digest/confirm?token=" in line]
    return link.split("token=")[1]


def test_a_confirmation_link_made_before_an_unsubscribe_is_refused(
    db: Database, renderer: MailRenderer
) -> None:
    mailer = RecordingMailer()
    service.request_subscription(db, mailer, renderer, "Ada@Example.org", Preferences(size=4))
    token = _confirm_token(mailer)
    subscription = service.confirm_subscription(db, renderer, token, datetime.now(UTC))
    assert (subscription.email, subscription.preferences.size) == ("ada@example.org", 4)
    later = datetime.now(UTC) + timedelta(seconds=5)
    service.cancel_subscription(db, subscription, later)
    with pytest.raises(InvalidToken, match="before the address unsubscribed"):
        service.confirm_subscription(db, renderer, token, later)


def test_only_a_subscribed_address_gets_a_manage_link(db: Database, renderer: MailRenderer) -> None:
    mailer = RecordingMailer()
    service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences())
    service.confirm_subscription(db, renderer, _confirm_token(mailer), datetime.now(UTC))
    service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences())
    service.request_subscription(db, mailer, renderer, "bob@example.org", Preferences())
    bodies = [m.get_body(("plain",)) for m in mailer.sent[1:]]
    assert ["/digest/manage?token=" in b.get_content() for b in bodies if b] == [True, False]


def test_requests_with_bad_values_are_refused(db: Database, renderer: MailRenderer) -> None:
    mailer = RecordingMailer()
    with pytest.raises(InvalidSubscription, match="e-mail address"):
        service.request_subscription(db, mailer, renderer, "ada@", Preferences())
    with pytest.raises(InvalidSubscription, match="1 to 50"):
        service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences(size=99))
    with pytest.raises(InvalidSubscription, match="at least one topic"):
        service.request_subscription(
            db, mailer, renderer, "ada@example.org", Preferences(content="topics")
        )
    assert mailer.sent == []


def test_import_reads_email_and_frequency_and_reports_bad_lines(db: Database) -> None:
    text = (
        "email,frequency\nada@example.org,weekly\nbob@example.org\nbad,daily\n"
        "cy@example.org,hourly\n"
    )
    report = service.import_subscribers(db, text, datetime.now(UTC))
    assert (report.added, report.already_known) == (2, 0)
    assert report.problems == [
        "line 4: that does not look like an e-mail address",
        "line 5: frequency 'hourly' is not daily or weekly",
    ]


def test_a_subscription_is_linked_only_when_the_requesting_account_confirms(
    db: Database, renderer: MailRenderer
) -> None:
    mailer = RecordingMailer()
    now = datetime.now(UTC)
    service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences(), 7)
    token = _confirm_token(mailer)
    assert service.confirm_subscription(db, renderer, token, now).user_id is None
    assert service.confirm_subscription(db, renderer, token, now, confirmed_by=8).user_id is None
    linked = service.confirm_subscription(db, renderer, token, now, confirmed_by=7)
    assert linked.user_id == 7
    assert [s.id for s in service.subscriptions_of_user(db, 7)] == [linked.id]
    assert service.subscription_of_user(db, linked.id, 8) is None
    # A later confirmation without an account keeps the proven link.
    service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences())
    assert service.confirm_subscription(db, renderer, _confirm_token(mailer), now).user_id == 7


def test_only_active_subscriptions_are_listed_or_linked(
    db: Database, renderer: MailRenderer
) -> None:
    mailer = RecordingMailer()
    service.request_subscription(db, mailer, renderer, "ada@example.org", Preferences(), 7)
    now = datetime.now(UTC)
    subscription = service.confirm_subscription(db, renderer, _confirm_token(mailer), now, 7)
    service.cancel_subscription(db, subscription, now)
    assert service.subscriptions_of_user(db, 7) == []
    with pytest.raises(InvalidSubscription, match="has ended"):
        service.link_subscription(db, subscription, 8, now)
