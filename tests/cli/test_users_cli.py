"""`paperwire users create`: accounts from the command line, errors as one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwire.cli.main import cli
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.users import user_by_name


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def test_create_an_administrator_with_the_password_asked_twice(env: Path) -> None:
    _run("db", "upgrade")
    secret = "a long admin password"
    code, out = _run(
        "users",
        "create",
        "root",
        "--email",
        "root@example.org",
        "--admin",
        stdin=f"{secret}\n{secret}\n",
    )
    assert code == 0 and "created administrator root <root@example.org>" in out
    assert secret not in out
    db = Database.open(Settings(data_dir=env).effective_database_url())
    try:
        root = user_by_name(db, "root")
        assert root is not None and root.is_admin
    finally:
        db.close()


def test_errors_are_one_line_without_traceback(env: Path) -> None:
    _run("db", "upgrade")
    args = ("users", "create", "alice", "--email", "alice@example.org", "--password")
    assert _run(*args, "long enough password")[0] == 0
    code, out = _run(*args, "long enough password")
    assert code == 1 and out.strip() == "Error: That username is taken; please choose another."
    code, out = _run("users", "create", "bob", "--email", "bob@example.org", "--password", "short")
    assert code == 1 and "Traceback" not in out and "10 to 256 characters" in out


def test_refuses_a_database_that_is_behind(env: Path) -> None:
    code, out = _run("users", "create", "alice", "--email", "a@example.org", "--password", "x" * 12)
    assert code == 1 and "paperwire db upgrade" in out
