"""Removing and hiding papers: gone from every reader's query, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pytest
from factories import add_user, make_paper
from sqlalchemy import Table, func, select

from paperwire.digest.model import Preferences
from paperwire.papers import Paper
from paperwire.search.embedder import normalised
from paperwire.search.keyword import keyword_query, parse_query
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.categories import papers_in_category
from paperwire.storage.comments import add_comment
from paperwire.storage.papers import (
    PaperChanges,
    UpsertCounts,
    count_listed_papers,
    count_papers,
    get_paper,
    hidden_papers,
    hide_papers,
    latest_listing_day,
    next_listing_day,
    paper_key,
    papers_before,
    papers_by_ids,
    papers_by_keys,
    papers_listed_between,
    papers_version,
    previous_listing_day,
    remove_papers,
    unhide_papers,
    upsert_papers,
)
from paperwire.storage.schema import (
    comments,
    digest_deliveries,
    digest_sent_papers,
    paper_embeddings,
    paper_stats,
    paper_terms,
    papers,
    submissions,
    vote_buckets,
    votes,
)
from paperwire.storage.search import PaperFilter, keyword_ranking, keyword_search
from paperwire.storage.submissions import add_submission
from paperwire.storage.trending import trending_page
from paperwire.storage.votes import UnknownPaper, cast_vote

DAY = date(2024, 4, 8)
BAD_DAY = date(9999, 12, 31)  # what a broken record once claimed as its listing day
HALF_LIFE_HOURS = 72.0
MODEL = "test-random"
DIMS = 8


def _store(db: Database) -> tuple[Paper, Paper, Paper]:
    """Three upvoted papers: before DAY, on DAY, and a bad record listed on BAD_DAY."""
    stored = (
        make_paper(listing_day=date(2024, 4, 5), imported_upvotes=3, title="Zebra earlier"),
        make_paper(listing_day=DAY, imported_upvotes=5, title="Zebra kept"),
        make_paper(listing_day=BAD_DAY, imported_upvotes=9, title="Zebra spam"),
    )
    upsert_papers(db, list(stored))
    return stored


def _ids(found: list[Paper]) -> list[str]:
    return [paper.arxiv_id for paper in found]


def _listed_everywhere(db: Database, paper: Paper) -> dict[str, bool]:
    """Whether each reader's query shows paper (listed on DAY or BAD_DAY)."""
    day = paper.listing_day
    assert day is not None
    words = keyword_query(parse_query("zebra"))
    trending, _ = trending_page(
        db, day, day, anchor=day, now=datetime.now(UTC), half_life_hours=72, limit=10, offset=0
    )
    ranked_keys = [k for k, _ in keyword_ranking(db, words, limit=10)]
    filtered_keys = [k for k, _ in keyword_ranking(db, words, limit=10, where=PaperFilter(day))]
    return {
        "get_paper": get_paper(db, paper.arxiv_id) is not None,
        "papers_by_ids": _ids(papers_by_ids(db, [paper.arxiv_id])) == [paper.arxiv_id],
        "paper_key": paper_key(db, paper.arxiv_id) is not None,
        "day list": paper.arxiv_id in _ids(papers_listed_between(db, day, day, limit=10)[0]),
        "day count": papers_listed_between(db, day, day, limit=10)[1] == 1,
        "by date": paper.arxiv_id in _ids(papers_before(db, None, 10)),
        "latest day": latest_listing_day(db) == day,
        "category": paper.arxiv_id in _ids(papers_in_category(db, "cs.AI", 10)),
        "trending": paper.arxiv_id in [entry.arxiv_id for entry in trending],
        "keyword search": paper.arxiv_id
        in [m.arxiv_id for m in keyword_search(db, words, limit=10)],
        "keyword ranking": _key_of(db, paper) in ranked_keys,
        "filtered ranking": _key_of(db, paper) in filtered_keys,
    }


def _key_of(db: Database, paper: Paper) -> int:
    query = select(papers.c.id).where(papers.c.arxiv_id == paper.arxiv_id)
    with db.engine.connect() as connection:
        return int(connection.scalar(query))


def test_a_hidden_paper_is_in_no_readers_query_until_shown_again(db: Database) -> None:
    earlier, kept, spam = _store(db)
    assert all(_listed_everywhere(db, spam).values())
    version = papers_version(db)
    assert hide_papers(db, [spam.arxiv_id], reason="a bad listing day") == PaperChanges(
        changed=(spam.arxiv_id,)
    )
    assert papers_version(db) > version  # pages and caches learn of it
    assert not any(_listed_everywhere(db, spam).values()), _listed_everywhere(db, spam)
    assert all(_listed_everywhere(db, kept).values())
    assert next_listing_day(db, DAY) is None
    assert previous_listing_day(db, BAD_DAY) == DAY
    assert papers_by_keys(db, [_key_of(db, spam), _key_of(db, kept)]).keys() == {_key_of(db, kept)}
    assert (count_papers(db), count_listed_papers(db)) == (3, 2)
    assert unhide_papers(db, [spam.arxiv_id]) == PaperChanges(changed=(spam.arxiv_id,))
    assert all(_listed_everywhere(db, spam).values())
    assert earlier.arxiv_id in _ids(papers_before(db, None, 10))


