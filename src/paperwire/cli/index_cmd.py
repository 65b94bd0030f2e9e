"""`paperwire index`: build the search index files that web workers share, or say how far
behind the database they are."""

from __future__ import annotations

import json

import click

from paperwire.cli.common import database, settings_from
from paperwire.config import Settings
from paperwire.search.embedder import Embedder, EmbedderUnavailable, load_embedder
from paperwire.search.index_build import build_index, index_folder, index_lag


def _embedder(settings: Settings) -> Embedder:
    try:
        return load_embedder(settings.embedding_model)
    except EmbedderUnavailable as error:
        raise click.ClickException(str(error)) from None


@click.group()
def index() -> None:
    """The search index files shared by the web workers of this machine."""


@index.command("build")
@click.option("--if-stale", is_flag=True, help="Only when the index is far behind the database.")
@click.pass_context
def index_build(context: click.Context, if_stale: bool) -> None:
    """Write a new index generation of every listed paper and make it current.

    Workers switch to it at their next query. Papers written later are searched from the
    database on top of it until the next build, which `paperwire serve` starts on its own
    once they pass PAPERWIRE_INDEX_REBUILD_PAPERS and 5 % of the index.
    """
    settings = settings_from(context)
    folder, embedder = index_folder(settings), _embedder(settings)
    with database(settings) as db:
        db.require_current_schema()
        lag = index_lag(db, folder, embedder.name)
        if if_stale and not lag.is_stale(settings.index_rebuild_papers):
            click.echo(f"{folder.path}: current enough, nothing to build")
            return
        report = build_index(db, folder, embedder.name, embedder.dims)
    if report is None:
        click.echo(f"{folder.path}: another process is building the index now")
        return
    graph = "with an HNSW graph" if report.graph else "exact search (too few papers for a graph)"
    click.echo(
        f"built {report.generation} in {folder.path}: {report.terms:,} papers' terms, "
        f"{report.vectors:,} embeddings, {graph}, in {report.seconds:.1f} s"
    )


@index.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def index_status(context: click.Context, as_json: bool) -> None:
    """Which generation is current and how many papers were written after it."""
    settings = settings_from(context)
    folder, embedder = index_folder(settings), _embedder(settings)
    with database(settings) as db:
        lag = index_lag(db, folder, embedder.name)
    summary = {
        "folder": str(folder.path),
        "generation": lag.generation,
        "papers": lag.size,
        "embeddings_behind": lag.vectors_behind,
        "terms_behind": lag.terms_behind,
        "stale": lag.is_stale(settings.index_rebuild_papers),
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    if lag.generation is None:
        click.echo(f"{folder.path}: no index built yet; {lag.terms_behind:,} papers to index")
    else:
        click.echo(
            f"{folder.path}: {lag.generation} holds {lag.size:,} papers; written since: "
            f"{lag.terms_behind:,} papers' terms, {lag.vectors_behind:,} embeddings"
            + (" (stale: the next check rebuilds it)" if summary["stale"] else "")
        )
