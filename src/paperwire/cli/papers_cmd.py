"""`paperwire papers`: remove, hide and show again papers that should not be listed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from paperwire.cli.common import database, settings_from
from paperwire.papers import InvalidArxivId, parse_arxiv_id
from paperwire.storage import Database
from paperwire.storage import papers as paper_store
from paperwire.storage.papers import HiddenPaper, PaperChanges
from paperwire.text import without_unsafe_controls

_IDS = click.argument("ids", nargs=-1, required=True, metavar="ID...")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group()
def papers() -> None:
    """Repair stored papers: remove or hide bad records, spam, papers taken down."""


@papers.command()
@_IDS
@_JSON
@click.pass_context
def remove(context: click.Context, ids: tuple[str, ...], as_json: bool) -> None:
    """Delete papers with their votes, comments and embeddings (a harvest may add them
    again: hide a paper to keep it away). IDs as 2404.02258, 2404.02258v2 or arXiv:…"""
    with _open(context) as db:
        done = paper_store.remove_papers(db, _stored_ids(ids))
    if as_json:
        lost = {key: {"votes": v, "comments": c} for key, (v, c) in done.lost.items()}
        _echo_json({"removed": list(done.changed), "unknown": list(done.unknown), "lost": lost})
    else:
        for arxiv_id, (votes, comments) in done.lost.items():
            what = f"{_count(votes, 'vote')}, {_count(comments, 'comment')}"
            click.echo(f"removed {arxiv_id} with its {what}")
    _finish(context, done, as_json)


@papers.command()
@_IDS
@click.option("--reason", help="Why, for the operators (`papers list --hidden` shows it).")
@_JSON
@click.pass_context
def hide(context: click.Context, ids: tuple[str, ...], reason: str | None, as_json: bool) -> None:
    """Hide papers from every page, list, search, feed, digest and the API; they stay
    stored, so harvests update them without showing them again."""
    why = without_unsafe_controls(reason or "").strip() or None
    with _open(context) as db:
        done = paper_store.hide_papers(db, _stored_ids(ids), reason=why)
    _report(done, ("hidden", "already_hidden"), ("hid", "already hidden:"), as_json)
    _finish(context, done, as_json)


@papers.command()
@_IDS
@_JSON
@click.pass_context
def unhide(context: click.Context, ids: tuple[str, ...], as_json: bool) -> None:
    """Show hidden papers again."""
    with _open(context) as db:
        done = paper_store.unhide_papers(db, _stored_ids(ids))
    _report(done, ("shown", "not_hidden"), ("shown again:", "not hidden:"), as_json)
    _finish(context, done, as_json)


@papers.command("list")
@click.option("--hidden", is_flag=True, help="The hidden papers, with reason and time.")
@_JSON
@click.pass_context
def list_command(context: click.Context, hidden: bool, as_json: bool) -> None:
    """List the hidden papers (--hidden), the most recently hidden first."""
    if not hidden:
        raise click.UsageError("say which papers to list: --hidden")
    with _open(context) as db:
        found = paper_store.hidden_papers(db)
    if as_json:
        _echo_json([_hidden_json(paper) for paper in found])
        return
    if not found:
        click.echo("no hidden papers")
    for paper in found:
        when = paper.hidden_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(
            f"{paper.arxiv_id}  {when}  {paper.reason or '(no reason given)'}  {paper.title}"
        )


def _hidden_json(paper: HiddenPaper) -> dict[str, str | None]:
    return {
        "id": paper.arxiv_id,
        "title": paper.title,
        "hiddenAt": paper.hidden_at.isoformat(),
        "reason": paper.reason,
    }


def _stored_ids(texts: Sequence[str]) -> list[str]:
    """The ids papers are stored under, from the forms a reader types (2404.02258v2,
    arXiv:2404.02258, an abs URL); text that is no arXiv id is looked up as it is, so that a
    malformed record can still be named. Each once, in the order given."""
    found: list[str] = []
    for text in texts:
        cleaned = without_unsafe_controls(text).strip()
        try:
            found.append(parse_arxiv_id(cleaned)[0])
        except InvalidArxivId:
            found.append(cleaned)
    return list(dict.fromkeys(found))


@contextmanager
def _open(context: click.Context) -> Iterator[Database]:
    with database(settings_from(context)) as db:
        db.require_current_schema()
        yield db


def _report(
    done: PaperChanges, keys: tuple[str, str], words: tuple[str, str], as_json: bool
) -> None:
    if as_json:
        values = [list(done.changed), list(done.unchanged), list(done.unknown)]
        _echo_json(dict(zip((*keys, "unknown"), values, strict=True)))
        return
    for arxiv_id in done.changed:
        click.echo(f"{words[0]} {arxiv_id}")
    for arxiv_id in done.unchanged:
        click.echo(f"{words[1]} {arxiv_id}")


def _finish(context: click.Context, done: PaperChanges, as_json: bool) -> None:
    """Name the ids that matched no stored paper; exit status 1 when there were any."""
    if not done.unknown:
        return
    if not as_json:
        for text in done.unknown:
            click.echo(f"not stored: {text[:80]!r}", err=True)
    context.exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))
