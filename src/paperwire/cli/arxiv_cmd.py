"""`paperwire ingest arxiv` and `paperwire ingest status`: harvest arXiv, show checkpoints."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import asdict, replace
from datetime import datetime
from types import FrameType

import click

from paperwire.cli.common import database, settings_from
from paperwire.config import Settings
from paperwire.ingest.arxiv.harvest import HarvestError, HarvestReport
from paperwire.ingest.arxiv.jobs import SOURCES, HarvestPlan, run_plan
from paperwire.ingest.arxiv.schedule import NextRun, after_announcements, run_on_schedule
from paperwire.ingest.arxiv.schedule import every as every_minutes
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.harvests import list_checkpoints
from paperwire.storage.job_locks import HARVEST_JOB, once_across_servers


@click.command("arxiv")
@click.option("--source", type=click.Choice(SOURCES), required=True, help="Which arXiv interface.")
@click.option("--set", "set_spec", help="OAI-PMH set, such as cs or physics:hep-th.")
@click.option("--category", "categories", multiple=True, help="RSS category, such as cs.AI.")
@click.option("--from", "window_from", type=click.DateTime(["%Y-%m-%d"]), help="OAI window start.")
@click.option("--until", "window_until", type=click.DateTime(["%Y-%m-%d"]), help="OAI window end.")
@click.option("--id", "ids", multiple=True, help="arXiv id for the API source (repeatable).")
@click.option("--query", help="arXiv API search_query, such as 'cat:cs.AI AND ti:agents'.")
@click.option("--loop", is_flag=True, help="Keep harvesting after each arXiv announcement.")
@click.option(
    "--every",
    type=click.IntRange(1, 7 * 24 * 60),
    help="With --loop: run every this many minutes instead of after announcements.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary per harvest.")
@click.pass_context
def ingest_arxiv(
    context: click.Context,
    source: str,
    set_spec: str | None,
    categories: tuple[str, ...],
    window_from: datetime | None,
    window_until: datetime | None,
    ids: tuple[str, ...],
    query: str | None,
    loop: bool,
    every: int | None,
    as_json: bool,
) -> None:
    """Harvest papers from arXiv politely; an interrupted harvest resumes where it stopped."""
    settings = settings_from(context)
    plan = HarvestPlan(
        source=source,
        set_spec=set_spec,
        categories=categories or tuple(settings.harvest_categories),
        window_from=window_from.date() if window_from else None,
        window_until=window_until.date() if window_until else None,
        ids=ids,
        query=query,
    )
    try:
        plan.check()
    except HarvestError as error:
        raise click.UsageError(str(error)) from None
    if loop and source == "api":
        raise click.UsageError("--loop is for the oai and rss sources")
    if every is not None and not loop:
        raise click.UsageError("--every needs --loop")
    with database(settings, if_missing="create") as db:
        db.require_current_schema()
        if loop:
            schedule = (
                every_minutes(every)
                if every
                else after_announcements(settings.harvest_delay_minutes)
            )
            _loop(db, settings, plan, schedule, as_json)
        else:
            _run_once(db, settings, plan, as_json)


def _run_once(
    db: Database, settings: Settings, plan: HarvestPlan, as_json: bool, *, loud: bool = True
) -> None:
    """One pass; a failure becomes a one-line error (or, inside --loop, is left to the log)."""

    def on_page(report: HarvestReport) -> None:
        if not as_json:
            click.echo(f"{report.source} {report.scope}: page {report.pages} stored", err=True)

    try:
        reports = run_plan(db, settings, plan, on_page)
    except HarvestError as error:
        if not loud:
            raise
        raise click.ClickException(f"{error} (rerun the same command to resume)") from None
    for report in reports:
        click.echo(json.dumps(_summary(report)) if as_json else _line(report))
    embedded = embed_pending(db, load_embedder(settings.embedding_model))
    if not as_json:
        click.echo(f"embedded {embedded.embedded} new or changed papers", err=True)


def _loop(
    db: Database, settings: Settings, plan: HarvestPlan, schedule: NextRun, as_json: bool
) -> None:
    stop = threading.Event()
    # Only the first run uses --from/--until; later runs catch up from where it ended.
    plans = iter([plan])
    catch_up = replace(plan, window_from=None, window_until=None)

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        click.echo("stopping after the current page", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    run_on_schedule(
        once_across_servers(
            db,
            HARVEST_JOB,
            lambda: _run_once(db, settings, next(plans, catch_up), as_json, loud=False),
        ),
        schedule,
        stop,
    )


def _summary(report: HarvestReport) -> dict[str, object]:
    counts = report.counts
    return {
        "source": report.source,
        "scope": report.scope,
        "resumed": report.resumed,
        "pages": report.pages,
        "added": counts.added,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "deleted_upstream": report.deleted,
        "rejected": len(report.rejected),
        "missing": report.missing,
    }


def _line(report: HarvestReport) -> str:
    counts = report.counts
    resumed = " (resumed)" if report.resumed else ""
    missing = f"; not found: {', '.join(report.missing)}" if report.missing else ""
    return (
        f"{report.source} {report.scope}{resumed}: {report.pages} pages, added {counts.added}, "
        f"updated {counts.updated}, unchanged {counts.unchanged}, "
        f"rejected {len(report.rejected)}{missing}"
    )


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def ingest_status(context: click.Context, as_json: bool) -> None:
    """Show each harvest's checkpoint: status, pages and papers, last error."""
    with database(settings_from(context)) as db:
        db.require_current_schema()
        rows = list_checkpoints(db)
    if as_json:
        click.echo(json.dumps([asdict(row) for row in rows], default=str))
        return
    if not rows:
        click.echo("no harvest has run yet: see `paperwire ingest arxiv --help`")
    for row in rows:
        window = f" {row.window_from}..{row.window_until}" if row.window_from else ""
        click.echo(
            f"{row.source:4} {row.scope}{window}: {row.status}, {row.pages} pages, "
            f"{row.papers} papers, last run {row.updated_at:%Y-%m-%d %H:%M} UTC"
            + (f"\n     last error: {row.last_error}" if row.last_error else "")
            + (f"\n     resumes at: {row.cursor[:60]}" if row.cursor else "")
        )
