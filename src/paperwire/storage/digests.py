"""Digest storage: subscriptions, deliveries claimed before sending, and papers sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from paperwire.digest.model import ACTIVE, UNSUBSCRIBED, Preferences, Subscription
from paperwire.storage.database import Database
from paperwire.storage.schema import digest_deliveries as deliveries
from paperwire.storage.schema import digest_sent_papers as sent_papers
from paperwire.storage.schema import digest_subscriptions as subscriptions
from paperwire.storage.schema import papers

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SKIPPED = "skipped"  # nothing new to send, and empty digests are not sent
FAILED = "failed"
DELIVERY_STATES = (PENDING, SENDING, SENT, SKIPPED, FAILED)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery this sender holds until claimed_until; claim_token proves it."""

    id: int
    period: date
    attempts: int  # including this one
    claim_token: str
    subscription: Subscription
    claimed_until: datetime


def subscription_by_email(db: Database, email: str) -> Subscription | None:
    query = select(subscriptions).where(subscriptions.c.email == email)
    with db.read() as connection:
        row = connection.execute(query).first()
    return _subscription(row._mapping) if row else None


def subscription_by_id(db: Database, subscription_id: int) -> Subscription | None:
    query = select(subscriptions).where(subscriptions.c.id == subscription_id)
    with db.read() as connection:
        row = connection.execute(query).first()
    return _subscription(row._mapping) if row else None


def active_subscriptions_of_user(db: Database, user_id: int) -> list[Subscription]:
    """The active subscriptions linked to an account, by address."""
    query = (
        select(subscriptions)
        .where((subscriptions.c.user_id == user_id) & (subscriptions.c.status == ACTIVE))
        .order_by(subscriptions.c.email)
    )
    with db.read() as connection:
        return [_subscription(row._mapping) for row in connection.execute(query)]


def list_subscriptions(db: Database) -> list[Subscription]:
    query = select(subscriptions).order_by(subscriptions.c.email)
    with db.read() as connection:
        return [_subscription(row._mapping) for row in connection.execute(query)]


def activate_subscription(
    db: Database, email: str, preferences: Preferences, now: datetime, user_id: int | None = None
) -> Subscription:
    """Create the address's subscription, or make it active again with these preferences;
    with user_id, link it to that account (otherwise any link is kept)."""
    values = _preference_values(preferences) | {
        "status": ACTIVE,
        "unsubscribed_at": None,
        "updated_at": now,
    }
    if user_id is not None:
        values["user_id"] = user_id
    with db.write() as connection:
        found = connection.scalar(select(subscriptions.c.id).where(subscriptions.c.email == email))
        if found is None:
            new = values | {"email": email, "confirmed_at": now, "created_at": now}
            connection.execute(_insert_ignoring_conflicts(connection, subscriptions).values(new))
        else:
            keep_first_confirmation = func.coalesce(subscriptions.c.confirmed_at, now)
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == found)
                .values(values | {"confirmed_at": keep_first_confirmation})
            )
    stored = subscription_by_email(db, email)
    assert stored is not None
    return stored


