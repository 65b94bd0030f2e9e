"""`paperwire digest` and `paperwire subscribers`: send and preview digests, manage the list."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from paperwire.cli.common import database, settings_from
from paperwire.config import Settings
from paperwire.digest.compose import Composer
from paperwire.digest.jobs import run_digest_pass, run_every
from paperwire.digest.model import InvalidSubscription, describe, normalise_email
from paperwire.digest.render import MailRenderer
from paperwire.digest.schedule import due_period
from paperwire.digest.send import DigestConfigError, PassReport, require_base_url
from paperwire.digest.subscriptions import import_subscribers
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.job_locks import DIGEST_JOB, once_across_servers


def _moment(_context: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """An ISO 8601 date and time; without an offset it is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date and time such as 2024-04-08T22:00-04:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group()
def digest() -> None:
    """Send and preview e-mail digests."""


@digest.command("send")
@click.option(
    "--at", "at", callback=_moment, help="Send what is due as of this moment (backfills)."
)
@click.option("--loop", is_flag=True, help="Keep sending every PAPERWIRE_DIGEST_INTERVAL_MINUTES.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def send(context: click.Context, at: datetime | None, loop: bool, as_json: bool) -> None:
    """Send every digest that is due (one pass, for cron); an interrupted pass resumes."""
    settings = settings_from(context)
    if loop and at is not None:
        raise click.UsageError("--at is for one pass; --loop always sends what is due now")
    try:
        require_base_url(settings)
    except DigestConfigError as error:
        raise click.ClickException(str(error)) from None
    with database(settings) as db:
        db.require_current_schema()
        if loop:
            _loop(db, settings, as_json)
        else:
            _print(run_digest_pass(db, settings, at), as_json)


def _loop(db: Database, settings: Settings, as_json: bool) -> None:
    stop = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        click.echo("stopping after the current message", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    run_every(
        once_across_servers(
            db, DIGEST_JOB, lambda: _print(run_digest_pass(db, settings, stop=stop), as_json)
        ),
        settings.digest_interval_minutes,
        stop,
    )


def _print(report: PassReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(report)))
        return
    click.echo(
        f"planned {report.planned}, sent {report.sent}, skipped {report.skipped} (empty), "
        f"retrying {report.retrying}, failed {report.failed}"
        + (" - stopped early: the SMTP server keeps failing" if report.stopped_early else "")
    )
    for error in report.errors[:20]:
        click.echo(f"failed: {error}", err=True)


@digest.command("preview")
@click.argument("email")
@click.option("--at", "at", callback=_moment, help="Compose as of this moment [default: now].")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.pass_context
def preview(context: click.Context, email: str, at: datetime | None, as_html: bool) -> None:
    """Show the digest EMAIL would get now, without sending or recording anything."""
    settings = settings_from(context)
    with database(settings) as db:
        db.require_current_schema()
        try:
            found = digest_store.subscription_by_email(db, normalise_email(email))
        except InvalidSubscription as error:
            raise click.UsageError(str(error)) from None
        if found is None:
            raise click.ClickException(
                f"{email} has no subscription: see `paperwire subscribers list`"
            )
        preferences = found.preferences
        moment = at or datetime.now(UTC)
        period = due_period(
            preferences.frequency, preferences.weekday, moment, settings.digest_delay_minutes
        )
        composed = Composer(db, settings).compose(found, period)
    base_url = settings.base_url or f"http://{settings.host}:{settings.port}"
    message = MailRenderer(settings, base_url).digest_message(composed, delivery_id=0)
    part = message.get_body(("html",) if as_html else ("plain",))
    click.echo(f"Subject: {message['Subject']}\n", err=True)
    click.echo(part.get_content() if part is not None else "")


@click.group()
def subscribers() -> None:
    """Manage digest subscribers."""


@subscribers.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_command(context: click.Context, path: Path) -> None:
    """Add confirmed subscribers from a CSV file with columns email,frequency.

    Use it to move a list whose addresses have already confirmed: no confirmation e-mail is
    sent. Addresses already known are left as they are.
    """
    with database(settings_from(context)) as db:
        db.require_current_schema()
        report = import_subscribers(db, path.read_text(encoding="utf-8-sig"), datetime.now(UTC))
    for problem in report.problems[:20]:
        click.echo(f"{path}: {problem}", err=True)
    click.echo(
        f"added {report.added}, already subscribed {report.already_known}, "
        f"rejected {len(report.problems)}"
    )


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def list_command(context: click.Context, as_json: bool) -> None:
    """Every subscription: address, state and what it receives."""
    with database(settings_from(context)) as db:
        db.require_current_schema()
        found = digest_store.list_subscriptions(db)
    if as_json:
        rows = [asdict(s) | {"preferences": s.preferences.as_json()} for s in found]
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if not found:
        click.echo("no subscribers yet")
    for subscription in found:
        click.echo(
            f"{subscription.email}  {subscription.status}  {describe(subscription.preferences)}"
        )
