"""`paperwire users`: create accounts (administrators included) from the command line."""

from __future__ import annotations

import click

from paperwire.cli.common import database, settings_from
from paperwire.community.accounts import AccountError, NewAccount, sign_up


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command()
@click.argument("username")
@click.option("--email", required=True, help="The account's e-mail address.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given, which keeps it out of the shell history.",
)
@click.option("--admin", is_flag=True, help="Make the account a moderator that can hide comments.")
@click.pass_context
def create(context: click.Context, username: str, email: str, password: str, admin: bool) -> None:
    """Create the account USERNAME."""
    with database(settings_from(context)) as db:
        db.require_current_schema()
        try:
            user = sign_up(db, NewAccount(username, email, password), is_admin=admin)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
    role = "administrator" if user.is_admin else "user"
    click.echo(f"created {role} {user.username} <{user.email}>")