def import_subscriptions(
    db: Database, rows: Sequence[tuple[str, Preferences]], now: datetime
) -> int:
    """Add confirmed subscriptions for new addresses; known addresses are left as they are.
    Returns how many were added."""
    values = [
        _preference_values(prefs)
        | {
            "email": email,
            "status": ACTIVE,
            "confirmed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for email, prefs in rows
    ]
    if not values:
        return 0
    with db.write() as connection:
        before = connection.scalar(select(func.count()).select_from(subscriptions)) or 0
        connection.execute(_insert_ignoring_conflicts(connection, subscriptions), values)
        after = connection.scalar(select(func.count()).select_from(subscriptions)) or 0
    return int(after) - int(before)


def set_preferences(
    db: Database, subscription_id: int, preferences: Preferences, now: datetime
) -> bool:
    """Change what an active subscription receives; False when it is not active."""
    values = _preference_values(preferences) | {"updated_at": now}
    return _update_subscription(db, subscription_id, values, only_active=True)


def link_to_user(db: Database, subscription_id: int, user_id: int, now: datetime) -> bool:
    """Let an account manage an active subscription; False when it is not active."""
    values = {"user_id": user_id, "updated_at": now}
    return _update_subscription(db, subscription_id, values, only_active=True)


def unsubscribe(db: Database, subscription_id: int, now: datetime) -> bool:
    """Stop sending; pending deliveries are dropped. False when it was not active."""
    values = {"status": UNSUBSCRIBED, "unsubscribed_at": now, "updated_at": now}
    return _update_subscription(db, subscription_id, values, only_active=True)


def _update_subscription(
    db: Database, subscription_id: int, values: dict[str, Any], *, only_active: bool
) -> bool:
    condition = subscriptions.c.id == subscription_id
    if only_active:
        condition = condition & (subscriptions.c.status == ACTIVE)
    with db.write() as connection:
        changed = connection.execute(update(subscriptions).where(condition).values(values))
        return changed.rowcount == 1


def plan_deliveries(
    db: Database, *, frequency: str, weekday: int | None, period: date, due_at: datetime
) -> int:
    """Add a pending delivery of `period` for every active subscription of that frequency
    (and weekday) confirmed by due_at that has none yet; returns how many were added.
    Safe to run from several senders at once."""
    now = datetime.now(UTC)
    already = exists().where(
        (deliveries.c.subscription_id == subscriptions.c.id) & (deliveries.c.period == period)
    )
    due = and_(
        subscriptions.c.status == ACTIVE,
        subscriptions.c.frequency == frequency,
        subscriptions.c.confirmed_at <= due_at.astimezone(UTC),
        ~already,
    )
    if weekday is not None:
        due = due & (subscriptions.c.weekday == weekday)
    rows = select(
        subscriptions.c.id,
        literal(period, deliveries.c.period.type),
        literal(PENDING),
        literal(now, deliveries.c.next_attempt_at.type),
        literal(now, deliveries.c.created_at.type),
    ).where(due)
    columns = ["subscription_id", "period", "state", "next_attempt_at", "created_at"]
    with db.write() as connection:
        insert = _insert_ignoring_conflicts(connection, deliveries).from_select(columns, rows)
        return len(connection.execute(insert.returning(deliveries.c.id)).all())


def claim_deliveries(
    db: Database, *, now: datetime, lease_seconds: float, token: str, limit: int
) -> list[ClaimedDelivery]:
    """Take up to `limit` deliveries that are due (or whose sender's lease ran out).

    A conditional UPDATE decides: a row another sender claimed in the meantime no longer
    matches it. On PostgreSQL the rows are first picked with FOR UPDATE SKIP LOCKED, so
    concurrent senders take different rows instead of queueing on the same ones; SQLite's
    BEGIN IMMEDIATE serialises the whole claim.
    """
    with db.write() as connection:
        ids = list(
            connection.scalars(
                select(deliveries.c.id)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                # A delivery of a subscription that has ended since it was planned (or
                # since a failed try) is never taken again.
                .where(_claimable(now), subscriptions.c.status == ACTIVE)
                .order_by(deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=deliveries)
            )
        )
        if not ids:
            return []
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids) & _claimable(now))
            .values(
                state=SENDING,
                claim_token=token,
                claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=deliveries.c.attempts + 1,
            )
        )
        return _claimed(connection, ids, token)


def release_claims(db: Database, claimed: Sequence[ClaimedDelivery]) -> None:
    """Give back claimed deliveries this sender will not send after all (it is stopping)."""
    if not claimed:
        return
    with db.write() as connection:
        connection.execute(
            update(deliveries)
            .where(
                deliveries.c.id.in_([c.id for c in claimed])
                & (deliveries.c.state == SENDING)
                & (deliveries.c.claim_token == claimed[0].claim_token)
            )
            .values(
                state=PENDING,
                claim_token=None,
                claimed_until=None,
                attempts=deliveries.c.attempts - 1,
            )
        )


def deliveries_due_since(db: Database, now: datetime) -> datetime | None:
    """When the longest-waiting delivery that a pass could send now fell due, or None
    when none is waiting (what a digest lag is measured from)."""
    query = select(func.min(deliveries.c.next_attempt_at)).where(_claimable(now))
    with db.read() as connection:
        return _as_utc(connection.scalar(query))


def last_sent_at(db: Database) -> datetime | None:
    """When the newest digest was sent, or None before any."""
    query = select(func.max(deliveries.c.sent_at)).where(deliveries.c.state == SENT)
    with db.read() as connection:
        return _as_utc(connection.scalar(query))


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        (deliveries.c.state == PENDING) & (deliveries.c.next_attempt_at <= now),
        (deliveries.c.state == SENDING) & (deliveries.c.claimed_until < now),
    )


def _claimed(connection: Connection, ids: list[int], token: str) -> list[ClaimedDelivery]:
    rows = connection.execute(
        select(
            deliveries.c.id.label("delivery_id"),
            deliveries.c.period,
            deliveries.c.attempts,
            deliveries.c.claimed_until,
            subscriptions,
        )
        .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
        .where(deliveries.c.id.in_(ids) & (deliveries.c.claim_token == token))
        .order_by(deliveries.c.id)
    )
    return [
        ClaimedDelivery(
            values["delivery_id"],
            _as_date(values["period"]),
            values["attempts"],
            token,
            _subscription(values),
            _as_utc(values["claimed_until"]) or datetime.now(UTC),
        )
        for values in (row._mapping for row in rows)
    ]


@dataclass(frozen=True, slots=True)
class History:
    """What a subscriber was sent before: the periods of sent digests and their papers."""

    sent_periods: frozenset[date] = frozenset()
    sent_arxiv_ids: frozenset[str] = frozenset()

    def previous_before(self, period: date) -> date | None:
        """The latest period before `period` whose digest was sent."""
        return max((p for p in self.sent_periods if p < period), default=None)


