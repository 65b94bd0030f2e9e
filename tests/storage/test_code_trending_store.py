"""The code-trending ranking computed in SQL agrees with the documented formula, and the
"with code" day list keeps the day list's order, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from code_factories import add_repository, link_code, link_repository
from factories import make_paper
from sqlalchemy import select

from paperwire.ranking.code_trending import decayed_trend
from paperwire.storage import Database
from paperwire.storage.code_trending import code_trending_page, papers_with_code_between
from paperwire.storage.papers import hide_papers, papers_listed_between, upsert_papers
from paperwire.storage.schema import paper_links, papers, repositories

HALF_LIFE_HOURS = 72.0
NOW = datetime(2026, 6, 19, 9, 30, tzinfo=UTC)
DAY = date(2026, 6, 18)
SEED = 11


def _fill(db: Database) -> list[str]:
    """40 papers of any age; most link to a GitHub repository (some shared, some never
    scored, some scored long ago), a few to GitLab; two are hidden. Their ids."""
    rng = random.Random(SEED)
    listed = [
        make_paper(
            arxiv_id=f"2606.{n:05d}",
            listing_day=DAY - timedelta(days=rng.choice([0, 0, 1, 3, 40, 400])),
            imported_upvotes=rng.choice([0, 1, 5, 30]),
        )
        for n in range(1, 41)
    ]
    upsert_papers(db, listed)
    ids = [paper.arxiv_id for paper in listed]
    repository_ids = [
        add_repository(
            db,
            f"lab{n}/model",
            history={DAY - timedelta(days=1): 100 * n, DAY: 100 * n + rng.randrange(0, 50)},
            trend_score=0.0 if n % 5 == 0 else rng.uniform(0.5, 400),
            scored_at=NOW - timedelta(hours=rng.uniform(0, 500)),
            stars_gained_week=rng.randrange(0, 60),
        )
        for n in range(1, 26)
    ]
    for arxiv_id in ids[:32]:
        key = rng.choice(repository_ids)
        link_code(db, arxiv_id, f"https://github.com/x/{key}", repository_id=key)
    for arxiv_id in ids[32:36]:
        link_code(db, arxiv_id, f"https://gitlab.com/lab/{arxiv_id}")
    link_code(db, ids[36], None, project_url="https://example.org/project")
    hide_papers(db, ids[:2], reason="test")
    return ids


def _reference(db: Database) -> list[tuple[str, float]]:
    """The ranking of docs/ranking.md in Python over the same stored repositories."""
    query = select(
        papers.c.arxiv_id,
        papers.c.published_at,
        papers.c.hidden_at,
        repositories.c.trend_score,
        repositories.c.scored_at,
        repositories.c.stars,
    ).select_from(
        papers.join(paper_links, paper_links.c.paper_id == papers.c.id).join(
            repositories, repositories.c.id == paper_links.c.repository_id
        )
    )
    with db.engine.connect() as connection:
        rows = connection.execute(query).all()
    ranked = [
        (
            r.arxiv_id,
            decayed_trend(r.trend_score, _utc(r.scored_at), NOW, HALF_LIFE_HOURS),
            r,
            _utc(r.published_at),
        )
        for r in rows
        if r.trend_score > 0 and r.hidden_at is None
    ]
    ranked.sort(key=lambda x: (-x[1], -(x[2].stars or 0), -x[3].timestamp(), x[0]))  # type: ignore[union-attr]
    return [(arxiv_id, score) for arxiv_id, score, _, _ in ranked]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def test_sql_ranking_equals_the_reference_formula(db: Database) -> None:
    _fill(db)
    expected = _reference(db)
    page, total = code_trending_page(
        db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=100, offset=0
    )
    assert total == len(expected) > 10
    assert [e.arxiv_id for e in page] == [arxiv_id for arxiv_id, _ in expected]
    assert [e.score for e in page] == pytest.approx([score for _, score in expected])
    second, _ = code_trending_page(db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=5, offset=5)
    assert [e.arxiv_id for e in second] == [arxiv_id for arxiv_id, _ in expected[5:10]]


def test_every_page_of_every_size_is_a_slice_of_the_whole_ranking(db: Database) -> None:
    # Small pages read only the repositories that can reach them; hidden papers and
    # repositories shared by several papers must not shift what the page holds.
    _fill(db)
    expected = [arxiv_id for arxiv_id, _ in _reference(db)]
    for size in range(1, 8):
        for offset in range(len(expected) + 1):
            page, total = code_trending_page(
                db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=size, offset=offset
            )
            assert [e.arxiv_id for e in page] == expected[offset : offset + size]
            assert total == len(expected)


def test_hidden_unscored_and_uncounted_papers_are_left_out(db: Database) -> None:
    ids = _fill(db)
    page, _ = code_trending_page(db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=100, offset=0)
    shown = {e.arxiv_id for e in page}
    assert not shown & set(ids[:2])  # hidden
    assert not shown & set(ids[32:])  # GitLab, a project page only, no link
    assert all(e.score > 0 for e in page)


def test_a_repository_no_longer_counted_sinks_below_a_fresh_one(db: Database) -> None:
    upsert_papers(db, [make_paper(arxiv_id="2606.00001"), make_paper(arxiv_id="2606.00002")])
    link_repository(
        db,
        "2606.00001",
        "old/stale",
        trend_score=100.0,
        scored_at=NOW - timedelta(days=9),
        stars_gained_week=0,
    )
    link_repository(
        db,
        "2606.00002",
        "new/fresh",
        trend_score=20.0,
        scored_at=NOW - timedelta(hours=1),
        stars_gained_week=20,
    )
    page, total = code_trending_page(
        db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=10, offset=0
    )
    # 100 × 2^(−216/72) = 12.5 < 20 × 2^(−1/72)
    assert [e.arxiv_id for e in page] == ["2606.00002", "2606.00001"] and total == 2
    assert page[1].score == pytest.approx(12.5)


def test_ties_go_to_more_stars_then_the_newer_paper(db: Database) -> None:
    older = make_paper(arxiv_id="2606.00001", published_at=NOW - timedelta(days=300))
    newer = make_paper(arxiv_id="2606.00002", published_at=NOW - timedelta(days=3))
    starred = make_paper(arxiv_id="2606.00003", published_at=NOW - timedelta(days=900))
    upsert_papers(db, [older, newer, starred])
    history = {DAY: 10}
    for arxiv_id, path in (("2606.00001", "a/one"), ("2606.00002", "b/two")):
        link_repository(db, arxiv_id, path, history=history, trend_score=5.0, scored_at=NOW)
    link_repository(db, "2606.00003", "c/three", history={DAY: 99}, trend_score=5.0, scored_at=NOW)
    page, _ = code_trending_page(db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=10, offset=0)
    assert [e.arxiv_id for e in page] == ["2606.00003", "2606.00002", "2606.00001"]
    assert [e.stars for e in page] == [99, 10, 10]
    for offset in range(3):  # a page of one still sees the repositories tied with it
        one, _ = code_trending_page(
            db, now=NOW, half_life_hours=HALF_LIFE_HOURS, limit=1, offset=offset
        )
        assert [e.arxiv_id for e in one] == [page[offset].arxiv_id]


def test_with_code_day_list_keeps_the_day_lists_order(db: Database) -> None:
    ids = _fill(db)
    first, last = DAY - timedelta(days=3), DAY
    every, _ = papers_listed_between(db, first, last, limit=100)
    with_code = {arxiv_id for arxiv_id in ids[:36]}
    expected = [paper.arxiv_id for paper in every if paper.arxiv_id in with_code]
    found, total = papers_with_code_between(db, first, last, limit=100)
    assert [paper.arxiv_id for paper in found] == expected and total == len(expected) > 3
    page, _ = papers_with_code_between(db, first, last, limit=2, offset=2)
    assert [paper.arxiv_id for paper in page] == expected[2:4]


def test_a_project_page_alone_is_not_code(db: Database) -> None:
    upsert_papers(db, [make_paper(arxiv_id="2606.00001", listing_day=DAY)])
    link_code(db, "2606.00001", None, project_url="https://example.org/")
    assert papers_with_code_between(db, DAY, DAY, limit=10) == ([], 0)
