"""Digest jobs: the in-serve schedule and its configuration checks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from factories import make_paper
from smtp_server import running_smtp_server

from paperwire.config import Settings
from paperwire.digest.jobs import run_every, start_scheduled_digests
from paperwire.digest.model import Preferences
from paperwire.digest.send import DigestConfigError
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import upsert_papers


def test_no_background_digests_unless_enabled(tmp_path: Path) -> None:
    assert start_scheduled_digests(Settings(data_dir=tmp_path), threading.Event()) is None


def test_background_digests_need_a_base_url(tmp_path: Path) -> None:
    with pytest.raises(DigestConfigError, match="PAPERWIRE_BASE_URL"):
        start_scheduled_digests(
            Settings(data_dir=tmp_path, digest_in_serve=True), threading.Event()
        )


def test_background_digests_are_sent_and_stop_when_asked(tmp_path: Path) -> None:
    db = Database.open(Settings(data_dir=tmp_path).effective_database_url())
    db.upgrade()
    upsert_papers(db, [make_paper(listing_day=date(2024, 4, 8), imported_upvotes=4)])
    digest_store.activate_subscription(
        db, "ada@example.org", Preferences(), datetime(2024, 1, 1, tzinfo=UTC)
    )
    stop = threading.Event()
    with running_smtp_server() as smtp:
        settings = Settings(
            data_dir=tmp_path,
            digest_in_serve=True,
            base_url="https://papers.example.org",
            smtp_url=smtp.url,  # type: ignore[arg-type]
        )
        thread = start_scheduled_digests(settings, stop)
        assert thread is not None
        deadline = time.monotonic() + 20
        while not smtp.handler.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=10)
    assert len(smtp.handler.to("ada@example.org")) == 1
    assert not thread.is_alive()
    db.close()


def test_a_failing_pass_is_logged_and_the_schedule_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = threading.Event()
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        if len(runs) == 2:
            stop.set()
        raise RuntimeError("database went away")

    run_every(job, 0, stop)
    assert len(runs) == 2
    assert "digest pass failed" in caplog.text
