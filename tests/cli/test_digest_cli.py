"""`paperwire digest` and `paperwire subscribers` through the real command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import make_paper
from smtp_server import SmtpServer, running_smtp_server

from paperwire.cli.main import cli
from paperwire.digest.model import Preferences
from paperwire.storage import Database
from paperwire.storage import digests as digest_store
from paperwire.storage.papers import upsert_papers

# Monday 8 April 2024's listing was announced on Sunday evening, New York time.
AFTER_MONDAYS_LISTING = "2024-04-07T22:00-04:00"
SUBSCRIBED = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> Path:
    """A fresh data dir with papers, mail going to the test server; returns the data dir."""
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    values = {
        "PAPERWIRE_DATA_DIR": str(data_dir),
        "PAPERWIRE_LOG_LEVEL": "WARNING",
        "PAPERWIRE_SMTP_URL": smtp.url,
        "PAPERWIRE_BASE_URL": "https://papers.example.org",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    db = Database.open(f"sqlite:///{data_dir / 'paperwire.sqlite3'}")
    db.upgrade()
    upsert_papers(db, [make_paper(listing_day=date(2024, 4, 8), imported_upvotes=5)])
    db.close()
    return data_dir


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _import(tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "list.csv"
    path.write_text(text)
    return run("subscribers", "import", str(path))


def test_import_then_list_subscribers(env: Path, tmp_path: Path) -> None:
    code, out, err = _import(
        tmp_path,
        "email,frequency\nAda@Example.org,daily\nbob@example.org,weekly\nnot-an-address,daily\n",
    )
    assert code == 0 and "added 2, already subscribed 0, rejected 1" in out
    assert "line 4: that does not look like an e-mail address" in err
    assert (
        "added 0, already subscribed 2"
        in _import(tmp_path, "ada@example.org,daily\nbob@example.org\n")[1]
    )
    code, out, _ = run("subscribers", "list")
    assert out.splitlines() == [
        "ada@example.org  active  daily, up to 10 trending papers",
        "bob@example.org  active  weekly on Monday, up to 10 trending papers",
    ]
    rows = json.loads(run("subscribers", "list", "--json")[1])
    assert rows[0]["preferences"]["frequency"] == "daily"


def test_send_at_a_moment_then_again_sends_once(
    env: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    _import(tmp_path, "ada@example.org,daily\n")
    # Imported subscribers count as confirmed now, so a digest dated in 2024 is not theirs:
    assert "planned 0, sent 0" in run("digest", "send", "--at", AFTER_MONDAYS_LISTING)[1]
    # Their first is the first due after the import; arXiv announces at least every 3 days.
    later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    code, out, _ = run("digest", "send", "--at", later, "--json")
    assert code == 0 and json.loads(out)["sent"] == 1
    assert json.loads(run("digest", "send", "--at", later, "--json")[1])["sent"] == 0
    assert len(smtp.handler.to("ada@example.org")) == 1


def test_preview_prints_the_digest_without_sending(
    env: Path, tmp_path: Path, smtp: SmtpServer
) -> None:
    _import(tmp_path, "ada@example.org,daily\n")
    code, out, err = run("digest", "preview", "ada@example.org")
    assert (
        code == 0
        and "A study of example" in out
        and "Unsubscribe: https://papers.example.org/" in out
    )
    assert err.startswith("Subject: paperwire: 1 paper trending")
    assert "<html" in run("digest", "preview", "ada@example.org", "--html")[1]
    assert smtp.handler.messages == []
    code, _, err = run("digest", "preview", "nobody@example.org")
    assert code == 1 and "nobody@example.org has no subscription" in err


def test_send_refuses_without_base_url_and_bad_moments(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run("digest", "send", "--at", "yesterday")
    assert code == 2 and "is not a date and time" in err
    code, _, err = run("digest", "send", "--loop", "--at", AFTER_MONDAYS_LISTING)
    assert code == 2 and "--at is for one pass" in err
    monkeypatch.setenv("PAPERWIRE_BASE_URL", "")
    code, _, err = run("digest", "send")
    assert code == 1 and "PAPERWIRE_BASE_URL is empty" in err


def test_send_loop_stops_cleanly_on_sigterm(env: Path, tmp_path: Path, smtp: SmtpServer) -> None:
    db = Database.open(f"sqlite:///{env / 'paperwire.sqlite3'}")
    digest_store.activate_subscription(db, "ada@example.org", Preferences(), SUBSCRIBED)
    db.close()
    command = [sys.executable, "-m", "paperwire", "digest", "send", "--loop"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not smtp.handler.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "planned 1, sent 1" in out
    assert len(smtp.handler.to("ada@example.org")) == 1


def test_a_short_secret_key_is_a_one_line_error_not_a_traceback(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(tmp_path, "ada@example.org,daily\n")
    monkeypatch.setenv("PAPERWIRE_SECRET_KEY", "short")
    code, _, err = run("digest", "preview", "ada@example.org")
    assert code == 1
    assert err.startswith("Error: PAPERWIRE_SECRET_KEY is too short")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
