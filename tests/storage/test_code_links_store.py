"""Paper links in storage: set at ingest, kept for readers, edited, reverted, counted."""

from __future__ import annotations

import json

import pytest
from factories import TEST_DATA, add_user, make_paper
from sqlalchemy import select

from paperwire.ingest.formats import parse_upvote_entry
from paperwire.storage import Database
from paperwire.storage.code import code_for
from paperwire.storage.code_links import (
    EditConflict,
    chosen_link,
    edit_link,
    link_edits,
    recent_link_edits,
    revert_edit,
)
from paperwire.storage.counters import CODE_COUNTER, counter_value
from paperwire.storage.papers import hide_papers, upsert_papers
from paperwire.storage.schema import paper_links, repositories
from paperwire.storage.votes import UnknownPaper

CODE = "Our code is at https://github.com/Me/Ours.git."
PAGE = " Project page: https://me.github.io/ours/."


def _links(db: Database, arxiv_id: str) -> tuple[str | None, str | None]:
    found = code_for(db, [arxiv_id]).get(arxiv_id)
    return (found.code_url, found.project_url) if found else (None, None)


def _sources(db: Database) -> list[tuple[str | None, str | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(paper_links.c.code_source, paper_links.c.project_source))
        return [tuple(row) for row in rows]


def test_ingest_stores_the_links_the_text_names_with_their_repository(db: Database) -> None:
    before = counter_value(db, CODE_COUNTER)
    upsert_papers(db, [make_paper(arxiv_id="2404.00001", abstract=CODE + PAGE), make_paper()])
    assert _links(db, "2404.00001") == ("https://github.com/Me/Ours", "https://me.github.io/ours")
    assert _sources(db) == [("text", "text")]
    with db.engine.connect() as connection:
        stored = connection.execute(select(repositories.c.host, repositories.c.path_key)).all()
    assert [tuple(row) for row in stored] == [("github.com", "me/ours")]
    assert counter_value(db, CODE_COUNTER) == before + 1


def test_a_new_version_without_the_link_drops_a_text_link(db: Database) -> None:
    upsert_papers(db, [make_paper(arxiv_id="2404.00002", version=1, abstract=CODE)])
    upsert_papers(db, [make_paper(arxiv_id="2404.00002", version=2, abstract="Rewritten.")])
    assert _links(db, "2404.00002") == (None, None)
    assert _sources(db) == []


def test_reingesting_the_same_papers_writes_nothing(db: Database) -> None:
    papers = [make_paper(abstract=CODE), make_paper(comment="Code: github.com/a/b")]
    upsert_papers(db, papers)
    before = counter_value(db, CODE_COUNTER)
    upsert_papers(db, papers)
    assert counter_value(db, CODE_COUNTER) == before


def test_ingest_never_overwrites_a_readers_link_even_an_emptied_one(db: Database) -> None:
    reader = add_user(db, "alice")
    upsert_papers(db, [make_paper(arxiv_id="2404.00003", version=1, abstract=CODE + PAGE)])
    edit_link(db, "2404.00003", "code", "https://github.com/right/one", reader.id)
    edit_link(db, "2404.00003", "project", None, reader.id)
    newer = "New text: https://github.com/wrong/one and https://other.github.io/x"
    upsert_papers(db, [make_paper(arxiv_id="2404.00003", version=2, abstract=newer)])
    assert _links(db, "2404.00003") == ("https://github.com/right/one", None)


def test_a_records_link_beats_the_text_and_stays_when_a_later_record_has_none(
    db: Database,
) -> None:
    recorded = make_paper(
        arxiv_id="2404.00004",
        abstract=CODE,
        record_code_url="https://github.com/hf/listed",
        record_project_url="https://hf.example.org",
    )
    upsert_papers(db, [recorded])
    assert _links(db, "2404.00004") == ("https://github.com/hf/listed", "https://hf.example.org")
    upsert_papers(db, [make_paper(arxiv_id="2404.00004", version=2, abstract=CODE + " v2")])
    assert _links(db, "2404.00004") == ("https://github.com/hf/listed", "https://hf.example.org")
    assert _sources(db) == [("record", "record")]


def test_chosen_link_follows_reader_then_record_then_text() -> None:
    assert chosen_link(("r", "reader"), "c", "t") == ("r", "reader")
    assert chosen_link((None, "reader"), "c", "t") == (None, "reader")
    assert chosen_link(("x", "text"), "c", "t") == ("c", "record")
    assert chosen_link(("c", "record"), None, "t") == ("c", "record")
    assert chosen_link(("x", "text"), None, None) == (None, None)


def test_edits_are_recorded_and_a_moderator_reverts_them(db: Database) -> None:
    alice, root = add_user(db, "alice"), add_user(db, "root", admin=True)
    upsert_papers(db, [make_paper(arxiv_id="2404.00005", abstract=CODE)])
    edit = edit_link(db, "2404.00005", "code", "https://github.com/spam/spam", alice.id)
    assert edit is not None and edit.old_url == "https://github.com/Me/Ours"
    assert edit_link(db, "2404.00005", "code", "https://github.com/spam/spam", alice.id) is None
    before = counter_value(db, CODE_COUNTER)
    reverted = revert_edit(db, edit.id, root.id)
    assert reverted.reverted_by == "root" and reverted.reverted_at is not None
    assert _links(db, "2404.00005") == ("https://github.com/Me/Ours", None)
    assert counter_value(db, CODE_COUNTER) == before + 1
    with pytest.raises(EditConflict):
        revert_edit(db, edit.id, root.id)
    assert [e.id for e in link_edits(db, "2404.00005")] == [edit.id]
    assert [e.username for e in recent_link_edits(db)] == ["alice"]


def test_an_edit_superseded_by_a_later_one_is_not_reverted(db: Database) -> None:
    alice, root = add_user(db, "alice"), add_user(db, "root", admin=True)
    upsert_papers(db, [make_paper(arxiv_id="2404.00006")])
    first = edit_link(db, "2404.00006", "project", "https://a.example.org", alice.id)
    edit_link(db, "2404.00006", "project", "https://b.example.org", alice.id)
    assert first is not None
    with pytest.raises(EditConflict):
        revert_edit(db, first.id, root.id)


def test_hidden_or_unknown_papers_cannot_be_edited(db: Database) -> None:
    alice = add_user(db, "alice")
    upsert_papers(db, [make_paper(arxiv_id="2404.00007")])
    hide_papers(db, ["2404.00007"], reason="spam")
    for arxiv_id in ("2404.00007", "2404.09999"):
        with pytest.raises(UnknownPaper):
            edit_link(db, arxiv_id, "code", "https://github.com/a/b", alice.id)


def test_an_upvote_entry_with_hugging_face_link_fields_gives_record_links(db: Database) -> None:
    recorded = json.loads((TEST_DATA / "hf" / "api-daily-papers-item.json").read_text())["paper"]
    entry = {
        "title": recorded["title"],
        "abstract": recorded["summary"],
        "authors": [author["name"] for author in recorded["authors"]],
        "publication_date": recorded["publishedAt"],
        "upvotes": recorded["upvotes"],
        "githubRepo": recorded["githubRepo"] + ".git",
        "projectPage": recorded["projectPage"],
    }
    paper = parse_upvote_entry(recorded["id"], entry)
    junk = parse_upvote_entry(
        "2404.00008", entry | {"githubRepo": "javascript:x", "projectPage": 3}
    )
    upsert_papers(db, [paper, junk])
    assert _links(db, recorded["id"]) == (
        "https://github.com/marco-garosi/CIRCLE",
        "https://circle-lmm.github.io",
    )
    assert _links(db, "2404.00008") == (None, None)
