"""What every command shares: settings from the click context and opening the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError

from paperwire.config import Settings, redact_url
from paperwire.storage import Database, StorageError


def settings_from(context: click.Context) -> Settings:
    settings: Settings = context.find_root().obj
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[Database]:
    """Open the configured database; turn connection failures into one clear line."""
    url = settings.effective_database_url()
    try:
        db = Database.open(url)
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    try:
        yield db
    except StorageError as error:
        raise click.ClickException(str(error)) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise click.ClickException(f"database {redact_url(url)}: {reason}") from None
    finally:
        db.close()
