"""`paperwire config show`: the effective settings, secrets redacted."""

from __future__ import annotations

import json

import click

from paperwire.cli.common import settings_from


@click.group()
def config() -> None:
    """Inspect configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def show(context: click.Context, as_json: bool) -> None:
    """Print every setting with its effective value (passwords hidden)."""
    values = settings_from(context).redacted()
    if as_json:
        click.echo(json.dumps(values, indent=2, default=str))
        return
    width = max(len(name) for name in values)
    for name, value in values.items():
        click.echo(f"{name.ljust(width)}  {'' if value is None else value}")
