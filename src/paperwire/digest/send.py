"""Send due digests: plan deliveries, claim one at a time, compose, render, send, record."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from paperwire.config import Settings
from paperwire.digest.compose import Composer
from paperwire.digest.model import FREQUENCIES
from paperwire.digest.render import MailRenderer
from paperwire.digest.schedule import due_moment, due_period
from paperwire.mail import Mailer, PermanentMailError, TemporaryMailError
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.digests import ClaimedDelivery, History

log = logging.getLogger(__name__)
MAX_RETRY_WAIT_SECONDS = 24 * 3600
# Deliveries claimed per transaction. Each is still recorded as sent in its own
# transaction; a crash leaves at most this many claimed until their lease runs out.
CLAIM_BATCH = 20
MAX_ERRORS_KEPT = 100  # permanent failures listed in a pass report; all are in the database
# After this many temporary failures in a row the SMTP server is taken to be down: the
# pass ends instead of marking every remaining digest for a retry.
MAX_TEMPORARY_FAILURES_IN_A_ROW = 5
Clock = Callable[[], datetime]


class DigestConfigError(RuntimeError):
    """The settings do not allow sending digests; the message says what to set."""


@dataclass
class PassReport:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    stopped_early: bool = False
    errors: list[str] = field(default_factory=list)


def require_base_url(settings: Settings) -> str:
    """The public URL digest links point to; digests are not sent without one."""
    if not settings.base_url.strip():
        raise DigestConfigError(
            "PAPERWIRE_BASE_URL is empty: set it to this instance's public URL "
            "(such as https://papers.example.org) so that links in digests work"
        )
    return settings.base_url.strip().rstrip("/")


def plan_due_deliveries(db: Database, settings: Settings, at: datetime) -> int:
    """Add the deliveries due as of `at` (daily, and weekly for each weekday)."""
    planned = 0
    delay = settings.digest_delay_minutes
    for frequency in FREQUENCIES:
        for weekday in (None,) if frequency == "daily" else range(7):
            period = due_period(frequency, weekday or 0, at, delay)
            due_at = due_moment(frequency, period, delay)
            if due_at > at:
                continue
            planned += digest_store.plan_deliveries(
                db, frequency=frequency, weekday=weekday, period=period, due_at=due_at
            )
    return planned


def send_due_digests(
    db: Database,
    settings: Settings,
    mailer: Mailer,
    *,
    at: datetime,
    clock: Clock = lambda: datetime.now(UTC),
    on_message: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> PassReport:
    """One pass: plan what is due as of `at`, then send every claimable delivery.

    Each message is recorded as sent in its own transaction right after the SMTP server
    accepted it, so a pass killed at any moment repeats at most the one message that was
    accepted but not yet recorded (see docs/digests.md).
    """
    sender = _Sender(db, settings, mailer, clock)
    report = PassReport(planned=plan_due_deliveries(db, settings, at))
    try:
        while not report.stopped_early and not (stop is not None and stop.is_set()):
            batch = sender.claim()
            if not batch:
                break
            sender.deliver_batch(batch, report, on_message, stop)
    finally:
        mailer.close()
    return report


class _Sender:
    def __init__(self, db: Database, settings: Settings, mailer: Mailer, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer
        self.clock = clock
        self.token = secrets.token_hex(16)
        self.in_a_row = 0  # temporary failures in a row
        # A message is only begun while its claim outlasts one full SMTP timeout.
        self.lease_margin = timedelta(seconds=settings.smtp_timeout_seconds)
        self.composer = Composer(db, settings)
        self.renderer = MailRenderer(settings, require_base_url(settings))
        if settings.digest_lease_seconds <= settings.smtp_timeout_seconds:
            raise DigestConfigError(
                "PAPERWIRE_DIGEST_LEASE_SECONDS must be longer than "
                "PAPERWIRE_SMTP_TIMEOUT_SECONDS, or no digest could be sent within its claim"
            )

    def claim(self) -> list[ClaimedDelivery]:
        return digest_store.claim_deliveries(
            self.db,
            now=self.clock(),
            lease_seconds=self.settings.digest_lease_seconds,
            token=self.token,
            limit=CLAIM_BATCH,
        )

    def deliver_batch(
        self,
        batch: list[ClaimedDelivery],
        report: PassReport,
        on_message: Callable[[str], None] | None,
        stop: threading.Event | None,
    ) -> None:
        """Send a claimed batch one message at a time; on a stop request or an SMTP server
        that keeps failing, give the rest back."""
        histories = digest_store.histories(self.db, [c.subscription.id for c in batch])
        self.composer.prepare([c.subscription for c in batch])
        for number, claimed in enumerate(batch):
            outcome = self.deliver(claimed, histories[claimed.subscription.id], report)
            self.in_a_row = self.in_a_row + 1 if outcome == "retrying" else 0
            if on_message is not None:
                on_message(outcome)
            report.stopped_early = self.in_a_row >= MAX_TEMPORARY_FAILURES_IN_A_ROW
            if report.stopped_early or (stop is not None and stop.is_set()):
                digest_store.release_claims(self.db, batch[number + 1 :])
                return

    def deliver(self, claimed: ClaimedDelivery, history: History, report: PassReport) -> str:
        """Compose, send and record one claimed delivery; returns what became of it."""
        if self.clock() + self.lease_margin >= claimed.claimed_until:
            # Too late to send within the lease: another sender may take it from now on.
            return "expired"
        try:
            digest = self.composer.compose(claimed.subscription, claimed.period, history)
            if not digest.items and self.settings.digest_skip_empty:
                digest_store.record_skipped(self.db, claimed)
                report.skipped += 1
                return "skipped"
            message = self.renderer.digest_message(digest, claimed.id)
            self.mailer.send(message)
        except PermanentMailError as error:
            return self._failed(claimed, report, str(error), retry=False)
        except TemporaryMailError as error:
            return self._failed(claimed, report, str(error), retry=True)
        except Exception as error:  # a bug or a database hiccup: retried like a 4xx
            log.exception("digest %d failed before it was sent", claimed.id)
            return self._failed(claimed, report, f"internal error: {error}", retry=True)
        ids = [item.paper.arxiv_id for item in digest.items]
        if not digest_store.record_sent(self.db, claimed, ids, self.clock()):
            log.warning("digest %d was sent after its lease ran out", claimed.id)
        report.sent += 1
        return "sent"

    def _failed(
        self, claimed: ClaimedDelivery, report: PassReport, error: str, *, retry: bool
    ) -> str:
        retry_at = self._retry_at(claimed) if retry else None
        digest_store.record_failure(self.db, claimed, error, retry_at)
        where = claimed.subscription.email
        if retry_at is None:
            log.warning("digest %d to %s failed for good: %s", claimed.id, where, error)
            report.failed += 1
            if len(report.errors) < MAX_ERRORS_KEPT:
                report.errors.append(f"{where}: {error}")
            return "failed"
        log.info("digest %d to %s will be retried at %s: %s", claimed.id, where, retry_at, error)
        report.retrying += 1
        return "retrying"

    def _retry_at(self, claimed: ClaimedDelivery) -> datetime | None:
        """Exponential backoff; None once the attempts are used up."""
        if claimed.attempts >= self.settings.digest_max_attempts:
            return None
        wait = self.settings.digest_retry_seconds * 2 ** (claimed.attempts - 1)
        return self.clock() + timedelta(seconds=min(wait, MAX_RETRY_WAIT_SECONDS))
