"""Digest storage on every backend: subscriptions, planning, claiming, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from factories import make_paper

from paperwire.digest.model import Preferences
from paperwire.storage import Database
from paperwire.storage import digests as store
from paperwire.storage.papers import upsert_papers

EARLY = datetime(2024, 1, 1, tzinfo=UTC)
PERIOD = date(2024, 4, 8)
DUE = datetime(2024, 4, 8, tzinfo=UTC)


def _subscribe(db: Database, email: str, **preferences: object) -> int:
    return store.activate_subscription(db, email, Preferences(**preferences), EARLY).id  # type: ignore[arg-type]


def _plan(db: Database, period: date = PERIOD) -> int:
    return store.plan_deliveries(db, frequency="daily", weekday=None, period=period, due_at=DUE)


def _claim(db: Database, token: str = "me", lease: float = 60) -> store.ClaimedDelivery | None:
    return _claim_at(db, datetime.now(UTC), token, lease)


def _claim_at(
    db: Database, now: datetime, token: str, lease: float = 60
) -> store.ClaimedDelivery | None:
    found = store.claim_deliveries(db, now=now, lease_seconds=lease, token=token, limit=1)
    return found[0] if found else None


def test_activation_is_one_row_per_address_and_keeps_the_first_confirmation(db: Database) -> None:
    first = store.activate_subscription(db, "ada@example.org", Preferences(), EARLY)
    later = EARLY + timedelta(days=3)
    again = store.activate_subscription(db, "ada@example.org", Preferences(size=5), later)
    assert again.id == first.id
    assert again.preferences.size == 5
    assert again.confirmed_at == EARLY


def test_planning_adds_one_delivery_per_active_due_subscription(db: Database) -> None:
    _subscribe(db, "a@example.org")
    _subscribe(db, "b@example.org", frequency="weekly")
    late = store.activate_subscription(db, "c@example.org", Preferences(), DUE + timedelta(1))
    gone = _subscribe(db, "d@example.org")
    store.unsubscribe(db, gone, EARLY)
    assert late.id
    assert _plan(db) == 1
    assert _plan(db) == 0  # the period is planned once, however often senders run
    assert store.delivery_counts(db)["pending"] == 1


def test_weekly_planning_takes_only_the_chosen_weekday(db: Database) -> None:
    _subscribe(db, "mon@example.org", frequency="weekly", weekday=0)
    _subscribe(db, "fri@example.org", frequency="weekly", weekday=4)
    planned = store.plan_deliveries(db, frequency="weekly", weekday=4, period=PERIOD, due_at=DUE)
    assert planned == 1
    claimed = _claim(db)
    assert claimed is not None and claimed.subscription.email == "fri@example.org"


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    _subscribe(db, "a@example.org")
    _plan(db)
    first = _claim(db, "one", lease=0.2)
    assert first is not None and first.attempts == 1
    assert _claim(db, "two") is None
    later = datetime.now(UTC) + timedelta(seconds=1)
    again = _claim_at(db, later, "two")
    assert again is not None and again.id == first.id and again.attempts == 2
    assert not store.record_sent(db, first, [], datetime.now(UTC))  # the first lost its claim
    assert store.record_sent(db, again, [], datetime.now(UTC))


def test_concurrent_senders_claim_each_delivery_once(db: Database) -> None:
    for number in range(40):
        _subscribe(db, f"reader{number}@example.org")
    _plan(db)
    won: list[int] = []
    lock = threading.Lock()

    def sender(token: str) -> None:
        while (claimed := _claim(db, token)) is not None:
            with lock:
                won.append(claimed.id)
            store.record_sent(db, claimed, [], datetime.now(UTC))

    threads = [threading.Thread(target=sender, args=(f"s{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(set(won)) and len(won) == 40
    assert store.delivery_counts(db)["sent"] == 40


def test_sent_papers_are_remembered_with_the_delivery(db: Database) -> None:
    papers = [make_paper(), make_paper()]
    upsert_papers(db, papers)
    subscription = _subscribe(db, "a@example.org")
    _plan(db)
    claimed = _claim(db)
    assert claimed is not None
    ids = [p.arxiv_id for p in papers]
    assert store.record_sent(db, claimed, ids, datetime.now(UTC))
    history = store.histories(db, [subscription])[subscription]
    assert history.sent_arxiv_ids == set(ids)
    assert history.previous_before(PERIOD + timedelta(1)) == PERIOD
    assert history.previous_before(PERIOD) is None
    shown = store.sent_digest(db, claimed.id)
    assert shown is not None and shown.arxiv_ids == ids


def test_failures_retry_later_or_stop_for_good(db: Database) -> None:
    _subscribe(db, "a@example.org")
    _plan(db)
    claimed = _claim(db)
    assert claimed is not None
    retry_at = datetime.now(UTC) + timedelta(hours=1)
    assert store.record_failure(db, claimed, "450 busy", retry_at)
    assert _claim(db) is None  # not before retry_at
    later = _claim_at(db, retry_at, "t")
    assert later is not None and later.attempts == 2
    assert store.record_failure(db, later, "550 no such user", None)
    assert store.delivery_counts(db)["failed"] == 1
    assert _claim_at(db, retry_at + timedelta(days=9), "x") is None


def test_import_adds_only_new_addresses(db: Database) -> None:
    _subscribe(db, "known@example.org", size=3)
    rows = [("known@example.org", Preferences()), ("new@example.org", Preferences())]
    assert store.import_subscriptions(db, rows, EARLY) == 1
    known = store.subscription_by_email(db, "known@example.org")
    assert known is not None and known.preferences.size == 3
    assert [s.email for s in store.list_subscriptions(db)] == [
        "known@example.org",
        "new@example.org",
    ]


def test_unsubscribe_and_preferences_only_touch_active_subscriptions(db: Database) -> None:
    subscription = _subscribe(db, "a@example.org")
    assert store.set_preferences(db, subscription, Preferences(size=7), EARLY)
    assert store.unsubscribe(db, subscription, EARLY)
    assert not store.unsubscribe(db, subscription, EARLY)
    assert not store.set_preferences(db, subscription, Preferences(size=9), EARLY)
    found = store.subscription_by_id(db, subscription)
    assert found is not None and found.status == "unsubscribed" and found.preferences.size == 7


def test_a_batch_claim_takes_several_and_released_ones_are_claimable_again(db: Database) -> None:
    for number in range(5):
        _subscribe(db, f"reader{number}@example.org")
    _plan(db)
    now = datetime.now(UTC)
    batch = store.claim_deliveries(db, now=now, lease_seconds=60, token="a", limit=3)
    assert [c.attempts for c in batch] == [1, 1, 1]
    assert len(store.claim_deliveries(db, now=now, lease_seconds=60, token="b", limit=9)) == 2
    store.release_claims(db, batch[1:])
    again = store.claim_deliveries(db, now=now, lease_seconds=60, token="c", limit=9)
    assert [c.id for c in again] == [c.id for c in batch[1:]]
    assert [c.attempts for c in again] == [1, 1]  # a released claim is not an attempt
