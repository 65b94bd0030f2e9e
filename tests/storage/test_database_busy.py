"""SQLite writes beside another process's: they wait for its lock, within a bound."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import add_user, make_paper
from sqlite_writers import committing_beside, ingesting_beside, write_lock_held

from paperwire.storage import Database
from paperwire.storage.database import DatabaseBusy
from paperwire.storage.papers import upsert_papers
from paperwire.storage.votes import PaperStats, cast_vote, stats_for

SHORT_BOUND_MS = 200


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paperwire.sqlite3'}"


def test_votes_beside_an_ingest_all_wait_for_its_batches(url: str, tmp_path: Path) -> None:
    db = Database.open(url)
    db.upgrade()
    upsert_papers(db, [make_paper(arxiv_id="2606.00001")])
    voters = [add_user(db, name).id for name in ("alice", "bob")]
    try:
        with ingesting_beside(url, tmp_path):
            for _ in range(100):  # each toggles: 200 votes in all, read-then-write each
                for user_id in voters:
                    cast_vote(db, user_id, "2606.00001", up=None, half_life_hours=72)
        assert _votes(db) == 0  # every vote withdrawn again
    finally:
        db.close()


def test_upgrade_beside_another_writer_waits_for_its_commits(url: str, tmp_path: Path) -> None:
    # Migrations read the schema, then change it: with the write lock taken first, no
    # commit of the other process in between can leave them a stale snapshot to write from.
    with committing_beside(url, tmp_path):
        db = Database.open(url)
        try:
            db.upgrade()
            assert db.schema_state().is_current
        finally:
            db.close()


def test_a_write_lock_held_past_the_bound_is_a_clear_error_and_writes_nothing(
    url: str,
) -> None:
    db = Database.open(url, busy_timeout_ms=SHORT_BOUND_MS)
    db.upgrade()
    upsert_papers(db, [make_paper(arxiv_id="2606.00001")])
    alice = add_user(db, "alice").id
    try:
        with write_lock_held(url), pytest.raises(DatabaseBusy, match="busy"):
            cast_vote(db, alice, "2606.00001", up=True, half_life_hours=72)
        assert _votes(db) == 0
        cast_vote(db, alice, "2606.00001", up=True, half_life_hours=72)  # released: it goes
        assert _votes(db) == 1
    finally:
        db.close()


def test_a_write_waits_for_a_lock_released_within_the_bound(url: str) -> None:
    db = Database.open(url)  # the default bound, 10 s
    db.upgrade()
    upsert_papers(db, [make_paper(arxiv_id="2606.00001")])
    alice = add_user(db, "alice").id
    try:
        with write_lock_held(url, at_most_seconds=0.3):
            cast_vote(db, alice, "2606.00001", up=True, half_life_hours=72)
        assert _votes(db) == 1
    finally:
        db.close()


def _votes(db: Database) -> int:
    return stats_for(db, ["2606.00001"]).get("2606.00001", PaperStats()).votes


def test_the_bound_applies_to_pooled_and_raw_connections(url: str) -> None:
    db = Database.open(url, busy_timeout_ms=250)
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 250
        raw = db.engine.raw_connection()
        try:
            assert raw.cursor().execute("PRAGMA busy_timeout").fetchone() == (250,)
        finally:
            raw.close()
    finally:
        db.close()
