"""What /metrics reads of the background work: harvests finished and failed, digests due
and sent; on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from factories import make_paper

from paperwire.digest.model import Preferences
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage import harvests as harvest_store
from paperwire.storage.health import operational_state
from paperwire.storage.papers import upsert_papers

SUBSCRIBED = datetime(2024, 1, 1, tzinfo=UTC)


def test_nothing_done_yet_reads_as_no_harvest_and_no_digest_waiting(db: Database) -> None:
    state = operational_state(db, datetime.now(UTC))
    assert (state.papers, state.last_harvest_at, state.failed_harvests) == (0, None, 0)
    assert (state.oldest_due_digest_at, state.last_digest_sent_at) == (None, None)


def test_finished_and_failed_harvests_and_a_waiting_digest_are_reported(db: Database) -> None:
    upsert_papers(db, [make_paper()])
    before = datetime.now(UTC) - timedelta(seconds=1)
    harvest_store.start_harvest(db, "rss", "cs.AI")
    harvest_store.finish_harvest(db, "rss", "cs.AI")
    harvest_store.start_harvest(db, "oai", "cs")
    harvest_store.fail_harvest(db, "oai", "cs", "arXiv answered 503")
    digest_store.activate_subscription(db, "a@example.org", Preferences(), SUBSCRIBED)
    planned = digest_store.plan_deliveries(
        db, frequency="daily", weekday=None, period=date(2024, 4, 8), due_at=datetime.now(UTC)
    )
    later = datetime.now(UTC) + timedelta(minutes=5)
    state = operational_state(db, later)
    assert planned == 1 and state.papers == 1 and state.failed_harvests == 1
    assert state.last_harvest_at is not None and before < state.last_harvest_at < later
    assert state.oldest_due_digest_at is not None and before < state.oldest_due_digest_at
    assert state.last_digest_sent_at is None
