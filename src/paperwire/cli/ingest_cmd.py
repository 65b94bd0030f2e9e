"""`paperwire ingest`: load papers from files (and, later, from arXiv)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from tqdm import tqdm

from paperwire.cli.common import database, settings_from
from paperwire.cli.embed_cmd import embed_with_progress, ensure_vector_index
from paperwire.config import Settings
from paperwire.ingest.files import IngestReport, Problem, ingest_files
from paperwire.ingest.pipeline import PIPELINE_MIN_BYTES, ingest_and_embed
from paperwire.storage import Database

PROBLEMS_SHOWN = 20


@click.group()
def ingest() -> None:
    """Load papers into the database."""


@ingest.command("file")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--no-embed", is_flag=True, help="Leave embeddings to a later `paperwire embed` run.")
@click.pass_context
def ingest_file(
    context: click.Context, paths: tuple[Path, ...], as_json: bool, quiet: bool, no_embed: bool
) -> None:
    """Load papers from JSON Lines listings, OAI Dublin Core records or upvote snapshots.

    Files may be gzipped. Reruns are safe: known papers are merged, never duplicated. A
    database that does not exist yet is created.
    """
    settings = settings_from(context)
    shown: list[Problem] = []

    def on_problem(problem: Problem) -> None:
        if len(shown) < PROBLEMS_SHOWN:
            shown.append(problem)
            click.echo(f"rejected {problem}", err=True)

    total_bytes = sum(path.stat().st_size for path in paths)
    started = time.perf_counter()
    with (
        database(settings, if_missing="create") as db,
        tqdm(
            total=total_bytes, unit="B", unit_scale=True, desc="ingest", disable=quiet or None
        ) as bar,
    ):
        db.require_current_schema()
        if no_embed or total_bytes < PIPELINE_MIN_BYTES:
            report = ingest_files(db, list(paths), progress=bar.update, on_problem=on_problem)
            followed: int | None = None
        else:  # a bulk load: a second process embeds the papers as they are stored
            url, model = settings.effective_database_url(), settings.embedding_model
            report, followed = ingest_and_embed(
                db, url, model, list(paths), progress=bar.update, on_problem=on_problem
            )
        bar.close()
        seconds = time.perf_counter() - started
        embedded = None if no_embed else _embed_the_rest(db, settings, report, followed, quiet)
    _print_summary(report, seconds, as_json, embedded)
    if report.failed_files:
        raise click.ClickException(f"{report.failed_files} file(s) could not be read")


def _embed_the_rest(
    db: Database, settings: Settings, report: IngestReport, followed: int | None, quiet: bool
) -> int:
    """Embed what the load stored and no follower embedded: everything without one, the
    papers it changed (not added) with one; how many papers were embedded in all."""
    if followed is not None and not report.counts.updated:
        ensure_vector_index(db, settings.embedding_model)
        return followed
    rest, _ = embed_with_progress(db, settings.embedding_model, quiet=quiet)
    return (followed or 0) + rest.embedded


def _print_summary(
    report: IngestReport, seconds: float, as_json: bool, embedded: int | None
) -> None:
    counts = report.counts
    summary = {
        "added": counts.added,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rejected": report.rejected,
        "seconds": round(seconds, 2),
        "papers_per_second": round(report.seen / seconds) if seconds > 0 else None,
        "embedded": embedded,
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    hidden = len(report.problems) - PROBLEMS_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more rejected records", err=True)
    click.echo(
        f"added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"rejected {report.rejected} in {seconds:.1f} s"
        + ("" if embedded is None else f"; embedded {embedded}")
    )
