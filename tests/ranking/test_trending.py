"""The trending score and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.ranking.trending import (
    TrendingCandidate,
    candidate_score,
    decayed,
    explain,
    listed_ago,
    rank_trending,
    trending_score,
)

ANCHOR = date(2024, 4, 8)


def test_an_upvote_weighs_half_after_one_half_life() -> None:
    assert trending_score(10, ANCHOR, ANCHOR, 72) == 10
    assert trending_score(10, date(2024, 4, 5), ANCHOR, 72) == pytest.approx(5)


def test_papers_listed_after_the_anchor_are_not_boosted() -> None:
    assert trending_score(10, date(2024, 4, 9), ANCHOR, 72) == 10


def test_recent_paper_outranks_older_paper_with_more_upvotes() -> None:
    candidates = [
        TrendingCandidate("old", 30, date(2024, 3, 29), None),  # 10 days: 30 / 2^(10/3) ≈ 3
        TrendingCandidate("new", 8, ANCHOR, None),
    ]
    assert [e.arxiv_id for e in rank_trending(candidates, ANCHOR, 72)] == ["new", "old"]


def test_ties_go_to_more_upvotes_then_newer_submission_then_id() -> None:
    newer = datetime(2024, 4, 5, tzinfo=UTC)
    older = datetime(2024, 4, 1, tzinfo=UTC)
    candidates = [
        TrendingCandidate("b", 4, ANCHOR, older),
        TrendingCandidate("a", 4, ANCHOR, older),
        TrendingCandidate("c", 4, ANCHOR, newer),
        TrendingCandidate("d", 8, date(2024, 4, 5), None),  # decays to exactly 4
    ]
    ranked = rank_trending(candidates, ANCHOR, 72)
    assert [e.arxiv_id for e in ranked] == ["d", "c", "a", "b"]
    assert ranked[0].age_days == 3


def test_cast_votes_decay_by_their_own_age_and_add_to_imported_upvotes() -> None:
    now = datetime(2026, 6, 18, 12, tzinfo=UTC)
    assert decayed(4.0, now - timedelta(hours=72), now, 72) == 2.0
    assert decayed(4.0, None, now, 72) == 4.0
    fresh = TrendingCandidate("a", 0, date(2026, 6, 18), None, 3, 3.0, now)
    stale = TrendingCandidate("b", 8, date(2026, 6, 15), None)
    anchor = date(2026, 6, 18)
    assert candidate_score(fresh, anchor, now, 72) == 3.0
    assert candidate_score(stale, anchor, now, 72) == 4.0
    (first, second) = rank_trending([fresh, stale], anchor, 72, now)
    assert (first.arxiv_id, second.arxiv_id) == ("b", "a")
    assert explain(second, 3) == "+3 upvotes in the last 24 h · 3 upvotes, listed on the latest day"
    assert explain(first, 0) == "8 upvotes, listed 3 days earlier"


def test_an_older_paper_says_how_long_ago_it_was_listed() -> None:
    assert listed_ago(1) == "listed 1 day earlier"
    assert listed_ago(59) == "listed 59 days earlier"
    assert listed_ago(75) == "listed 2 months earlier"
    assert listed_ago(800) == "listed 2 years earlier"
