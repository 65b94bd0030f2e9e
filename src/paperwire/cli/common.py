"""What every command shares: settings from the click context and opening the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from paperwire.config import Settings, redact_url
from paperwire.storage import Database, StorageError

# What opening does when the SQLite database file does not exist: a command that only
# reads refuses (run elsewhere, it would otherwise create an empty instance there);
# "open" creates the file for a command that prepares the schema itself; "create" also
# gives a brand-new database its schema, as `serve` does.
IfMissing = Literal["refuse", "open", "create"]


def settings_from(context: click.Context) -> Settings:
    settings: Settings = context.find_root().obj
    return settings


@contextmanager
def database(settings: Settings, *, if_missing: IfMissing = "refuse") -> Iterator[Database]:
    """Open the configured database; turn connection failures into one clear line."""
    url = settings.effective_database_url()
    if if_missing == "refuse":
        _refuse_missing_sqlite_file(url)
    try:
        db = Database.open(url)
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    try:
        if if_missing == "create":
            _create_schema_if_new(db, url)
        yield db
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise click.ClickException(f"database {redact_url(url)}: {reason}") from None
    finally:
        db.close()


def _refuse_missing_sqlite_file(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        raise click.ClickException(
            f"no database at {path}: cd to the folder your instance runs in, set "
            "PAPERWIRE_DATA_DIR or PAPERWIRE_DATABASE_URL, or run `paperwire db upgrade` "
            "(or `paperwire serve`) first to create one"
        )


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases, memory, or a bad URL (which
    opening reports)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def _create_schema_if_new(db: Database, url: str) -> None:
    if db.is_empty():
        db.upgrade()
        click.echo(f"created a new database at {redact_url(url)}", err=True)
