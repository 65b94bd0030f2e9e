"""The trending score and ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.ranking.trending import TrendingCandidate, rank_trending, trending_score

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
