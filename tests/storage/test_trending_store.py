"""The trending ranking computed in SQL agrees with the documented formula, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import add_user, make_paper
from sqlalchemy import insert, select

from paperwire.ranking.trending import TrendingCandidate, TrendingEntry, rank_trending
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers
from paperwire.storage.schema import paper_links, paper_stats, papers
from paperwire.storage.trending import trending_page
from paperwire.storage.votes import cast_vote

HALF_LIFE_HOURS = 72.0
ANCHOR = date(2026, 6, 18)
NOW = datetime(2026, 6, 19, 9, 30, tzinfo=UTC)
SEED = 7


def _fill(db: Database) -> None:
    rng = random.Random(SEED)
    listed = [
        make_paper(
            arxiv_id=f"2606.{n:05d}",
            listing_day=ANCHOR - timedelta(days=rng.randrange(0, 20)),
            imported_upvotes=rng.choice([0, 0, 1, 5, 30]),
        )
        for n in range(1, 41)
    ]
    upsert_papers(db, listed)
    voters = [add_user(db, f"voter{n}").id for n in range(6)]
    for paper in listed:
        for voter in rng.sample(voters, rng.randrange(0, 5)):
            moment = NOW - timedelta(hours=rng.uniform(0, 300))
            cast_vote(
                db, voter, paper.arxiv_id, up=True, half_life_hours=HALF_LIFE_HOURS, now=moment
            )


def _reference(
    db: Database, since: date, voted_since: datetime | None = None
) -> list[tuple[str, float]]:
    """The pure-Python ranking of docs/ranking.md over the same stored aggregates."""
    query = select(
        papers.c.arxiv_id,
        papers.c.imported_upvotes,
        papers.c.listing_day,
        papers.c.published_at,
        paper_stats.c.votes,
        paper_stats.c.decayed,
        paper_stats.c.decayed_at,
    ).select_from(papers.outerjoin(paper_stats, paper_stats.c.paper_id == papers.c.id))
    with db.engine.connect() as connection:
        rows = connection.execute(query.where(papers.c.listing_day <= ANCHOR)).all()
    candidates = [
        TrendingCandidate(
            r[0], r[1], r[2], _utc(r[3]), int(r[4] or 0), float(r[5] or 0), _utc(r[6])
        )
        for r in rows
        if (r[2] >= since and (r[1] > 0 or (r[4] or 0) > 0))
        or (voted_since is not None and (r[4] or 0) > 0 and _utc(r[6]) >= voted_since)
    ]
    return [(e.arxiv_id, e.score) for e in rank_trending(candidates, ANCHOR, HALF_LIFE_HOURS, NOW)]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@pytest.mark.parametrize("voted_since", [None, NOW - timedelta(days=5)], ids=["window", "older"])
def test_sql_ranking_equals_the_reference_formula(
    db: Database, voted_since: datetime | None
) -> None:
    _fill(db)
    since = ANCHOR - timedelta(days=13)
    expected = _reference(db, since, voted_since)
    page, total = trending_page(
        db,
        since,
        ANCHOR,
        anchor=ANCHOR,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=100,
        offset=0,
        voted_since=voted_since,
    )
    assert total == len(expected) > 10
    # The second variant ranks papers listed before the window, voted on in the last 5 days.
    assert any(e.age_days > 13 for e in page) == (voted_since is not None)
    assert [e.arxiv_id for e in page] == [arxiv_id for arxiv_id, _ in expected]
    assert [e.score for e in page] == pytest.approx([score for _, score in expected])
    second, _ = trending_page(
        db,
        since,
        ANCHOR,
        anchor=ANCHOR,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=5,
        offset=5,
        voted_since=voted_since,
    )
    assert [e.arxiv_id for e in second] == [arxiv_id for arxiv_id, _ in expected[5:10]]


def test_a_tiny_half_life_does_not_overflow(db: Database) -> None:
    _fill(db)
    since = ANCHOR - timedelta(days=13)
    page, _ = trending_page(
        db, since, ANCHOR, anchor=ANCHOR, now=NOW, half_life_hours=0.01, limit=5, offset=0
    )
    assert all(entry.score >= 0 for entry in page)


def test_only_upvoted_papers_of_the_window_are_ranked(db: Database) -> None:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2404.00010", listing_day=date(2024, 4, 8), imported_upvotes=5),
            make_paper(arxiv_id="2404.00011", listing_day=date(2024, 4, 8), imported_upvotes=0),
            make_paper(arxiv_id="2403.00012", listing_day=date(2024, 3, 1), imported_upvotes=50),
            make_paper(arxiv_id="2404.00013", listing_day=date(2024, 4, 9), imported_upvotes=50),
        ],
    )
    found, total = _april(db, date(2024, 3, 26), date(2024, 4, 8))
    assert [(e.arxiv_id, e.upvotes, e.age_days, e.score) for e in found] == [
        ("2404.00010", 5, 0, 5.0)
    ]
    assert total == 1


def test_papers_listed_after_the_anchor_count_as_age_zero(db: Database) -> None:
    upsert_papers(
        db, [make_paper(arxiv_id="2404.00013", listing_day=date(2024, 4, 9), imported_upvotes=8)]
    )
    found, _ = _april(db, date(2024, 4, 1), date(2024, 4, 30))
    assert [(e.age_days, e.score) for e in found] == [(0, 8.0)]


def _april(db: Database, since: date, until: date) -> tuple[list[TrendingEntry], int]:
    """The first ten entries listed from since to until, ages counted from 2024-04-08."""
    anchor = date(2024, 4, 8)
    return trending_page(
        db,
        since,
        until,
        anchor=anchor,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=10,
        offset=0,
    )


def _voted(db: Database, arxiv_id: str, moment: datetime, voters: int = 1) -> None:
    for n in range(voters):
        user = add_user(db, f"reader{arxiv_id.replace('.', '')}{n}")
        cast_vote(db, user.id, arxiv_id, up=True, half_life_hours=HALF_LIFE_HOURS, now=moment)


def test_an_older_paper_voted_on_lately_is_ranked_among_the_window(db: Database) -> None:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2606.00001", listing_day=ANCHOR, imported_upvotes=1),
            make_paper(arxiv_id="2301.00002", listing_day=date(2023, 1, 9), imported_upvotes=90),
            make_paper(arxiv_id="2302.00003", listing_day=date(2023, 2, 1)),
            make_paper(arxiv_id="2303.00004", listing_day=date(2023, 3, 1)),
        ],
    )
    _voted(db, "2301.00002", NOW - timedelta(hours=2), voters=3)
    _voted(db, "2302.00003", NOW - timedelta(days=30))  # voted on before the window
    since = ANCHOR - timedelta(days=13)
    found, total = trending_page(
        db,
        since,
        ANCHOR,
        anchor=ANCHOR,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=10,
        offset=0,
        voted_since=NOW - timedelta(days=14),
    )
    assert [(e.arxiv_id, e.upvotes) for e in found] == [("2301.00002", 93), ("2606.00001", 1)]
    assert total == 2
    # Its imported upvotes are dated by its listing day, long decayed: the fresh votes rank it.
    assert found[0].score == pytest.approx(3 * 2 ** (-2 / HALF_LIFE_HOURS), rel=1e-6)
    assert found[0].age_days == (ANCHOR - date(2023, 1, 9)).days


def test_with_code_keeps_only_papers_that_link_their_code(db: Database) -> None:
    upsert_papers(
        db,
        [
            make_paper(arxiv_id="2606.00011", listing_day=ANCHOR, imported_upvotes=5),
            make_paper(arxiv_id="2606.00012", listing_day=ANCHOR, imported_upvotes=9),
        ],
    )
    with db.engine.begin() as connection:
        key = connection.scalar(select(papers.c.id).where(papers.c.arxiv_id == "2606.00011"))
        connection.execute(
            insert(paper_links).values(
                paper_id=key, code_url="https://github.com/a/b", code_source="text", updated_at=NOW
            )
        )
    found, total = trending_page(
        db,
        ANCHOR,
        ANCHOR,
        anchor=ANCHOR,
        now=NOW,
        half_life_hours=HALF_LIFE_HOURS,
        limit=10,
        offset=0,
        with_code=True,
    )
    assert ([e.arxiv_id for e in found], total) == (["2606.00011"], 1)
