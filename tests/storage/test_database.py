"""Opening databases, SQLite tuning, and schema versions."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from factories import make_paper
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError, SAWarning

from paperwire.storage import Database, SchemaBehind, StorageError
from paperwire.storage import papers as paper_store
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


def _count_checkouts(db: Database) -> list[object]:
    checkouts: list[object] = []
    event.listen(db.engine, "checkout", lambda *_: checkouts.append(1))
    return checkouts


def test_reads_in_a_shared_scope_use_one_connection(db: Database) -> None:
    paper_store.upsert_papers(
        db, [make_paper(arxiv_id="2401.00001"), make_paper(arxiv_id="2401.00002")]
    )
    checkouts = _count_checkouts(db)
    with db.shared_reads():
        pass  # a page served from a cache reads nothing: no connection is opened
    assert checkouts == []
    with db.shared_reads():
        first = paper_store.get_paper(db, "2401.00001")
        with db.shared_reads():  # nested: the same connection again
            second = paper_store.get_paper(db, "2401.00002")
        assert paper_store.get_paper(db, "2401.99999") is None
    assert (first and first.arxiv_id, second and second.arxiv_id) == ("2401.00001", "2401.00002")
    assert len(checkouts) == 1
    paper_store.get_paper(db, "2401.00001")
    paper_store.get_paper(db, "2401.00002")
    assert len(checkouts) == 3  # outside a scope, each read has a connection of its own


def test_a_failed_read_does_not_spoil_the_scopes_later_reads(db: Database) -> None:
    paper_store.upsert_papers(db, [make_paper(arxiv_id="2401.00001")])
    with db.shared_reads():
        with pytest.raises(DBAPIError), db.read() as connection:
            connection.execute(text("SELECT no_such_column FROM papers"))
        # PostgreSQL refuses statements in a transaction after an error: this one runs.
        found = paper_store.get_paper(db, "2401.00001")
    assert found is not None


def test_another_thread_inside_a_scope_reads_on_its_own_connection(db: Database) -> None:
    paper_store.upsert_papers(db, [make_paper(arxiv_id="2401.00001")])
    with db.shared_reads(), db.read() as shared, ThreadPoolExecutor(1) as pool:
        other = pool.submit(_connection_of_a_read, db).result()
    assert other is not shared


def _connection_of_a_read(db: Database) -> Connection:
    with db.read() as connection:
        return connection
