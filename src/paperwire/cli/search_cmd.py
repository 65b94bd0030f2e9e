"""`paperwire search QUERY`: keyword search from the command line."""

from __future__ import annotations

import json

import click

from paperwire.api.shapes import NO_STATS, search_item
from paperwire.cli.common import database, settings_from
from paperwire.search.keyword import InvalidQuery, search_papers
from paperwire.storage.votes import stats_for


@click.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's search items as JSON.")
@click.pass_context
def search(context: click.Context, query: str, limit: int, as_json: bool) -> None:
    """Papers matching QUERY: words, "exact phrases" and prefix* terms, best first."""
    with database(settings_from(context)) as db:
        db.require_current_schema()
        try:
            hits = search_papers(db, query, limit=limit)
        except InvalidQuery as error:
            raise click.UsageError(str(error)) from None
        stats = stats_for(db, [hit.paper.arxiv_id for hit in hits])
    if as_json:
        items = [
            search_item(
                h.paper,
                h.highlighted_title,
                h.highlighted_summary,
                stats.get(h.paper.arxiv_id, NO_STATS),
            )
            for h in hits
        ]
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("no paper matches; try fewer or other words, or a prefix such as distil*")
    for rank, hit in enumerate(hits, start=1):
        listed = hit.paper.listing_day.isoformat() if hit.paper.listing_day else "unlisted"
        click.echo(f"{rank:3}. {hit.paper.arxiv_id:<18} {listed}  {hit.paper.title}")
