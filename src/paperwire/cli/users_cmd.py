"""`paperwire users`: create accounts (administrators included) and end their sessions."""

from __future__ import annotations

import click

from paperwire.cli.common import database, settings_from
from paperwire.community.accounts import AccountError, new_account, sign_up
from paperwire.community.sessions import end_all_sessions
from paperwire.storage.users import user_by_name


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
            user = sign_up(db, new_account(username, email, password), is_admin=admin)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
    role = "administrator" if user.is_admin else "user"
    click.echo(f"created {role} {user.username} <{user.email}>")


@users.command("logout-everywhere")
@click.argument("username")
@click.pass_context
def logout_everywhere(context: click.Context, username: str) -> None:
    """End every session of USERNAME (a stolen cookie, a lost laptop)."""
    with database(settings_from(context)) as db:
        db.require_current_schema()
        user = user_by_name(db, username)
        if user is None:
            raise click.ClickException(f"No user is called {username!r}.")
        ended = end_all_sessions(db, user.id)
    click.echo(f"ended {ended} session{'' if ended == 1 else 's'} of {user.username}")
