"""`paperwire code refresh` from the command line, against a local GitHub-like server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from github_server import FakeGitHub, Reply, primary_limit_spent, serving

from paperwire.cli.main import cli
from paperwire.storage import Database
from paperwire.storage.code import ensure_repository
from paperwire.storage.repositories import star_history


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub()
    fake.add("alice/model", 120, repo_id=7)
    fake.add("bob/data", 3)
    return fake


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github: FakeGitHub) -> Iterator[Path]:
    """A data dir with two repositories, GitHub at the local server; yields the data dir."""
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    db = Database.open(f"sqlite:///{data_dir / 'paperwire.sqlite3'}")
    db.upgrade()
    with db.write() as connection:
        for path in ("alice/model", "bob/data"):
            ensure_repository(connection, "github.com", path, f"https://github.com/{path}")
    db.close()
    monkeypatch.chdir(tmp_path)
    with serving(github) as url:
        for name, value in {
            "PAPERWIRE_DATA_DIR": str(data_dir),
            "PAPERWIRE_GITHUB_API_URL": url,
            "PAPERWIRE_GITHUB_REQUESTS_PER_HOUR": "100000",
            "PAPERWIRE_LOG_LEVEL": "WARNING",
        }.items():
            monkeypatch.setenv(name, value)
        yield data_dir


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["code", "refresh", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_one_pass_counts_the_due_repositories(env: Path) -> None:
    code, out, _ = run("--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["asked"], summary["updated"], summary["failed"]) == (2, 2, 0)
    db = Database.open(f"sqlite:///{env / 'paperwire.sqlite3'}")
    assert [stars for _, stars in star_history(db, 1)] == [120]
    db.close()
    code, out, err = run()
    assert code == 0 and out.startswith("asked 0:") and "0 repositories due" in err


def test_limit_asks_about_that_many(env: Path, github: FakeGitHub) -> None:
    code, out, _ = run("--limit", "1", "--quiet")
    assert code == 0 and out.startswith("asked 1: updated 1 (renamed 0)")
    assert len(github.seen) == 1


def test_a_spent_rate_limit_says_when_to_run_again(env: Path, github: FakeGitHub) -> None:
    github.then("alice/model", primary_limit_spent(int(time.time()) + 3600))
    code, out, err = run("--quiet")
    assert code == 0 and out.startswith("asked 0:")
    assert "rate limit is spent until" in err and "run again then" in err


def test_a_refused_token_is_one_line(env: Path, github: FakeGitHub) -> None:
    github.then("alice/model", Reply(401))
    result = CliRunner().invoke(cli, ["code", "refresh", "--quiet"])
    assert result.exit_code == 1 and "GitHub refused PAPERWIRE_GITHUB_TOKEN" in result.stderr


def test_loop_takes_no_limit(env: Path) -> None:
    result = CliRunner().invoke(cli, ["code", "refresh", "--loop", "--limit", "3"])
    assert result.exit_code == 2 and "--limit is for one pass" in result.stderr


def test_loop_exits_cleanly_on_sigterm(env: Path, github: FakeGitHub) -> None:
    command = [sys.executable, "-m", "paperwire", "code", "refresh", "--loop", "--json"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first = json.loads(process.stdout.readline())  # the first pass, then it waits
            assert first["updated"] == 2
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()
    assert len(github.seen) == 2
