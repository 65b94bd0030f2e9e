"""`paperwire code refresh`: ask GitHub for the stars of every due repository."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from types import FrameType

import click
from tqdm import tqdm

from paperwire.cli.common import database, settings_from
from paperwire.code.github import GitHubClient, requests_per_hour
from paperwire.code.refresh import (
    RefreshReport,
    interruptible_sleep,
    refresh_stars,
    run_refresh_loop,
)
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.repositories import count_due


@click.command("refresh")
@click.option("--loop", is_flag=True, help="Keep refreshing as repositories fall due.")
@click.option("--limit", type=click.IntRange(1), help="Ask about at most this many repositories.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def refresh(
    context: click.Context, loop: bool, limit: int | None, as_json: bool, quiet: bool
) -> None:
    """Count the stars of the GitHub repositories that are due (one pass, for cron).

    Requests are conditional (ETags), paced to PAPERWIRE_GITHUB_REQUESTS_PER_HOUR and to
    GitHub's rate-limit headers; an interrupted pass resumes where it stopped.
    """
    settings = settings_from(context)
    if loop and limit is not None:
        raise click.UsageError("--limit is for one pass")
    stop = _stop_on_signals()
    with database(settings) as db:
        db.require_current_schema()
        with GitHubClient(settings, sleep=interruptible_sleep(stop)) as client:
            if loop:
                run_refresh_loop(db, settings, client, stop, lambda r: _print(r, as_json))
                return
            report = _one_pass(db, settings, client, stop, limit, quiet=quiet or as_json)
    _print(report, as_json)
    if report.error:
        raise click.ClickException(report.error)


def _one_pass(
    db: Database,
    settings: Settings,
    client: GitHubClient,
    stop: threading.Event,
    limit: int | None,
    *,
    quiet: bool,
) -> RefreshReport:
    due = count_due(db, datetime.now(UTC))
    total = min(due, limit) if limit is not None else due
    if not quiet:
        click.echo(
            f"{due} repositories due; at most {requests_per_hour(settings)} requests an hour",
            err=True,
        )
    with tqdm(total=total, unit="repo", desc="stars", disable=quiet or None) as bar:

        def advance(_report: RefreshReport) -> None:
            bar.update()

        return refresh_stars(db, settings, client, limit=limit, stop=stop, on_repository=advance)


def _stop_on_signals() -> threading.Event:
    """SIGTERM or Ctrl-C: finish the repository in hand, then stop."""
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        click.echo("stopping after the current repository", err=True)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    return stop


def _print(report: RefreshReport, as_json: bool) -> None:
    if as_json:
        summary = asdict(report)
        summary["resume_at"] = report.resume_at.isoformat() if report.resume_at else None
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"asked {report.asked}: updated {report.updated} (renamed {report.renamed}), "
        f"unchanged {report.unchanged}, missing {report.missing}, failed {report.failed}; "
        f"waited for GitHub's rate limit {report.rate_limited_waits} times"
    )
    if report.resume_at is not None:
        click.echo(
            f"GitHub's rate limit is spent until {report.resume_at.isoformat(timespec='seconds')}"
            ": run again then (or use --loop)",
            err=True,
        )
    if report.stopped:
        click.echo("stopped early; the next run resumes", err=True)
