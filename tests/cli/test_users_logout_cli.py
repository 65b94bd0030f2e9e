"""`paperwire users logout-everywhere`: an operator ends every session of one account."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import add_user

from paperwire.cli.main import cli
from paperwire.community import sessions
from paperwire.config import Settings
from paperwire.storage import Database


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_logout_everywhere_ends_that_accounts_sessions_only(settings: Settings) -> None:
    _run("db", "upgrade")
    db = Database.open(settings.effective_database_url())
    try:
        alice, bob = add_user(db, "alice"), add_user(db, "bob")
        laptop, phone = (sessions.log_in_session(db, settings, alice) for _ in range(2))
        bobs = sessions.log_in_session(db, settings, bob)
        code, out = _run("users", "logout-everywhere", "Alice")
        assert code == 0 and out.strip() == "ended 2 sessions of alice"
        assert sessions.session_user(db, laptop) is None
        assert sessions.session_user(db, phone) is None
        assert sessions.session_user(db, bobs) == bob
    finally:
        db.close()


def test_an_unknown_user_is_one_line(settings: Settings) -> None:
    _run("db", "upgrade")
    code, out = _run("users", "logout-everywhere", "nobody")
    assert code == 1 and out.strip() == "Error: No user is called 'nobody'."
