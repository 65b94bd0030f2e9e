"""Shared fixtures: a database on every backend, fixture files, and factories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import backend_params, empty_database_url

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
