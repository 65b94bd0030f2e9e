"""Run a harvest now and then after each of arXiv's announcements, until asked to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from paperwire.ranking.calendar import next_announcement_after

log = logging.getLogger(__name__)


def next_run_after(now: datetime, delay_minutes: int) -> datetime:
    """When to harvest next: the next announcement plus the configured delay."""
    return next_announcement_after(now) + timedelta(minutes=delay_minutes)


def run_on_schedule(
    job: Callable[[], None],
    delay_minutes: int,
    stop: threading.Event,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run job at once, then after every announcement, until stop is set.

    A failing run is logged and the schedule goes on: the next run resumes from the
    checkpoint the failed one left.
    """
    while not stop.is_set():
        try:
            job()
        except Exception:
            log.exception("scheduled harvest failed; it will resume at the next run")
        wake = next_run_after(now(), delay_minutes)
        log.info("next harvest at %s", wake.isoformat(timespec="minutes"))
        stop.wait(timeout=max(0.0, (wake - now()).total_seconds()))
