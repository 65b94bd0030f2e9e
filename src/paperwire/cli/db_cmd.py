"""`paperwire db`: schema status and upgrades."""

from __future__ import annotations

import click

from paperwire.cli.common import database, settings_from
from paperwire.config import redact_url


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@click.pass_context
def upgrade(context: click.Context) -> None:
    """Create the schema or apply pending migrations."""
    settings = settings_from(context)
    with database(settings, if_missing="open") as opened:
        before = opened.schema_state()
        opened.upgrade()
    target = redact_url(settings.effective_database_url())
    if before.is_current:
        click.echo(f"{target}: already at {before.head}")
    else:
        click.echo(f"{target}: upgraded from {before.current or 'empty'} to {before.head}")


@db.command()
@click.pass_context
def status(context: click.Context) -> None:
    """Show the schema version and whether migrations are pending."""
    settings = settings_from(context)
    with database(settings) as opened:
        state = opened.schema_state()
    verdict = "up to date" if state.is_current else "behind: run `paperwire db upgrade`"
    click.echo(f"database: {redact_url(settings.effective_database_url())}")
    click.echo(
        f"schema:   {state.current or 'empty'} (this paperwire needs {state.head}): {verdict}"
    )
