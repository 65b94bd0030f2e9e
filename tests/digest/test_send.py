"""Sending digests through a real SMTP server: never twice, retries, failures, headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from digest_sending import NEW_YORK, SUBSCRIBED, evening, linked_ids, send, settings_for
from factories import make_paper
from smtp_server import SmtpServer, running_smtp_server

from paperwire.digest.model import Preferences, Topic
from paperwire.digest.send import DigestConfigError
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import upsert_papers

MONDAY = date(2024, 4, 8)
TUESDAY = date(2024, 4, 9)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def subscribe(db: Database, email: str, **preferences: object) -> None:
    digest_store.activate_subscription(db, email, Preferences(**preferences), SUBSCRIBED)  # type: ignore[arg-type]


def listed(day: date, *upvotes: int) -> list[Paper]:
    return [make_paper(listing_day=day, imported_upvotes=votes) for votes in upvotes]


def test_consecutive_digests_never_repeat_a_paper(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    monday = listed(MONDAY, 50, 40, 30, 0)
    tuesday = listed(TUESDAY, 5, 9)
    upsert_papers(db, monday + tuesday)
    subscribe(db, "ada@example.org", size=3)
    settings = settings_for(tmp_path)

    first = send(db, settings, smtp, evening(date(2024, 4, 7)))  # Monday's listing
    second = send(db, settings, smtp, evening(MONDAY))  # Tuesday's listing
    third = send(db, settings, smtp, evening(TUESDAY))  # Wednesday's: nothing new

    assert (first.sent, second.sent, third.sent, third.skipped) == (1, 1, 0, 1)
    sent = [linked_ids(m) for m in smtp.handler.to("ada@example.org")]
    assert sent == [[p.arxiv_id for p in monday[:3]], [tuesday[1].arxiv_id, tuesday[0].arxiv_id]]


def test_a_backfilled_earlier_digest_leaves_out_what_was_already_sent(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    papers = listed(MONDAY, 50, 40, 30)
    upsert_papers(db, papers)
    subscribe(db, "ada@example.org", size=2)
    settings = settings_for(tmp_path)
    send(db, settings, smtp, evening(MONDAY) + timedelta(days=1))
    send(db, settings, smtp, evening(date(2024, 4, 7)))
    first, backfill = (linked_ids(m) for m in smtp.handler.to("ada@example.org"))
    assert first == [papers[0].arxiv_id, papers[1].arxiv_id]
    assert backfill == [papers[2].arxiv_id]


def test_topic_digest_sends_only_matching_papers(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    match = make_paper(listing_day=MONDAY, title="Diffusion for proteins", imported_upvotes=1)
    upsert_papers(db, [match, *listed(MONDAY, 90, 80)])
    topic = Topic(name="diffusion", include=("diffusion",))
    subscribe(db, "bio@example.org", content="topics", topics=(topic,))
    send(db, settings_for(tmp_path), smtp, evening(date(2024, 4, 7)))
    (message,) = smtp.handler.to("bio@example.org")
    assert linked_ids(message) == [match.arxiv_id]


def test_message_has_both_parts_and_one_click_unsubscribe_headers(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    upsert_papers(db, listed(MONDAY, 3))
    subscribe(db, "ada@example.org")
    send(db, settings_for(tmp_path), smtp, evening(date(2024, 4, 7)))
    (message,) = smtp.handler.messages
    unsubscribe = str(message["List-Unsubscribe"])
    assert unsubscribe.startswith("<https://papers.example.org/digest/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["Message-ID"]).endswith("@papers.example.org>")
    html = message.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert 'style="' in content and "prefers-color-scheme: dark" in content
    assert "Manage your subscription" in content and "Mon, 8 April 2024" in content


def test_a_temporary_failure_is_retried_after_a_backoff(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    upsert_papers(db, listed(MONDAY, 3))
    subscribe(db, "busy@example.org")
    smtp.handler.refuse["busy@example.org"] = "450 mailbox busy"
    settings = settings_for(tmp_path)
    at = evening(date(2024, 4, 7))
    assert send(db, settings, smtp, at).retrying == 1
    assert send(db, settings, smtp, at).retrying == 0  # not before the backoff
    del smtp.handler.refuse["busy@example.org"]
    later = datetime.now(UTC) + timedelta(seconds=61)
    report = send(db, settings, smtp, at, clock=lambda: later)
    assert report.sent == 1
    assert len(smtp.handler.to("busy@example.org")) == 1


def test_temporary_failures_end_after_the_last_attempt(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    upsert_papers(db, listed(MONDAY, 3))
    subscribe(db, "busy@example.org")
    smtp.handler.refuse["busy@example.org"] = "451 try later"
    settings = settings_for(tmp_path, digest_max_attempts=2, digest_retry_seconds=0)
    at = evening(date(2024, 4, 7))
    reports = [send(db, settings, smtp, at) for _ in range(2)]
    # Without a wait the retry comes in the same pass; the second try is the last.
    assert [(r.retrying, r.failed) for r in reports] == [(1, 1), (0, 0)]
    assert len(smtp.handler.messages) == 0


def test_a_permanent_failure_is_recorded_and_not_retried(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    upsert_papers(db, listed(MONDAY, 3))
    subscribe(db, "gone@example.org")
    subscribe(db, "here@example.org")
    smtp.handler.refuse["gone@example.org"] = "550 no such user"
    settings = settings_for(tmp_path)
    at = evening(date(2024, 4, 7))
    report = send(db, settings, smtp, at)
    assert (report.sent, report.failed) == (1, 1)
    assert "550" in report.errors[0]
    assert send(db, settings, smtp, at).failed == 0
    assert digest_store.delivery_counts(db)["failed"] == 1


def test_a_dead_smtp_server_ends_the_pass_early(db: Database, tmp_path: Path) -> None:
    upsert_papers(db, listed(MONDAY, 3))
    for number in range(8):
        subscribe(db, f"reader{number}@example.org")
    with running_smtp_server() as gone:
        dead = gone
    report = send(db, settings_for(tmp_path), dead, evening(date(2024, 4, 7)))
    assert report.stopped_early and report.retrying == 5
    assert digest_store.delivery_counts(db)["pending"] == 8


def test_empty_digests_are_sent_when_asked_to(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    subscribe(db, "ada@example.org")
    settings = settings_for(tmp_path, digest_skip_empty=False)
    assert send(db, settings, smtp, evening(date(2024, 4, 7))).sent == 1
    (message,) = smtp.handler.messages
    assert "no new papers" in str(message["Subject"])


def test_digests_are_not_sent_without_a_base_url(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    subscribe(db, "ada@example.org")
    with pytest.raises(DigestConfigError, match="PAPERWIRE_BASE_URL"):
        send(db, settings_for(tmp_path, base_url=""), smtp, evening(MONDAY))
    assert smtp.handler.messages == []


def test_weekly_digests_go_out_on_the_chosen_weekday_only(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    upsert_papers(db, listed(date(2024, 4, 5), 3))
    subscribe(db, "friday@example.org", frequency="weekly", weekday=4)
    settings = settings_for(tmp_path)
    wednesday_noon = datetime(2024, 4, 10, 12, 0, tzinfo=NEW_YORK)
    assert send(db, settings, smtp, wednesday_noon).sent == 1  # last Friday's is due
    assert send(db, settings, smtp, wednesday_noon + timedelta(days=1)).sent == 0
    friday = datetime(2024, 4, 12, 12, 0, tzinfo=NEW_YORK)
    assert send(db, settings, smtp, friday).planned == 1


def test_an_unsubscribe_between_two_tries_stops_the_retry(
    db: Database, smtp: SmtpServer, tmp_path: Path
) -> None:
    # The delivery is claimed and fails temporarily; the reader unsubscribes before the
    # next try. Whatever state the delivery row is in, it must never be sent.
    upsert_papers(db, listed(MONDAY, 3))
    subscribe(db, "leaving@example.org")
    smtp.handler.refuse["leaving@example.org"] = "450 mailbox busy"
    settings = settings_for(tmp_path)
    at = evening(date(2024, 4, 7))
    assert send(db, settings, smtp, at).retrying == 1
    del smtp.handler.refuse["leaving@example.org"]
    subscription = digest_store.subscription_by_email(db, "leaving@example.org")
    assert subscription is not None
    digest_store.unsubscribe(db, subscription.id, datetime.now(UTC))  # rows left as they are
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert send(db, settings, smtp, at, clock=lambda: later).sent == 0
    assert smtp.handler.to("leaving@example.org") == []
