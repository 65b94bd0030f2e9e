"""`paperwire embed`: give every paper an embedding for semantic search and its stored
terms for keyword ranking (resumable)."""

from __future__ import annotations

import json
import time

import click
from tqdm import tqdm

from paperwire.cli.common import database, settings_from
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import EmbedReport, embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import count_papers
from paperwire.storage.pgvector import ensure_hnsw_index, prepare_database_vectors


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def embed(context: click.Context, as_json: bool, quiet: bool) -> None:
    """Embed papers whose embedding is missing or older than their text, and store the
    terms of papers that lack them (papers stored before an upgrade).

    Safe to stop and rerun: each batch is committed, and a rerun only does what is left.
    """
    settings = settings_from(context)
    with database(settings) as db:
        db.require_current_schema()
        prepare_database_vectors(db)
        try:
            report, seconds = embed_with_progress(db, settings.embedding_model, quiet=quiet)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    summary = {
        "embedded": report.embedded,
        "analyzed": report.analyzed,
        "papers": report.looked_at,
        "seconds": round(seconds, 2),
        "papers_per_second": round(report.embedded / seconds) if seconds > 0 else None,
    }
    if as_json:
        click.echo(json.dumps(summary))
    else:
        analyzed = f"; stored the terms of {report.analyzed}" if report.analyzed else ""
        click.echo(
            f"embedded {report.embedded} of {report.looked_at} papers{analyzed} in {seconds:.1f} s"
        )


def embed_with_progress(db: Database, model: str, *, quiet: bool) -> tuple[EmbedReport, float]:
    """Run the backfill with a progress bar over all papers, then make sure the model's
    HNSW index exists where pgvector is in use; the report and seconds taken."""
    embedder = load_embedder(model)
    started = time.perf_counter()
    with tqdm(total=count_papers(db), unit="paper", desc="embed", disable=quiet or None) as bar:
        report = embed_pending(db, embedder, progress=bar.update)
    ensure_vector_index(db, model)
    return report, time.perf_counter() - started


def ensure_vector_index(db: Database, model: str) -> None:
    """The model's HNSW index, where pgvector is in use (one that exists is left as it is)."""
    embedder = load_embedder(model)
    ensure_hnsw_index(db, embedder.name, embedder.dims)
