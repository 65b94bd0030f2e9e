"""The app factory that `serve --workers N` processes call, with settings from the environment."""

from __future__ import annotations

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.web.app import create_app

FACTORY = "paperwire.web.asgi:app_from_environment"


def app_from_environment() -> FastAPI:
    """Build the app in a worker process; `serve` has already prepared the database."""
    settings = Settings()
    limit_blas_threads(settings)
    database = Database.open(settings.effective_database_url())
    database.require_current_schema()
    app = create_app(settings, database)
    app.state.searcher.open_shared_index()  # before the first request, not during it
    return app


def limit_blas_threads(settings: Settings) -> None:
    """Cap the threads numpy's BLAS uses in this web process (PAPERWIRE_BLAS_THREADS):
    measured at 137k papers with two workers on two cores, OpenBLAS's own threads fought
    the concurrent requests for the cores (docs/performance.md)."""
    threadpool_limits(limits=settings.blas_threads, user_api="blas")
