"""A digest sender killed with SIGKILL mid-run, then run again: each recipient gets one digest."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from factories import make_paper
from smtp_server import RecordingHandler, free_port

from paperwire.digest.model import Preferences
from paperwire.digest.send import CLAIM_BATCH
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import upsert_papers

RECIPIENTS = 1_000
KILL_AFTER_ACCEPTED = 300
SUBSCRIBED = datetime(2024, 1, 1, tzinfo=UTC)
AT = "2024-04-07T22:00-04:00"  # after the announcement of Monday 8 April 2024
LEASE_SECONDS = 3
SMTP_TIMEOUT_SECONDS = 1
TIMEOUT_SECONDS = 120


@dataclass
class HoldingHandler(RecordingHandler):
    """Accepts messages until `hold_after`, then keeps the next DATA waiting unanswered, so
    the test can kill the sender at a known point: after N accepted and committed messages,
    with message N+1 sent but not accepted."""

    hold_after: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 not accepted"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp() -> Iterator[tuple[HoldingHandler, int]]:
    handler = HoldingHandler(hold_after=KILL_AFTER_ACCEPTED)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


def _prepare(data_dir: Path) -> Database:
    db = Database.open(f"sqlite:///{data_dir / 'paperwire.sqlite3'}")
    db.upgrade()
    upsert_papers(
        db, [make_paper(listing_day=date(2024, 4, 8), imported_upvotes=n) for n in range(1, 13)]
    )
    rows = [(f"reader{n:05d}@example.org", Preferences()) for n in range(RECIPIENTS)]
    digest_store.import_subscriptions(db, rows, SUBSCRIBED)
    return db


def test_rerun_after_sigkill_sends_each_digest_exactly_once(
    tmp_path: Path, smtp: tuple[HoldingHandler, int]
) -> None:
    handler, port = smtp
    data_dir = tmp_path / "data"
    db = _prepare(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")} | {
        "PAPERWIRE_DATA_DIR": str(data_dir),
        "PAPERWIRE_LOG_LEVEL": "WARNING",
        "PAPERWIRE_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PAPERWIRE_BASE_URL": "https://papers.example.org",
        "PAPERWIRE_DIGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "PAPERWIRE_SMTP_TIMEOUT_SECONDS": str(SMTP_TIMEOUT_SECONDS),
    }
    command = [sys.executable, "-m", "paperwire", "digest", "send", "--at", AT, "--json"]

    log = tmp_path / "victim.log"
    with log.open("wb") as output:
        victim = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        held = handler.holding.wait(timeout=TIMEOUT_SECONDS)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    assert held, log.read_text()
    counts = digest_store.delivery_counts(db)
    # Every accepted message was recorded before the next one was sent; the unanswered
    # one and the rest of its claimed batch stay claimed until their lease runs out.
    assert counts["sent"] == KILL_AFTER_ACCEPTED
    assert 1 <= counts["sending"] <= CLAIM_BATCH

    handler.hold_after = None
    handler.release.set()
    time.sleep(LEASE_SECONDS)
    rerun = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert digest_store.delivery_counts(db)["sent"] == RECIPIENTS
    received = sorted(str(message["To"]) for message in handler.messages)
    assert received == sorted(f"reader{n:05d}@example.org" for n in range(RECIPIENTS))
    db.close()
