"""Sending digests in tests: a pass at a chosen moment through a real SMTP server, and
what the messages link to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from smtp_server import SmtpServer

from paperwire.config import Settings
from paperwire.digest.send import PassReport, send_due_digests
from paperwire.mail import SmtpMailer, SmtpTarget
from paperwire.storage import Database

NEW_YORK = ZoneInfo("America/New_York")
SUBSCRIBED = datetime(2024, 1, 1, tzinfo=UTC)


def evening(day: date) -> datetime:
    """Two hours after the announcement of the next day's listing."""
    return datetime(day.year, day.month, day.day, 22, 0, tzinfo=NEW_YORK)


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "base_url": "https://papers.example.org/",
        "digest_retry_seconds": 60,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def send(
    db: Database, settings: Settings, smtp: SmtpServer, at: datetime, **kw: object
) -> PassReport:
    mailer = SmtpMailer(SmtpTarget.from_url(smtp.url), timeout_seconds=5)
    return send_due_digests(db, settings, mailer, at=at, **kw)  # type: ignore[arg-type]


def linked_ids(message: EmailMessage) -> list[str]:
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    return [line.rsplit("/papers/", 1)[1] for line in content.splitlines() if "/papers/" in line]
