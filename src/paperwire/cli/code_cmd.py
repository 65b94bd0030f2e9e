"""`paperwire code`: papers with code — find their links (and, with refresh, their stars)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import click
from tqdm import tqdm

from paperwire.cli.code_refresh_cmd import refresh
from paperwire.cli.common import database, settings_from
from paperwire.code.backfill import BATCH_SIZE, backfill_links, papers_to_scan


@click.group()
def code() -> None:
    """Papers with code: links and GitHub stars."""


@code.command("links")
@click.option("--restart", is_flag=True, help="Scan every paper again, even after a finished run.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(1, 50_000))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def links(
    context: click.Context, restart: bool, batch_size: int, as_json: bool, quiet: bool
) -> None:
    """Find the code repositories and project pages named in stored papers' abstracts and
    comments (ingest does it for new papers). An interrupted run resumes where it stopped;
    readers' links are never changed."""
    started = time.perf_counter()
    with database(settings_from(context)) as db:
        db.require_current_schema()
        total = papers_to_scan(db, restart=restart)
        with tqdm(total=total, unit="paper", desc="links", disable=quiet or None) as bar:
            counts = backfill_links(db, restart=restart, batch_size=batch_size, progress=bar.update)
    seconds = round(time.perf_counter() - started, 2)
    if as_json:
        click.echo(json.dumps(asdict(counts) | {"seconds": seconds}))
    elif counts.already_complete:
        click.echo("every paper was scanned already; --restart scans them again")
    else:
        click.echo(
            f"scanned {counts.scanned} papers in {seconds:.1f} s: {counts.with_code} with "
            f"code, {counts.with_project_page} with a project page; "
            f"{counts.changed} papers' links changed"
        )


code.add_command(refresh)
