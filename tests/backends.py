"""Which database backends tests run on, and how a PostgreSQL test database is reset."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

POSTGRES_URL_VARIABLE = "PAPERWIRE_TEST_DATABASE_URL"


def backend_params() -> list[object]:
    """SQLite always; PostgreSQL when PAPERWIRE_TEST_DATABASE_URL is set, else a visible skip."""
    skip_postgres = pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped",
    )
    return ["sqlite", pytest.param("postgresql", marks=[skip_postgres, pytest.mark.postgres])]


def empty_database_url(backend: str, folder: os.PathLike[str]) -> str:
    """A URL to an empty database: a new SQLite file in folder, or a wiped PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{os.path.join(folder, 'paperwire.sqlite3')}"
    return wiped(os.environ[POSTGRES_URL_VARIABLE])


def wiped(url: str) -> str:
    """url, after dropping everything in its public schema (extensions made there too)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url
