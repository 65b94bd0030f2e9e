"""`paperwire search QUERY`: hybrid, keyword or semantic search from the command line."""

from __future__ import annotations

import json
from datetime import datetime

import click

from paperwire.api.shapes import search_items
from paperwire.cli.common import database, settings_from
from paperwire.search.engine import SearchMode, VectorSearchUnavailable, searcher_for
from paperwire.search.keyword import InvalidQuery
from paperwire.storage.code import code_for
from paperwire.storage.search import PaperFilter
from paperwire.storage.votes import stats_for


@click.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in SearchMode]),
    default=SearchMode.HYBRID.value,
    show_default=True,
    help="hybrid: words and meaning; keyword: every word; semantic: meaning only.",
)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or after.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Listed on or before.")
@click.option("--category", help="Only papers in this arXiv category, e.g. cs.CL.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's search items as JSON.")
@click.pass_context
def search(
    context: click.Context,
    query: str,
    limit: int,
    mode: str,
    first: datetime | None,
    last: datetime | None,
    category: str | None,
    as_json: bool,
) -> None:
    """Papers matching QUERY, best first: a description in your own words, or words,
    "exact phrases" and prefix* terms."""
    settings = settings_from(context)
    where = PaperFilter(
        first=first.date() if first else None, last=last.date() if last else None, category=category
    )
    with database(settings) as db:
        db.require_current_schema()
        try:
            hits = searcher_for(db, settings).search(
                query, mode=SearchMode(mode), where=where, limit=limit
            )
        except InvalidQuery as error:
            raise click.UsageError(str(error)) from None
        except VectorSearchUnavailable as error:
            raise click.ClickException(str(error)) from None
        ids = [hit.paper.arxiv_id for hit in hits]
        stats, code = stats_for(db, ids), code_for(db, ids)
    if as_json:
        click.echo(json.dumps(search_items(hits, stats, code), ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("no paper matches; try other words, or --mode hybrid to search by meaning")
    for rank, hit in enumerate(hits, start=1):
        listed = hit.paper.listing_day.isoformat() if hit.paper.listing_day else "unlisted"
        click.echo(f"{rank:3}. {hit.paper.arxiv_id:<18} {listed}  {hit.paper.title}")
