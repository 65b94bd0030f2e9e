"""Open a database by URL, configure its connections, and manage its schema version."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "paperwire_write"


class StorageError(RuntimeError):
    """A database problem worth one clear line to the user."""


class SchemaBehind(StorageError):
    """The database schema is older than this version of paperwire."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head


class Database:
    """A connection pool to one database plus its schema management."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Database:
        """Create the engine for url; for SQLite, create the file's folder and tune it."""
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise StorageError(f"invalid database URL: {error}") from None
        if parsed.get_backend_name() == "sqlite":
            return cls(_sqlite_engine(url, parsed.database))
        if parsed.get_backend_name() == "postgresql":
            return cls(
                create_engine(
                    url,
                    pool_pre_ping=True,
                    pool_size=10,
                    max_overflow=10,
                    json_serializer=_json_text,
                )
            )
        raise StorageError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def schema_state(self) -> SchemaState:
        """Which migration the database is at, and which one this code expects."""
        head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        assert head is not None, "the package ships at least one migration"
        try:
            with self.engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except OperationalError as error:
            raise StorageError(f"cannot open the database: {error.orig}") from None
        return SchemaState(current=current, head=head)

    def is_empty(self) -> bool:
        """True when the database holds no tables at all (a brand-new database)."""
        with self.engine.connect() as connection:
            return not inspect(connection).get_table_names()

    def upgrade(self) -> None:
        """Apply every pending migration."""
        with self.engine.begin() as connection:
            config = self._alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def require_current_schema(self) -> None:
        """Raise SchemaBehind, naming the fix, when migrations are pending."""
        state = self.schema_state()
        if not state.is_current:
            raise SchemaBehind(
                f"the database schema is at {state.current or 'nothing'}, this paperwire "
                f"needs {state.head}: run `paperwire db upgrade` first"
            )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: on SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), so that what it reads cannot change before it writes."""
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def close(self) -> None:
        self.engine.dispose()

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        return config


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        json_serializer=_json_text,
    )
    event.listen(engine, "connect", _tune_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _json_text(value: Any) -> str:
    # Names stay readable in JSON columns: full-text search must see "Zoë", not "\\u00eb".
    return json.dumps(value, ensure_ascii=False)


def _begin_sqlite_transaction(connection: Connection) -> None:
    # The sqlite3 module would start transactions only at the first write, after the
    # reads; paperwire begins them itself so a transaction sees one snapshot throughout.
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by the hook above
    cursor = dbapi_connection.cursor()
    # WAL lets readers (web workers) proceed while an ingest writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        cursor.execute("SELECT exp(0)")
    except sqlite3.OperationalError:
        # SQLite built without its math functions: the trending score needs exp().
        dbapi_connection.create_function("exp", 1, math.exp, deterministic=True)
    cursor.close()
