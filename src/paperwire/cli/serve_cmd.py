"""`paperwire serve`: prepare the database and run the web server."""

from __future__ import annotations

import logging

import click
import uvicorn

from paperwire.cli.common import database, settings_from
from paperwire.startup import prepare_database
from paperwire.web.app import create_app

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", help="Address to listen on [default: PAPERWIRE_HOST or 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port [default: PAPERWIRE_PORT or 8000]."
)
@click.pass_context
def serve(context: click.Context, host: str | None, port: int | None) -> None:
    """Serve the web pages. A brand-new database is created (and filled with the demo papers)."""
    settings = settings_from(context)
    with database(settings) as db:
        for line in prepare_database(db, settings):
            click.echo(line)
        app = create_app(settings, db)
        uvicorn.run(
            app,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level.lower(),
            proxy_headers=True,
        )
