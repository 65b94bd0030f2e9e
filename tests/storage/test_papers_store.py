"""The paper store contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

from factories import make_paper

from paperwire.storage import Database
from paperwire.storage.papers import (
    UpsertCounts,
    count_papers,
    get_paper,
    latest_listing_day,
    next_listing_day,
    papers_by_ids,
    papers_listed_between,
    papers_version,
    previous_listing_day,
    upsert_papers,
)


def test_upsert_adds_then_leaves_unchanged(db: Database) -> None:
    batch = [make_paper(), make_paper()]
    assert upsert_papers(db, batch) == UpsertCounts(added=2)
    assert upsert_papers(db, batch) == UpsertCounts(unchanged=2)
    assert count_papers(db) == 2


def test_stored_paper_reads_back_equal(db: Database) -> None:
    paper = make_paper(
        arxiv_id="hep-th/9901001",
        title="Über <b>strings</b> & $\\alpha$-branes",
        authors=("Zoë Ünal", "Jürgen Groß", "李雷"),
        comment="12 pages",
        doi="10.1000/xyz",
        journal_ref="Phys. Rev. D 1 (1999)",
        updated_at=datetime(2024, 4, 2, 3, 4, 5, tzinfo=UTC),
        imported_upvotes=7,
    )
    upsert_papers(db, [paper])
    assert get_paper(db, "hep-th/9901001") == paper


def test_new_version_updates_and_keeps_first_version_date(db: Database) -> None:
    v1 = make_paper(version=1, title="First title")
    upsert_papers(db, [v1])
    v2 = replace(
        v1,
        version=2,
        title="Second title",
        updated_at=datetime(2024, 5, 1, tzinfo=UTC),
        published_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert upsert_papers(db, [v2]) == UpsertCounts(updated=1)
    stored = get_paper(db, v1.arxiv_id)
    assert stored is not None
    assert (stored.version, stored.title) == (2, "Second title")
    assert stored.published_at == v1.published_at


def test_duplicates_within_one_batch_are_stored_once(db: Database) -> None:
    paper = make_paper()
    counts = upsert_papers(db, [paper, paper, replace(paper, imported_upvotes=3)])
    assert counts == UpsertCounts(added=1, unchanged=1, updated=1)
    assert count_papers(db) == 1
    stored = get_paper(db, paper.arxiv_id)
    assert stored is not None and stored.imported_upvotes == 3


def test_unknown_paper_is_none(db: Database) -> None:
    assert get_paper(db, "2401.99999") is None


def test_day_list_is_ordered_by_upvotes_then_recency(db: Database) -> None:
    day = date(2024, 4, 8)
    early = datetime(2024, 4, 4, 10, tzinfo=UTC)
    late = datetime(2024, 4, 5, 10, tzinfo=UTC)
    papers = [
        make_paper(arxiv_id="2404.00001", listing_day=day, imported_upvotes=3, published_at=early),
        make_paper(arxiv_id="2404.00002", listing_day=day, imported_upvotes=9, published_at=early),
        make_paper(arxiv_id="2404.00003", listing_day=day, imported_upvotes=3, published_at=late),
        make_paper(arxiv_id="2404.00004", listing_day=day, imported_upvotes=3, published_at=None),
        make_paper(arxiv_id="2404.00005", listing_day=date(2024, 4, 9), imported_upvotes=99),
    ]
    upsert_papers(db, papers)
    found, total = papers_listed_between(db, day, day, limit=10)
    assert [p.arxiv_id for p in found] == ["2404.00002", "2404.00003", "2404.00001", "2404.00004"]
    assert total == 4


def test_day_list_pages_do_not_overlap(db: Database) -> None:
    day = date(2024, 4, 8)
    upsert_papers(db, [make_paper(listing_day=day, imported_upvotes=n % 3) for n in range(7)])
    pages = [papers_listed_between(db, day, day, limit=3, offset=o)[0] for o in (0, 3, 6)]
    ids = [p.arxiv_id for page in pages for p in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert len(set(ids)) == 7


def test_neighbouring_days_skip_days_without_papers(db: Database) -> None:
    days = [date(2024, 4, 1), date(2024, 4, 5), date(2024, 4, 8)]
    upsert_papers(db, [make_paper(listing_day=day) for day in days])
    assert latest_listing_day(db) == date(2024, 4, 8)
    assert previous_listing_day(db, date(2024, 4, 8)) == date(2024, 4, 5)
    assert previous_listing_day(db, date(2024, 4, 1)) is None
    assert next_listing_day(db, date(2024, 4, 1)) == date(2024, 4, 5)
    assert next_listing_day(db, date(2024, 4, 8)) is None


def test_empty_database_has_no_latest_day(db: Database) -> None:
    assert latest_listing_day(db) is None
    assert papers_listed_between(db, date(2024, 1, 1), date(2024, 12, 31), limit=5) == ([], 0)


def test_papers_by_ids_keeps_the_requested_order(db: Database) -> None:
    a, b = make_paper(), make_paper()
    upsert_papers(db, [a, b])
    found = papers_by_ids(db, [b.arxiv_id, "2401.99999", a.arxiv_id])
    assert [p.arxiv_id for p in found] == [b.arxiv_id, a.arxiv_id]


def test_papers_version_grows_with_each_committed_change_only(db: Database) -> None:
    start = papers_version(db)
    paper = make_paper()
    upsert_papers(db, [paper])
    after_add = papers_version(db)
    upsert_papers(db, [paper])
    assert papers_version(db) == after_add > start  # an unchanged rerun is not a change
    upsert_papers(db, [replace(paper, imported_upvotes=5)])
    assert papers_version(db) > after_add


def test_concurrent_writers_never_lose_the_newest_version(db: Database) -> None:
    ids = [f"2405.{n:05d}" for n in range(60)]
    errors: list[BaseException] = []

    def write_version(version: int) -> None:
        try:
            for _ in range(5):
                upsert_papers(
                    db,
                    [make_paper(arxiv_id=i, version=version, title=f"v{version}") for i in ids],
                )
        except BaseException as error:  # collected for the main thread
            errors.append(error)

    threads = [threading.Thread(target=write_version, args=(v,)) for v in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = papers_by_ids(db, ids)
    assert {(p.version, p.title) for p in stored} == {(4, "v4")}
    assert count_papers(db) == len(ids)
