"""Opening databases, SQLite tuning, and schema versions."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import SAWarning

from paperwire.storage import Database, SchemaBehind, StorageError
from paperwire.storage.schema import is_declared_object, metadata


def test_migrations_build_exactly_the_declared_schema(db: Database) -> None:
    _assert_matches_metadata(db)


def test_pgvector_objects_are_the_only_additions_with_pgvector(pgvector_db: Database) -> None:
    _assert_matches_metadata(pgvector_db)


def _assert_matches_metadata(db: Database) -> None:
    options = {"include_name": lambda name, _type, _parents: is_declared_object(name)}
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy does not know pgvector's type; the column is skipped by name anyway.
        warnings.filterwarnings("ignore", "Did not recognize type 'vector'", SAWarning)
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_fresh_database_is_empty_and_behind(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        assert db.is_empty()
        with pytest.raises(SchemaBehind, match="paperwire db upgrade"):
            db.require_current_schema()
        db.upgrade()
        db.require_current_schema()
        assert not db.is_empty()
    finally:
        db.close()


def test_upgrade_twice_is_harmless(db: Database) -> None:
    db.upgrade()
    assert db.schema_state().is_current


def test_sqlite_uses_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert connection.scalar(text("PRAGMA busy_timeout")) == 10_000


def test_sqlite_file_folder_is_created(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'p.sqlite3'}")
    try:
        db.upgrade()
        assert (tmp_path / "deep" / "er" / "p.sqlite3").exists()
    finally:
        db.close()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle://x"])
def test_unsupported_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(StorageError):
        Database.open(url)


def test_the_expected_revision_read_from_file_names_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from paperwire.storage.database import MIGRATIONS_DIR, head_revision

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()
