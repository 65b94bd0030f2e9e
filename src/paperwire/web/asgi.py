"""The app factory that `serve --workers N` processes call, with settings from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.web.app import create_app

FACTORY = "paperwire.web.asgi:app_from_environment"


def app_from_environment() -> FastAPI:
    """Build the app in a worker process; `serve` has already prepared the database."""
    settings = Settings()
    database = Database.open(settings.effective_database_url())
    database.require_current_schema()
    return create_app(settings, database)
