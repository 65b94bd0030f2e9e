"""Run a harvest now and then after each of arXiv's announcements, until asked to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from paperwire.ingest.arxiv.harvest import HarvestError
from paperwire.ranking.calendar import next_announcement_after

log = logging.getLogger(__name__)


NextRun = Callable[[datetime], datetime]


def after_announcements(delay_minutes: int) -> NextRun:
    """The default schedule: the next arXiv announcement plus a delay for the feeds."""
    return lambda now: next_announcement_after(now) + timedelta(minutes=delay_minutes)


def every(minutes: int) -> NextRun:
    """A fixed interval, for mirrors and tests that do not follow arXiv's calendar."""
    return lambda now: now + timedelta(minutes=minutes)


def run_on_schedule(
    job: Callable[[], None],
    next_run: NextRun,
    stop: threading.Event,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run job at once, then whenever next_run says, until stop is set.

    A failing run is logged and the schedule goes on: the next run resumes from the
    checkpoint the failed one left.
    """
    while not stop.is_set():
        try:
            job()
        except HarvestError as error:
            log.error("scheduled harvest failed: %s; the next run resumes", error)
        except Exception:
            log.exception("scheduled harvest failed; the next run resumes")
        wake = next_run(now())
        log.info("next harvest at %s", wake.isoformat(timespec="minutes"))
        stop.wait(timeout=max(0.0, (wake - now()).total_seconds()))
