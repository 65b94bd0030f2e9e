"""`paperwire serve`: prepare the database and run the web server."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click
import uvicorn
from fastapi import FastAPI

from paperwire.cli.common import database, settings_from
from paperwire.code.refresh import start_scheduled_refresh
from paperwire.config import Settings
from paperwire.digest.jobs import start_scheduled_digests
from paperwire.digest.send import DigestConfigError
from paperwire.ingest.arxiv.jobs import start_scheduled_harvest
from paperwire.search.embedder import EmbedderUnavailable
from paperwire.search.engine import Searcher, VectorSearchUnavailable, searcher_for
from paperwire.search.index_build import prepare_index, start_scheduled_index_builds
from paperwire.signing import SecretKeyError, secret_key
from paperwire.startup import prepare_database
from paperwire.storage import Database
from paperwire.web.app import create_app
from paperwire.web.asgi import FACTORY, limit_blas_threads
from paperwire.web.metrics import MULTIPROCESS_VARIABLE


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
    settings = _listening_on(settings_from(context), host)
    with database(settings, if_missing="open") as db:
        try:
            secret_key(settings)  # an empty or short key would let anyone sign sessions
            for line in prepare_database(db, settings):
                click.echo(line)
            searcher = searcher_for(db, settings)  # fails now, not at the first search
            index_model = _prepare_shared_index(db, settings, searcher)
        except (VectorSearchUnavailable, EmbedderUnavailable, SecretKeyError) as error:
            raise click.ClickException(str(error)) from None
        stop_harvest = threading.Event()
        if index_model is not None:
            start_scheduled_index_builds(settings, stop_harvest, index_model)
        if start_scheduled_harvest(settings, stop_harvest) is not None:
            click.echo(
                f"harvesting {', '.join(settings.harvest_categories)} after each announcement"
            )
        try:
            if start_scheduled_digests(settings, stop_harvest) is not None:
                click.echo(f"sending digests every {settings.digest_interval_minutes} minutes")
        except DigestConfigError as error:
            raise click.ClickException(f"PAPERWIRE_DIGEST_IN_SERVE: {error}") from None
        if start_scheduled_refresh(settings, stop_harvest) is not None:
            click.echo("refreshing GitHub stars as repositories fall due")
        if workers == 1:
            limit_blas_threads(settings)
            app = create_app(settings, db)
            app.state.searcher.open_shared_index()
            _run(app, settings, host, port)
            return
    # Each worker imports the app factory and opens its own pool; this process supervises.
    with _shared_metrics_folder(settings):
        _run(FACTORY, settings, host, port, workers=workers)


def _prepare_shared_index(db: Database, settings: Settings, searcher: Searcher) -> str | None:
    """Build the index files the workers share when there are none or they are far behind;
    the embedding model they hold, or None where PostgreSQL searches (pgvector)."""
    if searcher.uses_database_vectors():
        return None
    embedder = searcher.embedder
    built = prepare_index(db, settings, embedder.name, embedder.dims, announce=click.echo)
    if built is not None:
        click.echo(built)
    return embedder.name


@contextmanager
def _shared_metrics_folder(settings: Settings) -> Iterator[None]:
    """A folder where the workers record their metrics for /metrics to add up (unless the
    operator names one in PROMETHEUS_MULTIPROC_DIR), removed when serving stops."""
    if MULTIPROCESS_VARIABLE in os.environ:
        yield
        return
    folder = settings.data_dir / "metrics" / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_VARIABLE] = str(folder)
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_VARIABLE]
        shutil.rmtree(folder, ignore_errors=True)


def _listening_on(settings: Settings, host: str | None) -> Settings:
    """settings with --host as PAPERWIRE_HOST, which also names a Host header the site
    answers to (web/hosts.py); the environment carries it to worker processes."""
    if not host:
        return settings
    os.environ["PAPERWIRE_HOST"] = host
    return settings.model_copy(update={"host": host})


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
