"""The stars refresh: ask GitHub about each due repository and record the answer; one pass
(cron), passes until stopped (`--loop`), or a background thread of `serve`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from paperwire.code.github import (
    Counted,
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    Missing,
    NotModified,
    RateLimited,
)
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage import repositories as store
from paperwire.storage.job_locks import REFRESH_JOB, job_lock

log = logging.getLogger(__name__)
# How long a refresher holds a claimed repository: longer than one request can take with
# its retries (github.MAX_ATTEMPTS tries, timeouts and backoff), so no other refresher asks
# meanwhile; a refresher that dies leaves the repository due again after this.
LEASE_SECONDS = 900.0
# A pass waits for GitHub's rate limit to reset when that is this close; otherwise it ends
# and says when to resume (`--loop` and serve's schedule resume then by themselves).
MAX_RATE_WAIT_SECONDS = 900.0
MISSING_RECHECK_DAYS = 7  # a repository GitHub answered 404/410/451 for
ERROR_RECHECK_HOURS = 6  # after a request failed for good (5xx, connection, bad answer)
LOOP_MIN_WAIT_SECONDS = 60.0
LOOP_MAX_WAIT_SECONDS = 3600.0

Clock = Callable[[], datetime]


@dataclass(slots=True)
class RefreshReport:
    """What one pass did. asked = updated + unchanged + missing + failed; renamed counts
    the updated repositories that GitHub now names differently."""

    asked: int = 0
    updated: int = 0
    unchanged: int = 0  # 304 Not Modified
    renamed: int = 0
    missing: int = 0
    failed: int = 0
    rate_limited_waits: int = 0
    resume_at: datetime | None = None  # set when the pass ended to wait for GitHub's limit
    error: str | None = None  # set when the pass ended because GitHub refused the token
    stopped: bool = False  # asked to stop (SIGTERM) before the end


def _utc_now() -> datetime:
    return datetime.now(UTC)


def refresh_stars(
    db: Database,
    settings: Settings,
    client: GitHubClient,
    *,
    limit: int | None = None,
    stop: threading.Event | None = None,
    clock: Clock = _utc_now,
    max_wait_seconds: float = MAX_RATE_WAIT_SECONDS,
    on_repository: Callable[[RefreshReport], None] | None = None,
) -> RefreshReport:
    """Ask about every due GitHub repository (at most limit), oldest due first."""
    stop = stop or threading.Event()
    report = RefreshReport()
    while limit is None or report.asked < limit:
        if stop.is_set():
            report.stopped = True
            break
        if not _wait_for_budget(client, report, stop, clock, max_wait_seconds):
            break
        due = store.claim_due(db, clock(), LEASE_SECONDS)
        if due is None:
            break
        try:
            _ask(db, settings, client, due, report, clock)
        except RateLimited as limited:
            store.release_claim(db, due.id, clock())
            log.warning("GitHub: %s, until %s", limited, limited.until.isoformat())
            if not _wait_until(limited.until, report, stop, clock, max_wait_seconds):
                break
            continue
        except GitHubAuthError as error:
            store.release_claim(db, due.id, clock())
            report.error = str(error)
            break
        if on_repository is not None:
            on_repository(report)
    return report


def _wait_for_budget(
    client: GitHubClient,
    report: RefreshReport,
    stop: threading.Event,
    clock: Clock,
    max_wait_seconds: float,
) -> bool:
    """Wait while GitHub's window is down to its reserve; False to end the pass instead
    (the wait is too long, or a stop was asked for meanwhile)."""
    seconds = client.seconds_until_allowed()
    if seconds <= 0:
        return True
    return _wait_until(clock() + timedelta(seconds=seconds), report, stop, clock, max_wait_seconds)


def _wait_until(
    until: datetime,
    report: RefreshReport,
    stop: threading.Event,
    clock: Clock,
    max_wait_seconds: float,
) -> bool:
    seconds = (until - clock()).total_seconds()
    if seconds > max_wait_seconds:
        report.resume_at = until
        log.info("GitHub's rate limit resets at %s; the pass ends here", until.isoformat())
        return False
    report.rate_limited_waits += 1
    log.info("waiting %.0f s for GitHub's rate limit", seconds)
    if stop.wait(timeout=max(0.0, seconds)):
        report.stopped = True
        return False
    return True


def _ask(
    db: Database,
    settings: Settings,
    client: GitHubClient,
    due: store.DueRepository,
    report: RefreshReport,
    clock: Clock,
) -> None:
    """Ask about one claimed repository and record the answer, or the failure. Raises
    RateLimited or GitHubAuthError when it was not asked after all."""
    etag = due.etag if due.stars is not None else None  # a 304 needs a stored count
    try:
        answer = client.repository(due.path, etag)
    except GitHubAuthError:
        raise
    except GitHubError as error:
        log.warning("GitHub: %s", error)
        store.record_error(db, due.id, str(error), clock() + timedelta(hours=ERROR_RECHECK_HOURS))
        report.failed += 1
    else:
        _record(db, settings, due, answer, report, clock())
    report.asked += 1


def _record(
    db: Database,
    settings: Settings,
    due: store.DueRepository,
    answer: Counted | NotModified | Missing,
    report: RefreshReport,
    now: datetime,
) -> None:
    scoring = store.Scoring(
        now=now,
        next_check_at=now + timedelta(hours=settings.code_refresh_hours),
        half_life_hours=settings.trending_half_life_hours,
    )
    if isinstance(answer, Missing):
        later = store.Scoring(now, now + timedelta(days=MISSING_RECHECK_DAYS), 1.0)
        store.record_missing(db, due.id, answer.status, later)
        report.missing += 1
    elif isinstance(answer, NotModified):
        store.record_not_modified(db, due.id, etag=answer.etag or due.etag, scoring=scoring)
        report.unchanged += 1
    else:
        if answer.full_name != due.path:
            log.info("GitHub: %s is now %s", due.path, answer.full_name)
            store.record_rename(db, due.id, answer.full_name)
            report.renamed += 1
        store.record_count(
            db,
            due.id,
            stars=answer.stars,
            etag=answer.etag,
            remote_id=answer.remote_id,
            scoring=scoring,
        )
        report.updated += 1


def run_refresh_loop(
    db: Database,
    settings: Settings,
    client: GitHubClient,
    stop: threading.Event,
    on_report: Callable[[RefreshReport], None] = lambda _report: None,
    clock: Clock = _utc_now,
) -> None:
    """Passes until stop is set, each when the next repository falls due (or GitHub's
    limit resets); a failing pass is logged and the next one resumes."""
    while not stop.is_set():
        report: RefreshReport | None = None
        try:
            with job_lock(db, REFRESH_JOB) as held:
                report = (
                    refresh_stars(db, settings, client, stop=stop, clock=clock) if held else None
                )
            if report is not None:
                on_report(report)
            else:
                log.info("stars refresh skipped: another process is running it")
        except Exception:
            log.exception("stars refresh failed; the next pass resumes")
        stop.wait(timeout=seconds_to_next_pass(db, report, clock()))


def seconds_to_next_pass(db: Database, report: RefreshReport | None, now: datetime) -> float:
    """Until GitHub's limit resets, or the next repository falls due; at least a minute,
    at most an hour (repositories added by an ingest meanwhile are then picked up)."""
    if report is not None and report.resume_at is not None:
        wake: datetime | None = report.resume_at
    else:
        wake = store.next_due_at(db)
    seconds = LOOP_MAX_WAIT_SECONDS if wake is None else (wake - now).total_seconds()
    return min(max(seconds, LOOP_MIN_WAIT_SECONDS), LOOP_MAX_WAIT_SECONDS)


def interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep for the client's pacing that ends early when stop is set."""

    def sleep(seconds: float) -> None:
        stop.wait(timeout=seconds)

    return sleep


def start_scheduled_refresh(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Refresh stars in a background thread of `serve` when PAPERWIRE_CODE_REFRESH_IN_SERVE
    is on; None when it is off."""
    if not settings.code_refresh_in_serve:
        return None

    def refresh_until_stopped() -> None:
        db = Database.open(settings.effective_database_url())
        try:
            with GitHubClient(settings, sleep=interruptible_sleep(stop)) as client:
                run_refresh_loop(db, settings, client, stop, _log_report)
        finally:
            db.close()

    thread = threading.Thread(target=refresh_until_stopped, name="code-refresh", daemon=True)
    thread.start()
    return thread


def _log_report(report: RefreshReport) -> None:
    log.info(
        "stars refresh: asked %d, updated %d, unchanged %d, renamed %d, missing %d, failed %d",
        report.asked,
        report.updated,
        report.unchanged,
        report.renamed,
        report.missing,
        report.failed,
    )
    if report.error:
        log.error("stars refresh stopped: %s", report.error)
