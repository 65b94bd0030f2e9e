"""`paperwire serve`: prepare the database and run the web server."""

from __future__ import annotations

import threading

import click
import uvicorn
from fastapi import FastAPI

from paperwire.cli.common import database, settings_from
from paperwire.config import Settings
from paperwire.digest.jobs import start_scheduled_digests
from paperwire.digest.send import DigestConfigError
from paperwire.ingest.arxiv.jobs import start_scheduled_harvest
from paperwire.search.embedder import EmbedderUnavailable
from paperwire.search.engine import VectorSearchUnavailable, searcher_for
from paperwire.startup import prepare_database
from paperwire.web.app import create_app
from paperwire.web.asgi import FACTORY


@click.command()
@click.option("--host", help="Address to listen on [default: PAPERWIRE_HOST or 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port [default: PAPERWIRE_PORT or 8000]."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; each keeps its own connection pool and no other state.",
)
@click.pass_context
def serve(context: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Serve the web pages. A brand-new database is created (and filled with the demo papers)."""
    settings = settings_from(context)
    with database(settings) as db:
        try:
            for line in prepare_database(db, settings):
                click.echo(line)
            searcher_for(db, settings)  # fails now, not at the first search
        except (VectorSearchUnavailable, EmbedderUnavailable) as error:
            raise click.ClickException(str(error)) from None
        stop_harvest = threading.Event()
        if start_scheduled_harvest(settings, stop_harvest) is not None:
            click.echo(
                f"harvesting {', '.join(settings.harvest_categories)} after each announcement"
            )
        try:
            if start_scheduled_digests(settings, stop_harvest) is not None:
                click.echo(f"sending digests every {settings.digest_interval_minutes} minutes")
        except DigestConfigError as error:
            raise click.ClickException(f"PAPERWIRE_DIGEST_IN_SERVE: {error}") from None
        if workers == 1:
            _run(create_app(settings, db), settings, host, port)
            return
    # Each worker imports the app factory and opens its own pool; this process supervises.
    _run(FACTORY, settings, host, port, workers=workers)


def _run(
    app: FastAPI | str, settings: Settings, host: str | None, port: int | None, workers: int = 1
) -> None:
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )
