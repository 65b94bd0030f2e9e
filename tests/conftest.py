"""Shared fixtures: a database on every backend, fixture files, and factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from paperwire.storage import Database

POSTGRES_URL_VARIABLE = "PAPERWIRE_TEST_DATABASE_URL"


def _backend_params() -> list[object]:
    skip_postgres = pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped",
    )
    return ["sqlite", pytest.param("postgresql", marks=[skip_postgres, pytest.mark.postgres])]


@pytest.fixture(params=_backend_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database: a fresh SQLite file, or a wiped PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperwire.sqlite3'}"
    url = os.environ[POSTGRES_URL_VARIABLE]
    _wipe_postgres(url)
    return url


def _wipe_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """An open database with the current schema, on each backend."""
    database = Database.open(database_url)
    database.upgrade()
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """An open SQLite database with the current schema, for tests of SQLite behaviour."""
    database = Database.open(f"sqlite:///{tmp_path / 'paperwire.sqlite3'}")
    database.upgrade()
    yield database
    database.close()