def histories(db: Database, subscription_ids: Sequence[int]) -> dict[int, History]:
    """Each subscription's history, in two queries however many subscriptions."""
    wanted = list(set(subscription_ids))
    periods: dict[int, set[date]] = {number: set() for number in wanted}
    sent: dict[int, set[str]] = {number: set() for number in wanted}
    period_query = select(deliveries.c.subscription_id, deliveries.c.period).where(
        deliveries.c.subscription_id.in_(wanted) & (deliveries.c.state == SENT)
    )
    paper_query = (
        select(sent_papers.c.subscription_id, papers.c.arxiv_id)
        .join(papers, papers.c.id == sent_papers.c.paper_id)
        .where(sent_papers.c.subscription_id.in_(wanted))
    )
    with db.read() as connection:
        for number, period in connection.execute(period_query):
            periods[number].add(_as_date(period))
        for number, arxiv_id in connection.execute(paper_query):
            sent[number].add(arxiv_id)
    return {n: History(frozenset(periods[n]), frozenset(sent[n])) for n in wanted}


def record_sent(
    db: Database, claimed: ClaimedDelivery, arxiv_ids: Sequence[str], now: datetime
) -> bool:
    """Mark the delivery sent and remember its papers, in one transaction. False when this
    sender had lost its claim (the lease ran out and another sender took it)."""
    with db.write() as connection:
        if not _finish(connection, claimed, SENT, sent_at=now, paper_count=len(arxiv_ids)):
            return False
        ids = dict(
            connection.execute(
                select(papers.c.arxiv_id, papers.c.id).where(papers.c.arxiv_id.in_(arxiv_ids))
            ).all()
        )
        rows = [
            {
                "subscription_id": claimed.subscription.id,
                "paper_id": ids[arxiv_id],
                "delivery_id": claimed.id,
                "position": position,
            }
            for position, arxiv_id in enumerate(arxiv_ids)
            if arxiv_id in ids
        ]
        if rows:
            connection.execute(_insert_ignoring_conflicts(connection, sent_papers), rows)
    return True


def record_skipped(db: Database, claimed: ClaimedDelivery) -> bool:
    """Nothing new to send for this period."""
    with db.write() as connection:
        return _finish(connection, claimed, SKIPPED)


def record_failure(
    db: Database, claimed: ClaimedDelivery, error: str, retry_at: datetime | None
) -> bool:
    """Back to pending until retry_at, or failed for good when retry_at is None."""
    state = PENDING if retry_at is not None else FAILED
    extra: dict[str, Any] = {"last_error": error[:2_000]}
    if retry_at is not None:
        extra["next_attempt_at"] = retry_at
    with db.write() as connection:
        return _finish(connection, claimed, state, **extra)


def _finish(connection: Connection, claimed: ClaimedDelivery, state: str, **values: Any) -> bool:
    done = connection.execute(
        update(deliveries)
        .where(
            (deliveries.c.id == claimed.id)
            & (deliveries.c.state == SENDING)
            & (deliveries.c.claim_token == claimed.claim_token)
        )
        .values(state=state, claimed_until=None, claim_token=None, **values)
    )
    return done.rowcount == 1


def drop_pending_deliveries(db: Database, subscription_id: int) -> None:
    """Forget deliveries not yet sent (after an unsubscribe)."""
    with db.write() as connection:
        connection.execute(
            deliveries.delete().where(
                (deliveries.c.subscription_id == subscription_id) & (deliveries.c.state == PENDING)
            )
        )


@dataclass(frozen=True, slots=True)
class SentDigest:
    subscription_id: int
    period: date
    arxiv_ids: list[str]


def sent_digest(db: Database, delivery_id: int) -> SentDigest | None:
    """What a sent delivery carried, in its order: for the browser view of a digest."""
    head = select(deliveries.c.subscription_id, deliveries.c.period).where(
        (deliveries.c.id == delivery_id) & (deliveries.c.state == SENT)
    )
    items = (
        select(papers.c.arxiv_id)
        .join(sent_papers, sent_papers.c.paper_id == papers.c.id)
        .where(sent_papers.c.delivery_id == delivery_id)
        .order_by(sent_papers.c.position)
    )
    with db.read() as connection:
        row = connection.execute(head).first()
        if row is None:
            return None
        return SentDigest(row[0], _as_date(row[1]), list(connection.scalars(items)))


def delivery_counts(db: Database) -> dict[str, int]:
    """How many deliveries are in each state."""
    query = select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
    with db.read() as connection:
        found = {str(state): int(count) for state, count in connection.execute(query)}
    return {state: found.get(state, 0) for state in DELIVERY_STATES}


def _insert_ignoring_conflicts(connection: Connection, table: Any) -> Insert:
    # ON CONFLICT DO NOTHING exists in both dialects but is spelt by each one's insert().
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _preference_values(preferences: Preferences) -> dict[str, Any]:
    return preferences.as_json()


def _subscription(values: Any) -> Subscription:
    preferences = Preferences.from_json(
        {name: values[name] for name in ("frequency", "weekday", "size", "content")}
        | {"topics": values["topics"] or []}
    )
    return Subscription(
        id=values["id"],
        email=values["email"],
        status=values["status"],
        preferences=preferences,
        confirmed_at=_as_utc(values["confirmed_at"]),
        unsubscribed_at=_as_utc(values["unsubscribed_at"]),
        user_id=values["user_id"],
    )


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
