"""Digests of a reader's feed: ranked by their library, explained, sent exactly once, and
only for subscriptions that belong to an account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from digest_sending import SUBSCRIBED, evening, linked_ids, send, settings_for
from factories import add_user, make_paper
from smtp_server import SmtpServer, running_smtp_server
from sqlalchemy import update

from paperwire.community import library as library_service
from paperwire.digest.compose import Composer, Digest
from paperwire.digest.model import InvalidSubscription, Preferences, Subscription
from paperwire.digest.subscriptions import update_preferences
from paperwire.papers import Paper
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_papers
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage.digests import History
from paperwire.storage.papers import upsert_papers
from paperwire.storage.schema import paper_terms
from paperwire.storage.votes import cast_vote

MONDAY = date(2024, 4, 8)
MOLECULES = [
    "Graph neural networks for molecular property prediction",
    "Equivariant message passing predicts binding of small molecules",
    "Pretraining molecular graph encoders on millions of compounds",
]
OTHERS = [
    "Streaming speech recognition with transducers",
    "Multilingual speech recognition at scale",
    "A benchmark of robot grasping in cluttered scenes",
    "Sparse attention for long documents",
]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def _papers(db: Database) -> tuple[list[Paper], list[Paper], Paper]:
    # The other papers have the upvotes: a trending digest would send them first.
    molecules = [
        make_paper(listing_day=MONDAY, title=t, abstract=t + ".", authors=(f"Chemist {n}",))
        for n, t in enumerate(MOLECULES)
    ]
    others = [
        make_paper(listing_day=MONDAY, title=t, abstract=t + ".", imported_upvotes=90)
        for t in OTHERS
    ]
    saved = make_paper(
        listing_day=date(2024, 4, 1),
        title="Molecular graph networks predict toxicity",
        abstract="Graph neural networks over molecules predict toxicity of compounds.",
    )
    every = [*molecules, *others, saved]
    upsert_papers(db, every)
    embed_papers(db, load_embedder("bundled"), [paper.arxiv_id for paper in every])
    return molecules, others, saved


def test_a_feed_digest_sends_the_readers_papers_once_with_why(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    molecules, _others, saved = _papers(db)
    alice = add_user(db, "alice")
    library_service.save(db, alice, saved.arxiv_id, [], now=SUBSCRIBED)
    preferences = Preferences(size=3, content="for-you")
    digest_store.activate_subscription(
        db, "alice@example.org", preferences, SUBSCRIBED, user_id=alice.id
    )
    settings = settings_for(tmp_path)
    first = send(db, settings, smtp, evening(date(2024, 4, 7)))
    again = send(db, settings, smtp, evening(date(2024, 4, 7)))
    assert (first.sent, again.sent) == (1, 0)
    (message,) = smtp.handler.to("alice@example.org")
    assert set(linked_ids(message)) == {paper.arxiv_id for paper in molecules}
    text = message.get_body(("plain",))
    assert text is not None and "close to" in text.get_content()


def test_a_subscription_without_an_account_cannot_ask_for_a_feed(db: Database) -> None:
    subscription = digest_store.activate_subscription(
        db, "anon@example.org", Preferences(), SUBSCRIBED
    )
    with pytest.raises(InvalidSubscription, match="belongs to an account"):
        update_preferences(db, subscription, Preferences(content="for-you"), SUBSCRIBED)


def _readers(
    db: Database, molecules: list[Paper], others: list[Paper], saved: Paper
) -> list[Subscription]:
    """Three readers: one with a saved paper, one with an upvote, a rejection and a
    follow, one with nothing yet."""
    alice, bob, carol = (add_user(db, name) for name in ("alice", "bob", "carol"))
    library_service.save(db, alice, saved.arxiv_id, [], now=SUBSCRIBED)
    cast_vote(db, bob.id, others[0].arxiv_id, up=True, half_life_hours=72.0)
    library_store.set_not_interested(db, bob.id, others[1].arxiv_id, True, now=SUBSCRIBED)
    follow_store.follow(db, bob.id, "author", molecules[2].authors[0], now=SUBSCRIBED)
    preferences = Preferences(size=4, content="for-you")
    return [
        Subscription(n, f"{user.username}@example.org", "active", preferences, None, None, user.id)
        for n, user in enumerate((alice, bob, carol), start=1)
    ]


def _composed(digests: list[Digest]) -> list[list[tuple[str, str | None]]]:
    return [[(item.paper.arxiv_id, item.why) for item in digest.items] for digest in digests]


def test_a_prepared_batch_composes_the_digests_composed_one_by_one(
    db: Database, tmp_path: Path
) -> None:
    molecules, others, saved = _papers(db)
    subscriptions = _readers(db, molecules, others, saved)
    settings = settings_for(tmp_path)
    alone = [Composer(db, settings).compose(s, MONDAY, History()) for s in subscriptions]
    composer = Composer(db, settings)
    composer.prepare(subscriptions)
    together = [composer.compose(s, MONDAY, History()) for s in subscriptions]
    assert _composed(together) == _composed(alone)
    assert [len(digest.items) for digest in alone] == [4, 4, 0]
    assert {item.paper.arxiv_id for item in alone[0].items[:3]} == {p.arxiv_id for p in molecules}
    assert alone[1].items[0].paper.arxiv_id == molecules[2].arxiv_id
    assert alone[1].items[0].why == f"by {molecules[2].authors[0]}, whom you follow"
    assert others[1].arxiv_id not in {item.paper.arxiv_id for item in alone[1].items}


def test_papers_stored_before_pairs_were_are_ranked_alike(db: Database, tmp_path: Path) -> None:
    subscriptions = _readers(db, *_papers(db))
    settings = settings_for(tmp_path)
    stored = [Composer(db, settings).compose(s, MONDAY, History()) for s in subscriptions]
    with db.write() as connection:
        connection.execute(update(paper_terms).values(pairs=None))
    analysed = [Composer(db, settings).compose(s, MONDAY, History()) for s in subscriptions]
    assert _composed(analysed) == _composed(stored)
