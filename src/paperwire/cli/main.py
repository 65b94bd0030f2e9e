"""The `paperwire` command group: settings are read once here and handed to each command."""

from __future__ import annotations

import logging

import click
from pydantic import ValidationError
from pydantic_settings import SettingsError

from paperwire import __version__
from paperwire.cli import (
    arxiv_cmd,
    code_cmd,
    config_cmd,
    db_cmd,
    digest_cmd,
    embed_cmd,
    index_cmd,
    ingest_cmd,
    papers_cmd,
    search_cmd,
    serve_cmd,
    users_cmd,
)
from paperwire.config import Settings
from paperwire.signing import SecretKeyError


class _Commands(click.Group):
    """The command group, turning errors any command can meet into one-line messages."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SecretKeyError as error:  # signing digest links, reset links, sessions
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paperwire")
@click.pass_context
def cli(context: click.Context) -> None:
    """paperwire: a self-hostable trending research papers service."""
    try:
        settings = Settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    except ValidationError as error:
        problem = error.errors()[0]
        name = "PAPERWIRE_" + str(problem["loc"][0]).upper() if problem["loc"] else "a setting"
        raise click.ClickException(f"{name}: {problem['msg']}") from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    context.obj = settings


cli.add_command(serve_cmd.serve)
cli.add_command(db_cmd.db)
cli.add_command(ingest_cmd.ingest)
ingest_cmd.ingest.add_command(arxiv_cmd.ingest_arxiv)
ingest_cmd.ingest.add_command(arxiv_cmd.ingest_status)
cli.add_command(config_cmd.config)
cli.add_command(search_cmd.search)
cli.add_command(embed_cmd.embed)
cli.add_command(index_cmd.index)
cli.add_command(digest_cmd.digest)
cli.add_command(digest_cmd.subscribers)
cli.add_command(users_cmd.users)
cli.add_command(papers_cmd.papers)
cli.add_command(code_cmd.code)


def main() -> None:
    cli(prog_name="paperwire")
