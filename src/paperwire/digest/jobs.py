"""Digest jobs shared by the CLI and `serve`: one pass, and passes on a fixed interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from paperwire.config import Settings
from paperwire.digest.send import PassReport, require_base_url, send_due_digests
from paperwire.mail import mailer_from_settings
from paperwire.storage import Database
from paperwire.storage.job_locks import DIGEST_JOB, once_across_servers

log = logging.getLogger(__name__)


def run_digest_pass(
    db: Database,
    settings: Settings,
    at: datetime | None = None,
    on_message: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> PassReport:
    """Send what is due as of `at` (default: now) through the configured mailer."""
    moment = at or datetime.now(UTC)
    mailer = mailer_from_settings(settings)
    report = send_due_digests(db, settings, mailer, at=moment, on_message=on_message, stop=stop)
    log.info(
        "digests due as of %s: planned %d, sent %d, skipped %d, retrying %d, failed %d",
        moment.isoformat(timespec="minutes"),
        report.planned,
        report.sent,
        report.skipped,
        report.retrying,
        report.failed,
    )
    return report


def run_every(job: Callable[[], object], minutes: int, stop: threading.Event) -> None:
    """Run job now and then every `minutes` until stop is set; a failing run is logged and
    the next one resumes (claimed deliveries are released by their lease)."""
    while not stop.is_set():
        try:
            job()
        except Exception:
            log.exception("digest pass failed; the next pass resumes")
        stop.wait(timeout=minutes * 60)


def start_scheduled_digests(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Send digests from a background thread of `serve` when PAPERWIRE_DIGEST_IN_SERVE is
    on; None when it is off. Refuses (DigestConfigError) without PAPERWIRE_BASE_URL."""
    if not settings.digest_in_serve:
        return None
    require_base_url(settings)

    def send_until_stopped() -> None:
        db = Database.open(settings.effective_database_url())
        try:
            run_every(
                once_across_servers(
                    db, DIGEST_JOB, lambda: run_digest_pass(db, settings, stop=stop)
                ),
                settings.digest_interval_minutes,
                stop,
            )
        finally:
            db.close()

    thread = threading.Thread(target=send_until_stopped, name="digests", daemon=True)
    thread.start()
    return thread
