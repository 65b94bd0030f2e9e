"""The harvest schedule: run at once, then after announcements; failures do not stop it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from arxiv_server import Reply, Script, path_is, serving
from factories import TEST_DATA

from paperwire.config import Settings
from paperwire.ingest.arxiv.jobs import start_scheduled_harvest
from paperwire.ingest.arxiv.schedule import after_announcements, every, run_on_schedule
from paperwire.ranking.calendar import ARXIV_TZ
from paperwire.storage import Database
from paperwire.storage.papers import count_papers


def test_next_run_is_the_next_announcement_plus_the_delay() -> None:
    thursday_night = datetime(2024, 4, 11, 22, tzinfo=ARXIV_TZ)
    schedule = after_announcements(30)
    assert schedule(thursday_night) == datetime(2024, 4, 14, 20, 30, tzinfo=ARXIV_TZ)
    assert every(90)(thursday_night) == datetime(2024, 4, 11, 23, 30, tzinfo=ARXIV_TZ)


def test_job_runs_at_once_and_a_failure_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = threading.Event()
    runs: list[int] = []

    def job() -> None:
        runs.append(1)
        stop.set()  # as if SIGTERM arrived during the run
        raise RuntimeError("arXiv is down")

    with caplog.at_level(logging.ERROR):
        run_on_schedule(
            job, after_announcements(30), stop, now=lambda: datetime(2024, 4, 8, 12, tzinfo=UTC)
        )
    assert runs == [1]
    assert "scheduled harvest failed" in caplog.text


def test_no_background_harvest_unless_enabled_with_categories(tmp_path: Path) -> None:
    stop = threading.Event()
    assert start_scheduled_harvest(Settings(data_dir=tmp_path), stop) is None
    enabled_without_categories = Settings(data_dir=tmp_path, harvest_in_serve=True)
    assert start_scheduled_harvest(enabled_without_categories, stop) is None


def test_background_harvest_stores_the_feed_and_stops_when_asked(tmp_path: Path) -> None:
    feed = (TEST_DATA / "arxiv" / "rss" / "rss_arxiv_atom_cs.AI_2025-08-20.xml").read_bytes()
    script = Script().on(path_is("/rss/cs.AI"), Reply(feed))
    settings_values = {"data_dir": tmp_path, "harvest_in_serve": True, "arxiv_delay_seconds": 0}
    db = Database.open(Settings(data_dir=tmp_path).effective_database_url())
    db.upgrade()
    stop = threading.Event()
    with serving(script) as url:
        settings = Settings(
            **settings_values, harvest_categories=["cs.AI"], arxiv_rss_url=f"{url}/rss"
        )  # type: ignore[arg-type]
        thread = start_scheduled_harvest(settings, stop)
        assert thread is not None
        deadline = time.monotonic() + 20
        while count_papers(db) < 7 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=10)
    assert count_papers(db) == 7
    assert not thread.is_alive()
    db.close()
