"""Votes: one per user and paper, aggregates kept in step, and correct under concurrency."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import add_user, make_paper

from paperwire.storage import Database
from paperwire.storage.counters import COMMUNITY_COUNTER, counter_value
from paperwire.storage.papers import upsert_papers
from paperwire.storage.trending import trending_page
from paperwire.storage.votes import (
    UnknownPaper,
    cast_vote,
    count_votes,
    daily_changes,
    gains_since,
    stats_for,
    voted_among,
)

HALF_LIFE_HOURS = 72.0
VOTERS = 50
MIN_TOGGLES = 1_000
SEED = 20261129


def _vote(
    db: Database, user_id: int, arxiv_id: str, up: bool | None, now: datetime | None = None
) -> bool:
    return cast_vote(db, user_id, arxiv_id, up=up, half_life_hours=HALF_LIFE_HOURS, now=now).voted


def test_a_user_counts_once_and_can_take_the_vote_back(db: Database) -> None:
    paper = make_paper(imported_upvotes=7)
    upsert_papers(db, [paper])
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    assert _vote(db, alice.id, paper.arxiv_id, True)
    assert _vote(db, alice.id, paper.arxiv_id, True)  # a second upvote changes nothing
    assert _vote(db, bob.id, paper.arxiv_id, None)
    assert count_votes(db, paper.arxiv_id) == (2, 2)
    assert not _vote(db, alice.id, paper.arxiv_id, None)
    assert count_votes(db, paper.arxiv_id) == (1, 1)
    assert voted_among(db, bob.id, [paper.arxiv_id]) == {paper.arxiv_id}
    assert voted_among(db, alice.id, [paper.arxiv_id]) == set()
    assert stats_for(db, [paper.arxiv_id])[paper.arxiv_id].votes == 1


def test_votes_move_the_community_counter_that_page_caches_compare(db: Database) -> None:
    paper = make_paper()
    upsert_papers(db, [paper])
    alice = add_user(db, "alice")
    before = counter_value(db, COMMUNITY_COUNTER)
    _vote(db, alice.id, paper.arxiv_id, True)
    assert counter_value(db, COMMUNITY_COUNTER) == before + 1
    _vote(db, alice.id, paper.arxiv_id, True)  # nothing changed: the cache stays valid
    assert counter_value(db, COMMUNITY_COUNTER) == before + 1


def test_unknown_paper_is_refused(db: Database) -> None:
    alice = add_user(db, "alice")
    with pytest.raises(UnknownPaper):
        _vote(db, alice.id, "2404.99999", True)


def test_decayed_weight_halves_per_half_life_and_withdrawals_remove_their_weight(
    db: Database,
) -> None:
    paper = make_paper()
    upsert_papers(db, [paper])
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    _vote(db, alice.id, paper.arxiv_id, True, now=start)
    _vote(db, bob.id, paper.arxiv_id, True, now=start + timedelta(hours=72))
    assert _score(db, paper.listing_day, start + timedelta(hours=72)) == pytest.approx(1.5)
    _vote(db, alice.id, paper.arxiv_id, False, now=start + timedelta(hours=144))
    # Only bob's vote is left, one half-life old; alice's took its own weight with it.
    assert _score(db, paper.listing_day, start + timedelta(hours=144)) == pytest.approx(0.5)


def _score(db: Database, day: date | None, now: datetime) -> float:
    assert day is not None
    entries, _total = trending_page(
        db, day, day, anchor=day, now=now, half_life_hours=HALF_LIFE_HOURS, limit=1, offset=0
    )
    return entries[0].score


def test_hourly_buckets_give_recent_gains_and_daily_history(db: Database) -> None:
    paper = make_paper()
    upsert_papers(db, [paper])
    now = datetime.now(UTC)
    old = now - timedelta(days=3)
    for number in range(3):
        _vote(db, add_user(db, f"early{number}").id, paper.arxiv_id, True, now=old)
    for number in range(2):
        _vote(db, add_user(db, f"late{number}").id, paper.arxiv_id, True, now=now)
    assert gains_since(db, [paper.arxiv_id], now - timedelta(hours=24)) == {paper.arxiv_id: 2}
    changes = daily_changes(db, paper.arxiv_id, now - timedelta(days=10))
    assert changes == {old.date().isoformat(): 3, now.date().isoformat(): 2}


def _plans(users: list[int]) -> dict[int, list[bool | None]]:
    """For each user a sequence of toggles (None) and explicit up/down votes, seeded."""
    rng = random.Random(SEED)
    plans = {
        user: [rng.choice([None, None, None, True, False]) for _ in range(20)] for user in users
    }
    while sum(len(p) for p in plans.values()) < MIN_TOGGLES:
        plans[rng.choice(users)].append(None)
    return plans


def _replayed(plan: list[bool | None]) -> bool:
    voted = False
    for up in plan:
        voted = (not voted) if up is None else up
    return voted


def test_concurrent_vote_toggles_equal_the_replayed_truth(db: Database) -> None:
    paper = make_paper(imported_upvotes=3)
    upsert_papers(db, [paper])
    users = [add_user(db, f"voter{number:02d}").id for number in range(VOTERS)]
    plans = _plans(users)
    start = threading.Barrier(VOTERS)

    def run(user: int) -> None:
        start.wait()  # every user begins at once, so their votes interleave
        for up in plans[user]:
            _vote(db, user, paper.arxiv_id, up)

    with ThreadPoolExecutor(max_workers=VOTERS) as pool:
        list(pool.map(run, users))
    truth = sum(_replayed(plan) for plan in plans.values())
    assert sum(len(plan) for plan in plans.values()) >= MIN_TOGGLES
    assert count_votes(db, paper.arxiv_id) == (truth, truth)
    day_ago = datetime.now(UTC) - timedelta(hours=24)
    assert gains_since(db, [paper.arxiv_id], day_ago) == {paper.arxiv_id: truth}
    voted = {user for user in users if voted_among(db, user, [paper.arxiv_id])}
    assert voted == {user for user, plan in plans.items() if _replayed(plan)}
