"""`paperwire ingest`: load papers from files (and, later, from arXiv)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from tqdm import tqdm

from paperwire.cli.common import database, settings_from
from paperwire.cli.embed_cmd import embed_with_progress
from paperwire.ingest.files import IngestReport, Problem, ingest_files

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
        report = ingest_files(db, list(paths), progress=bar.update, on_problem=on_problem)
        bar.close()
        seconds = time.perf_counter() - started
        if not no_embed:
            embedded, _ = embed_with_progress(db, settings.embedding_model, quiet=quiet)
    _print_summary(report, seconds, as_json, None if no_embed else embedded.embedded)
    if report.failed_files:
        raise click.ClickException(f"{report.failed_files} file(s) could not be read")


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
