"""The stars refresh's storage on both databases: claims, counts, scores, renames, merges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from factories import make_paper
from sqlalchemy import insert, select

from paperwire.storage import Database
from paperwire.storage import repositories as store
from paperwire.storage.code import ensure_repository
from paperwire.storage.counters import CODE_COUNTER, counter_value
from paperwire.storage.papers import upsert_papers
from paperwire.storage.schema import paper_links, papers, repositories

NOW = datetime(2024, 4, 8, 12, tzinfo=UTC)
LEASE = 900.0


def add_repository(db: Database, path: str, host: str = "github.com") -> int:
    with db.write() as connection:
        return ensure_repository(connection, host, path, f"https://{host}/{path}")


def scoring(now: datetime = NOW) -> store.Scoring:
    return store.Scoring(now=now, next_check_at=now + timedelta(hours=24), half_life_hours=72.0)


def repository(db: Database, repository_id: int) -> dict[str, object]:
    with db.engine.connect() as connection:
        row = connection.execute(
            select(repositories).where(repositories.c.id == repository_id)
        ).first()
    return dict(row._mapping) if row else {}


def link_paper(db: Database, arxiv_id: str, repository_id: int, url: str) -> None:
    upsert_papers(db, [make_paper(arxiv_id=arxiv_id)])
    with db.write() as connection:
        paper_id = connection.scalar(select(papers.c.id).where(papers.c.arxiv_id == arxiv_id))
        connection.execute(
            insert(paper_links).values(
                paper_id=paper_id,
                code_url=url,
                code_source="text",
                repository_id=repository_id,
                updated_at=NOW,
            )
        )


def links(db: Database) -> set[tuple[str, int | None]]:
    with db.engine.connect() as connection:
        return {
            (row.code_url, row.repository_id)
            for row in connection.execute(
                select(paper_links.c.code_url, paper_links.c.repository_id)
            )
        }


def test_claims_take_github_repositories_oldest_first_and_only_once(db: Database) -> None:
    first = add_repository(db, "alice/first")
    second = add_repository(db, "bob/second")
    add_repository(db, "carol/elsewhere", host="gitlab.com")  # no stars to count there
    later = datetime.now(UTC) + timedelta(minutes=1)  # ensure_repository makes them due now
    assert store.count_due(db, later) == 2
    claimed = [store.claim_due(db, later, LEASE), store.claim_due(db, later, LEASE)]
    assert [c.id for c in claimed if c] == [first, second]
    assert store.claim_due(db, later, LEASE) is None  # both held
    # A refresher that died leaves them due again once the lease has run out.
    assert store.claim_due(db, later + timedelta(seconds=LEASE + 1), LEASE) is not None


def test_a_released_claim_is_due_again_at_once(db: Database) -> None:
    add_repository(db, "alice/first")
    moment = datetime.now(UTC) + timedelta(minutes=1)
    due = store.claim_due(db, moment, LEASE)
    assert due is not None
    store.release_claim(db, due.id, moment)
    assert store.claim_due(db, moment, LEASE) == due


def test_recording_counts_stores_one_row_per_day_and_scores_them(db: Database) -> None:
    repo = add_repository(db, "alice/model")
    before = counter_value(db, CODE_COUNTER)
    for offset, stars in [(-3, 100), (0, 110), (0, 130)]:  # today twice: the last one stays
        moment = NOW + timedelta(days=offset)
        assert store.record_count(
            db, repo, stars=stars, etag='"e"', remote_id=42, scoring=scoring(moment)
        )
    assert store.star_history(db, repo) == [(date(2024, 4, 5), 100), (date(2024, 4, 8), 130)]
    row = repository(db, repo)
    assert row["stars"] == 130 and row["stars_gained_week"] == 30
    assert row["trend_score"] == pytest.approx(30.0)  # a gain seen today: full weight
    assert (row["status"], row["etag"], row["remote_id"]) == ("ok", '"e"', 42)
    assert counter_value(db, CODE_COUNTER) == before + 3


def test_not_modified_writes_todays_row_with_the_stored_count(db: Database) -> None:
    repo = add_repository(db, "alice/model")
    store.record_count(db, repo, stars=100, etag='"a"', remote_id=1, scoring=scoring(NOW))
    tomorrow = NOW + timedelta(days=1)
    assert store.record_not_modified(db, repo, etag='"a"', scoring=scoring(tomorrow))
    assert store.star_history(db, repo)[-1] == (date(2024, 4, 9), 100)
    row = repository(db, repo)
    assert row["trend_score"] == 0.0 and row["etag"] == '"a"'


def test_missing_keeps_the_history_and_the_last_count(db: Database) -> None:
    repo = add_repository(db, "alice/model")
    store.record_count(db, repo, stars=100, etag='"a"', remote_id=1, scoring=scoring(NOW))
    week = store.Scoring(NOW, NOW + timedelta(days=7), 72.0)
    assert store.record_missing(db, repo, 404, week)
    row = repository(db, repo)
    assert (row["status"], row["stars"], row["etag"], row["last_error"]) == (
        "missing",
        100,
        None,
        "HTTP 404",
    )
    assert store.star_history(db, repo) == [(date(2024, 4, 8), 100)]


def test_an_error_is_kept_and_the_count_stays(db: Database) -> None:
    repo = add_repository(db, "alice/model")
    store.record_count(db, repo, stars=7, etag=None, remote_id=1, scoring=scoring(NOW))
    assert store.record_error(db, repo, "x" * 2000, NOW + timedelta(hours=6))
    row = repository(db, repo)
    assert row["stars"] == 7 and row["status"] == "ok"
    assert row["last_error"] == "x" * store.MAX_ERROR_CHARS


def test_a_rename_moves_the_path_url_and_the_papers_links(db: Database) -> None:
    repo = add_repository(db, "alice/old-name")
    link_paper(db, "2404.00001", repo, "https://github.com/alice/old-name")
    before = counter_value(db, CODE_COUNTER)
    assert store.record_rename(db, repo, "Alice/New-Name") == repo
    row = repository(db, repo)
    assert (row["path"], row["path_key"], row["url"]) == (
        "Alice/New-Name",
        "alice/new-name",
        "https://github.com/Alice/New-Name",
    )
    assert links(db) == {("https://github.com/Alice/New-Name", repo)}
    assert counter_value(db, CODE_COUNTER) == before + 1


def test_a_rename_onto_a_known_repository_merges_the_two(db: Database) -> None:
    old = add_repository(db, "alice/old-name")
    new = add_repository(db, "alice/new-name")
    link_paper(db, "2404.00001", old, "https://github.com/alice/old-name")
    link_paper(db, "2404.00002", new, "https://github.com/alice/new-name")
    yesterday = NOW - timedelta(days=1)
    store.record_count(db, old, stars=10, etag=None, remote_id=5, scoring=scoring(yesterday))
    store.record_count(db, new, stars=11, etag=None, remote_id=5, scoring=scoring(NOW))
    store.record_count(
        db, new, stars=9, etag=None, remote_id=5, scoring=scoring(NOW - timedelta(days=2))
    )
    kept = store.record_rename(db, old, "alice/new-name")
    assert kept == old and repository(db, new) == {}
    assert links(db) == {("https://github.com/alice/new-name", old)}
    # The union of both histories (the kept row's own count wins a shared day).
    assert store.star_history(db, old) == [
        (date(2024, 4, 6), 9),
        (date(2024, 4, 7), 10),
        (date(2024, 4, 8), 11),
    ]
    # A refresher that still held the merged row records nothing, and does not fail.
    assert not store.record_count(db, new, stars=12, etag=None, remote_id=5, scoring=scoring())
    assert not store.record_not_modified(db, new, etag=None, scoring=scoring())


def test_next_due_is_the_earliest_check(db: Database) -> None:
    assert store.next_due_at(db) is None
    repo = add_repository(db, "alice/model")
    store.record_count(db, repo, stars=1, etag=None, remote_id=1, scoring=scoring(NOW))
    assert store.next_due_at(db) == NOW + timedelta(hours=24)
