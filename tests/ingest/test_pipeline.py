"""A bulk load embeds and analyzes its papers in a second process while it stores them:
every added paper ends up embedded and with its terms, as by the plain backfill, on both
databases, and also when the second process fails."""

from __future__ import annotations

from factories import TEST_DATA

from paperwire.ingest.pipeline import ingest_and_embed
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.embeddings import count_embeddings
from paperwire.storage.paper_terms import count_terms
from paperwire.storage.papers import count_papers

LISTINGS = [
    TEST_DATA / "cs-ai-sample.jsonl",
    TEST_DATA / "cs-cv-sample.jsonl.gz",
    TEST_DATA / "oai-dc-sample.jsonl",
]


def test_a_followed_load_embeds_every_added_paper(database_url: str, db: Database) -> None:
    report, embedded = ingest_and_embed(db, database_url, "bundled", LISTINGS)
    embedder = load_embedder("bundled")
    assert report.counts.added == count_papers(db) == 55
    assert embedded == report.counts.added
    assert count_embeddings(db, embedder.name) == count_terms(db) == count_papers(db)
    left = embed_pending(db, embedder)
    assert left.embedded == left.analyzed == 0  # nothing left stale or missing


def test_a_second_load_follows_only_the_papers_it_adds(database_url: str, db: Database) -> None:
    ingest_and_embed(db, database_url, "bundled", LISTINGS[:1])
    report, embedded = ingest_and_embed(db, database_url, "bundled", LISTINGS)
    assert report.counts.added == 34 and embedded == 34
    assert count_embeddings(db, load_embedder("bundled").name) == count_papers(db)
    assert count_terms(db) == count_papers(db)


def test_a_follower_that_fails_loses_nothing_and_says_so(database_url: str, db: Database) -> None:
    report, embedded = ingest_and_embed(db, database_url, "no-such-model", LISTINGS[:1])
    assert embedded is None  # the caller embeds afterwards (paperwire ingest file does)
    assert report.counts.added == count_papers(db) == 21
    assert count_terms(db) == 21  # written here instead: found by keyword meanwhile
