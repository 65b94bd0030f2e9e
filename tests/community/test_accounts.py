"""Account services: validation, argon2 hashes, log-in, password change and reset tokens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from factories import PASSWORD

from paperwire.community import accounts
from paperwire.community.accounts import AccountError, NewAccount
from paperwire.config import Settings
from paperwire.mail import ConsoleMailer
from paperwire.storage import Database
from paperwire.storage.users import password_hash_of


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


def test_passwords_are_stored_as_argon2id_hashes(db: Database) -> None:
    alice = accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    stored = password_hash_of(db, alice.id)
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.log_in(db, "alice", PASSWORD) == alice
    assert accounts.log_in(db, "Alice@Example.org", PASSWORD) == alice
    assert accounts.log_in(db, "alice", PASSWORD + "!") is None
    assert accounts.log_in(db, "nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "email", "password", "problem"),
    [
        ("a", "a@example.org", PASSWORD, "username"),
        ("al ice", "a@example.org", PASSWORD, "username"),
        ("<b>x</b>", "a@example.org", PASSWORD, "username"),
        ("alice", "not-an-address", PASSWORD, "e-mail"),
        ("alice", "x,victim@example.org", PASSWORD, "e-mail"),
        ("alice", "x@example.org;victim@example.org", PASSWORD, "e-mail"),
        ("alice", "alice@example.org", "short", "password"),
        ("alice", "alice@example.org", "x" * 257, "password"),
    ],
)
def test_unacceptable_accounts_are_refused_with_the_reason(
    username: str, email: str, password: str, problem: str
) -> None:
    with pytest.raises(AccountError, match=problem):
        accounts.check_new_account(NewAccount(username, email, password))


def test_names_and_addresses_are_unique_regardless_of_case(db: Database) -> None:
    accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    with pytest.raises(AccountError, match="username is taken"):
        accounts.sign_up(db, NewAccount("ALICE", "other@example.org", PASSWORD))
    with pytest.raises(AccountError, match="cannot be used"):
        accounts.sign_up(db, NewAccount("mallory", "Alice@Example.org", PASSWORD))


def test_password_change_moves_the_session_epoch(db: Database) -> None:
    alice = accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    with pytest.raises(AccountError, match="current password"):
        accounts.change_password(db, alice, "wrong password", "new password 1")
    changed = accounts.change_password(db, alice, PASSWORD, "new password 1")
    assert changed.session_epoch == alice.session_epoch + 1
    assert accounts.log_in(db, "alice", "new password 1") == changed


def test_reset_link_is_mailed_only_to_accounts_and_works_once(db: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    alice = accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    out = io.StringIO()
    accounts.send_reset_link(db, settings, ConsoleMailer(out), "nobody@example.org", "http://x")
    assert out.getvalue() == ""
    accounts.send_reset_link(db, settings, ConsoleMailer(out), "ALICE@example.org", "http://x")
    token = accounts.reset_token(settings, alice)
    assert f"http://x/reset/{token}" in out.getvalue()
    accounts.reset_password(db, settings, token, "chosen after reset")
    with pytest.raises(AccountError, match="expired or was already used"):
        accounts.reset_password(db, settings, token, "and once more please")


def test_reset_token_of_another_key_is_refused(db: Database, tmp_path: Path) -> None:
    alice = accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    ours = _settings(tmp_path, secret_key="one key")
    theirs = _settings(tmp_path, secret_key="another key")
    assert accounts.user_for_reset(db, ours, accounts.reset_token(theirs, alice)) is None
    assert accounts.user_for_reset(db, ours, "garbage") is None
    assert accounts.user_for_reset(db, ours, accounts.reset_token(ours, alice)) == alice