def test_hiding_reports_papers_already_hidden_and_ids_not_stored(db: Database) -> None:
    _, kept, spam = _store(db)
    hide_papers(db, [spam.arxiv_id], reason="spam")
    done = hide_papers(db, [kept.arxiv_id, spam.arxiv_id, "2404.99999", kept.arxiv_id], reason=None)
    assert done == PaperChanges(
        changed=(kept.arxiv_id,), unchanged=(spam.arxiv_id,), unknown=("2404.99999",)
    )
    listed = {paper.arxiv_id: paper.reason for paper in hidden_papers(db)}
    assert listed == {spam.arxiv_id: "spam", kept.arxiv_id: None}  # the first reason stays
    assert unhide_papers(db, [kept.arxiv_id, "2404.99999"]).unknown == ("2404.99999",)
    assert unhide_papers(db, [kept.arxiv_id]).unchanged == (kept.arxiv_id,)


def test_a_harvest_updates_a_hidden_paper_and_it_stays_hidden(db: Database) -> None:
    _, _, spam = _store(db)
    moment = datetime(2024, 4, 9, 12, tzinfo=UTC)
    hide_papers(db, [spam.arxiv_id], reason="taken down at the author's request", now=moment)
    newer = replace(spam, version=2, title="Zebra spam, revised", listing_day=DAY)
    assert upsert_papers(db, [newer]) == UpsertCounts(updated=1)
    assert get_paper(db, spam.arxiv_id) is None
    assert count_papers(db) == 3  # merged into, not stored twice
    [hidden] = hidden_papers(db)
    assert (hidden.title, hidden.hidden_at) == ("Zebra spam, revised", moment)
    assert hidden.reason == "taken down at the author's request"
    unhide_papers(db, [spam.arxiv_id])
    shown = get_paper(db, spam.arxiv_id)
    assert shown is not None and shown.title == "Zebra spam, revised"


def test_nobody_votes_comments_or_submits_on_a_hidden_paper(db: Database) -> None:
    _, _, spam = _store(db)
    alice = add_user(db, "alice")
    hide_papers(db, [spam.arxiv_id], reason=None)
    with pytest.raises(UnknownPaper):
        cast_vote(db, alice.id, spam.arxiv_id, up=True, half_life_hours=HALF_LIFE_HOURS)
    with pytest.raises(UnknownPaper):
        add_comment(db, alice.id, spam.arxiv_id, "first!")
    with pytest.raises(UnknownPaper):
        add_submission(db, alice.id, spam.arxiv_id, DAY)


def _rows(db: Database, table: Table, key: int) -> int:
    query = select(func.count()).select_from(table).where(table.c.paper_id == key)
    with db.engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def _sent_digest(db: Database, arxiv_ids: list[str]) -> int:
    subscription = digest_store.activate_subscription(
        db, "reader@example.org", Preferences(), datetime(2024, 1, 1, tzinfo=UTC)
    )
    digest_store.plan_deliveries(
        db, frequency="daily", weekday=None, period=DAY, due_at=datetime(2024, 4, 8, tzinfo=UTC)
    )
    [claimed] = digest_store.claim_deliveries(
        db, now=datetime.now(UTC), lease_seconds=60, token="t", limit=1
    )
    digest_store.record_sent(db, claimed, arxiv_ids, datetime.now(UTC))
    return subscription.id


def test_removal_takes_votes_comments_and_all_else_of_the_paper_with_it(db: Database) -> None:
    earlier, kept, spam = _store(db)
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    for user in (alice, bob):
        cast_vote(db, user.id, spam.arxiv_id, up=True, half_life_hours=HALF_LIFE_HOURS)
    add_comment(db, alice.id, spam.arxiv_id, "This is spam.")
    add_submission(db, bob.id, spam.arxiv_id, DAY)
    cast_vote(db, alice.id, kept.arxiv_id, up=True, half_life_hours=HALF_LIFE_HOURS)
    _sent_digest(db, [spam.arxiv_id, kept.arxiv_id])
    key = _key_of(db, spam)
    vectors = normalised(np.eye(DIMS, dtype=np.float32)[:3])
    embedding_store.save_embeddings(
        db,
        MODEL,
        embedding_store.sources_for_papers(db, MODEL, [p.arxiv_id for p in (earlier, kept, spam)]),
        vectors,
    )
    tables = (votes, comments, submissions, paper_stats, vote_buckets, paper_embeddings)
    assert all(_rows(db, table, key) for table in (*tables, paper_terms, digest_sent_papers))
    hide_papers(db, [spam.arxiv_id], reason="spam")  # hidden papers can be removed too
    done = remove_papers(db, [spam.arxiv_id, "2404.99999"])
    assert done.changed == (spam.arxiv_id,) and done.unknown == ("2404.99999",)
    assert done.lost == {spam.arxiv_id: (2, 1)}
    assert not any(_rows(db, table, key) for table in (*tables, paper_terms, digest_sent_papers))
    assert count_papers(db) == 2 and hidden_papers(db) == []
    with db.engine.connect() as connection:  # the delivery record is history: it stays
        assert connection.scalar(select(digest_deliveries.c.paper_count)) == 2
    assert _rows(db, votes, _key_of(db, kept)) == 1
    assert remove_papers(db, [spam.arxiv_id]).unknown == (spam.arxiv_id,)
