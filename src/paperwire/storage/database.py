"""Open a database by URL, configure its connections, and manage its schema version."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

if TYPE_CHECKING:  # imported for real only where migrations run
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# How long a SQLite write waits for another process's write (an ingest batch, a digest
# pass) to commit before it gives up with DatabaseBusy: SQLite's busy handler retries
# in the meantime, so a write never fails while the lock is released within this bound.
SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "paperwire_write"
_MIGRATION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# What either backend raises when the database is down, restarting, refusing connections
# or unreadable: the web app answers 503 with Retry-After (the request may be repeated).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class StorageError(RuntimeError):
    """A database problem worth one clear line to the user."""


class SchemaBehind(StorageError):
    """The database schema is older than this version of paperwire."""


class DatabaseBusy(StorageError):
    """Another process held SQLite's write lock for longer than the busy timeout; nothing
    was written, so the same request may simply be made again."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head


@dataclass(slots=True)
class _SharedReads:
    """The connection of one shared_reads() scope, once its first read opened it."""

    connection: Connection | None = None


class Database:
    """A connection pool to one database plus its schema management."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The connection of an open shared_reads() scope, per thread and task.
        self._shared: ContextVar[_SharedReads | None] = ContextVar(
            f"paperwire_shared_reads_{id(self)}", default=None
        )

    @classmethod
    def open(cls, url: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Database:
        """Create the engine for url; for SQLite, create the file's folder and tune it
        (busy_timeout_ms: how long a write waits for another writer's lock)."""
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise StorageError(f"invalid database URL: {error}") from None
        if parsed.get_backend_name() == "sqlite":
            return cls(_sqlite_engine(url, parsed.database, busy_timeout_ms))
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
        head = head_revision()
        try:
            with self.engine.connect() as connection:
                current = _current_revision(connection)
        except OperationalError as error:
            raise StorageError(f"cannot open the database: {error.orig}") from None
        return SchemaState(current=current, head=head)

    def is_empty(self) -> bool:
        """True when the database holds no tables at all (a brand-new database)."""
        with self.engine.connect() as connection:
            return not inspect(connection).get_table_names()

    def upgrade(self) -> None:
        """Apply every pending migration, holding the write lock from the start (Alembic
        reads the schema before it changes it: see write())."""
        from alembic import command  # only here: 0.3 s of imports no web worker needs

        with self.write() as connection:
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
        (BEGIN IMMEDIATE), so that what it reads cannot change before it writes.

        Taking it up front is also what lets a write wait for another process's. In WAL
        mode a transaction that began as a reader and then writes after another process
        committed fails at once with "database is locked" (its snapshot is stale, and
        SQLite's busy handler does not wait in that case), whatever the busy timeout.
        BEGIN IMMEDIATE instead waits in the busy handler, before any of the unit of work
        has run, so nothing has to be retried from the start, and no caller needs to be
        safe to rerun. Measured on one file with an ingest-like process upserting batches
        beside 4 threads casting 400 votes: 359 votes failed with deferred transactions,
        none with BEGIN IMMEDIATE. Past the busy timeout, DatabaseBusy (HTTP 503).
        """
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE_OPTION: True})
            with connection.begin():
                yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection to read with: the one of an open shared_reads() scope (opened at
        its first read), else a connection of its own, returned to the pool at the end."""
        scope = self._shared.get()
        if scope is None:
            with self.engine.connect() as connection:
                yield connection
            return
        if scope.connection is None:
            scope.connection = self.engine.connect()
        try:
            yield scope.connection
        except BaseException:
            # PostgreSQL refuses every later statement of a transaction after an error;
            # the scope's next read begins a fresh one.
            scope.connection.rollback()
            raise

    @contextmanager
    def shared_reads(self) -> Iterator[None]:
        """Every read() in this thread (or task) until the end shares one connection and
        one transaction: a paper page's eight reads cost one pool checkout and one BEGIN
        instead of eight, and a page served from a cache none. For views that only read:
        on SQLite the transaction's snapshot is taken at its first read, so a write made
        meanwhile through write() is not seen by the scope's later reads."""
        if self._shared.get() is not None:
            yield
            return
        scope = _SharedReads()
        token = self._shared.set(scope)
        try:
            yield
        finally:
            self._shared.reset(token)
            if scope.connection is not None:
                scope.connection.close()

    def close(self) -> None:
        self.engine.dispose()

    def _alembic_config(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        return config


def head_revision() -> str:
    """The revision this code expects: the largest NNNN of the migration files
    migrations/versions/NNNN_*.py, whose revision ids are their numbers (a test checks this
    against Alembic's own head). Read from the names so that checking a database's schema
    needs no Alembic: importing it cost each web worker 0.3 s of its start."""
    numbers = [
        found.group(1)
        for path in (MIGRATIONS_DIR / "versions").iterdir()
        if (found := _MIGRATION_FILE.match(path.name))
    ]
    return max(numbers)


def _current_revision(connection: Connection) -> str | None:
    """The revision in alembic_version, None for a database never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if found is None else str(found)


def _sqlite_engine(url: str, database: str | None, busy_timeout_ms: int) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # The busy timeout is set as the connection opens: before the PRAGMAs below,
        # which may already have to wait for a lock.
        connect_args={"timeout": busy_timeout_ms / 1000},
        json_serializer=_json_text,
    )
    event.listen(engine, "connect", _tune_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    event.listen(engine, "handle_error", _busy_as_database_busy)
    return engine


def _json_text(value: Any) -> str:
    # Names stay readable in JSON columns: full-text search must see "Zoë", not "\\u00eb".
    return json.dumps(value, ensure_ascii=False)


def _begin_sqlite_transaction(connection: Connection) -> None:
    # The sqlite3 module would start transactions only at the first write, after the
    # reads; paperwire begins them itself so a transaction sees one snapshot throughout.
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _busy_as_database_busy(context: ExceptionContext) -> None:
    """SQLITE_BUSY (also its extended codes) after the busy timeout: one clear error that
    the web app answers with 503 and the CLI prints in one line."""
    error = context.original_exception
    code = getattr(error, "sqlite_errorcode", 0)
    if isinstance(error, sqlite3.OperationalError) and code & 0xFF == sqlite3.SQLITE_BUSY:
        raise DatabaseBusy(
            "the database is busy with another process's writes; nothing was changed, "
            "try again in a moment"
        ) from error


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by the hook above
    cursor = dbapi_connection.cursor()
    # WAL lets readers (web workers) proceed while an ingest writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        cursor.execute("SELECT exp(0)")
    except sqlite3.OperationalError:
        # SQLite built without its math functions: the trending score needs exp().
        dbapi_connection.create_function("exp", 1, math.exp, deterministic=True)
    cursor.close()
