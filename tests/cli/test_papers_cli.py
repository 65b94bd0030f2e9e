"""`paperwire papers remove|hide|unhide|list`: repairing stored papers without SQL."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from factories import add_user, make_paper

from paperwire.cli.main import cli
from paperwire.storage import Database
from paperwire.storage.comments import add_comment
from paperwire.storage.papers import get_paper, hidden_papers, upsert_papers
from paperwire.storage.votes import cast_vote

FIRST, SECOND, THIRD = "2404.02258", "2404.02259", "2404.02260"


@pytest.fixture
def db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The database the commands use (on each backend), with three papers stored."""
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERWIRE_DATABASE_URL", database_url)
    assert _run("db", "upgrade").exit_code == 0
    database = Database.open(database_url)
    upsert_papers(
        database, [make_paper(arxiv_id=i, title=f"Paper {i}") for i in (FIRST, SECOND, THIRD)]
    )
    yield database
    database.close()


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_hide_list_and_unhide_take_ids_as_readers_type_them(db: Database) -> None:
    hidden = _run("papers", "hide", f"{FIRST}v2", f"arXiv:{SECOND}", "--reason", "spam")
    assert hidden.exit_code == 0
    assert hidden.stdout.splitlines() == [f"hid {FIRST}", f"hid {SECOND}"]
    assert get_paper(db, FIRST) is None and get_paper(db, THIRD) is not None
    listed = _run("papers", "list", "--hidden")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and all("spam" in line and "UTC" in line for line in lines)
    rows = json.loads(_run("papers", "list", "--hidden", "--json").stdout)
    assert {row["id"] for row in rows} == {FIRST, SECOND}
    assert {row["reason"] for row in rows} == {"spam"} and all(row["hiddenAt"] for row in rows)
    shown = _run("papers", "unhide", f"https://arxiv.org/abs/{FIRST}v1")
    assert shown.exit_code == 0 and shown.stdout == f"shown again: {FIRST}\n"
    assert get_paper(db, FIRST) is not None
    assert [paper.arxiv_id for paper in hidden_papers(db)] == [SECOND]


def test_ids_not_stored_are_named_and_the_others_still_done(db: Database) -> None:
    _run("papers", "hide", SECOND)
    result = _run("papers", "hide", FIRST, SECOND, "2404.99999", "no such thing")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"hid {FIRST}", f"already hidden: {SECOND}"]
    assert result.stderr.splitlines() == ["not stored: '2404.99999'", "not stored: 'no such thing'"]
    assert "Traceback" not in result.output
    assert {paper.arxiv_id for paper in hidden_papers(db)} == {FIRST, SECOND}
    again = _run("papers", "unhide", THIRD, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {"shown": [], "not_hidden": [THIRD], "unknown": []}


def test_remove_deletes_papers_with_their_votes_and_comments(db: Database) -> None:
    alice = add_user(db, "alice")
    cast_vote(db, alice.id, FIRST, up=True, half_life_hours=72)
    add_comment(db, alice.id, FIRST, "Spam, surely.")
    _run("papers", "hide", SECOND)
    result = _run("papers", "remove", FIRST, f"{SECOND}v3")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"removed {FIRST} with its 1 vote, 1 comment",
        f"removed {SECOND} with its 0 votes, 0 comments",
    ]
    assert get_paper(db, FIRST) is None and hidden_papers(db) == []
    again = _run("papers", "remove", FIRST, THIRD, "--json")
    assert again.exit_code == 1
    assert json.loads(again.stdout) == {
        "removed": [THIRD],
        "unknown": [FIRST],
        "lost": {THIRD: {"votes": 0, "comments": 0}},
    }


def test_listing_needs_to_be_told_what(db: Database) -> None:
    result = _run("papers", "list")
    assert result.exit_code == 2 and "--hidden" in result.output
    assert _run("papers", "list", "--hidden").stdout == "no hidden papers\n"
