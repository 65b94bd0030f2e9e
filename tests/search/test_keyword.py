"""Keyword search on both databases: matching, ranking, phrases, prefixes, safety, freshness."""

from __future__ import annotations

from dataclasses import replace

import pytest
from factories import TEST_DATA, make_paper

from paperwire.ingest.files import ingest_files
from paperwire.search.keyword import (
    InvalidQuery,
    Term,
    fts5_query,
    mark_up,
    parse_query,
    search_papers,
)
from paperwire.storage import Database
from paperwire.storage.papers import get_paper, upsert_papers


def test_parse_query_keeps_words_phrases_and_prefixes() -> None:
    assert parse_query('reward "policy gradient" distil* -x') == [
        Term(("reward",)),
        Term(("policy", "gradient")),
        Term(("distil",), prefix=True),
        Term(("x",)),
    ]


@pytest.mark.parametrize("query", ["", "   ", "!!! ---", '""', "((("])
def test_queries_without_words_are_refused(query: str) -> None:
    with pytest.raises(InvalidQuery, match="no words"):
        parse_query(query)


def test_absurdly_long_query_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="longer than"):
        parse_query("transformer " * 1_000)


def test_fts5_syntax_is_always_quoted() -> None:
    terms = parse_query('self-supervised NEAR(a b) title:x "quote" "un"balanced')
    # A hyphenated word becomes the phrase of its parts, as the FTS tokenizer splits it.
    assert (
        fts5_query(terms) == '"self supervised" "NEAR" "a" "b" "title" "x" "quote" "un" "balanced"'
    )


def test_mark_up_escapes_text_and_marks_matches() -> None:
    assert mark_up("a <b> \x02match\x03 & c") == "a &lt;b&gt; <mark>match</mark> &amp; c"


@pytest.fixture
def loaded(db: Database) -> Database:
    ingest_files(db, [TEST_DATA / "cs-ai-sample.jsonl", TEST_DATA / "oai-dc-sample.jsonl"])
    return db


def test_title_words_find_the_paper_first(loaded: Database) -> None:
    hits = search_papers(loaded, "generative model selections fraud detection", limit=5)
    assert hits[0].paper.arxiv_id == "2401.00974"
    assert "<mark>" in hits[0].highlighted_title


def test_phrase_and_prefix_search(loaded: Database) -> None:
    phrase = search_papers(loaded, '"fraud detection"', limit=5)
    assert [h.paper.arxiv_id for h in phrase][:1] == ["2401.00974"]
    prefix = search_papers(loaded, "synthe*", limit=20)
    assert "2401.00974" in [h.paper.arxiv_id for h in prefix]


def test_authors_are_searchable(loaded: Database) -> None:
    hits = search_papers(loaded, "Potluru", limit=5)
    assert [h.paper.arxiv_id for h in hits] == ["2401.00974"]


def test_syntax_characters_cannot_break_a_query(loaded: Database) -> None:
    for query in [
        "self-supervised",
        "a:b",
        '"unbalanced',
        "NOT AND OR",
        "x^2 (y) {z} *",
        "'; DROP",
    ]:
        search_papers(loaded, query, limit=5)  # no exception is the assertion


def test_unicode_queries_match_accented_names(db: Database) -> None:
    upsert_papers(
        db, [make_paper(arxiv_id="2401.09999", authors=("Zoë Ünal",), title="Über alles")]
    )
    assert [h.paper.arxiv_id for h in search_papers(db, "Zoë", limit=5)] == ["2401.09999"]


def test_index_follows_updates(db: Database) -> None:
    paper = make_paper(title="Quantum widgets")
    upsert_papers(db, [paper])
    assert search_papers(db, "widgets", limit=5)
    upsert_papers(db, [replace(paper, version=2, title="Classical gadgets")])
    stored = get_paper(db, paper.arxiv_id)
    assert stored is not None and stored.title == "Classical gadgets"
    assert search_papers(db, "widgets", limit=5) == []
    assert [h.paper.arxiv_id for h in search_papers(db, "gadgets", limit=5)] == [paper.arxiv_id]


def test_pages_of_results_do_not_overlap(db: Database) -> None:
    upsert_papers(db, [make_paper(title=f"Lattice study {n}") for n in range(7)])
    first = search_papers(db, "lattice", limit=4)
    second = search_papers(db, "lattice", limit=4, offset=4)
    ids = [h.paper.arxiv_id for h in first + second]
    assert len(ids) == 7 and len(set(ids)) == 7


def test_index_stays_consistent_through_merges(sqlite_db: Database) -> None:
    ingest_files(sqlite_db, [TEST_DATA / "cs-ai-sample.jsonl", TEST_DATA / "upvotes-sample.json"])
    paper = make_paper(title="Sparse widgets")
    upsert_papers(sqlite_db, [paper])
    upsert_papers(sqlite_db, [replace(paper, imported_upvotes=9)])  # no text change
    upsert_papers(sqlite_db, [replace(paper, version=2, abstract="Now about gizmos.")])
    assert len(search_papers(sqlite_db, "widgets", limit=5)) == 1
    assert [h.paper.arxiv_id for h in search_papers(sqlite_db, "gizmos", limit=5)] == [
        paper.arxiv_id
    ]
    with sqlite_db.engine.begin() as connection:  # raises when index and table disagree
        connection.exec_driver_sql(
            "INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)"
        )
