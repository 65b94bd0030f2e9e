"""Sign-up services: username checks, the mail sent for new and used addresses, tokens."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from factories import PASSWORD

from paperwire.community import accounts, signups
from paperwire.community.accounts import AccountError, NewAccount
from paperwire.config import Settings
from paperwire.mail import ConsoleMailer
from paperwire.storage import Database
from paperwire.storage import users as user_store

LINKS = ("http://x", "/papers/2606.30001")


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


def test_taken_username_is_refused_and_a_used_address_is_not(db: Database) -> None:
    accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    with pytest.raises(AccountError, match="username is taken"):
        signups.check_sign_up(db, NewAccount("ALICE", "new@example.org", PASSWORD))
    signups.check_sign_up(db, NewAccount("mallory", "Alice@Example.org", PASSWORD))
    with pytest.raises(AccountError, match="e-mail address"):
        signups.check_sign_up(db, NewAccount("mallory", "not an address", PASSWORD))


def test_a_used_address_gets_a_notice_without_a_link(db: Database, tmp_path: Path) -> None:
    accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    out = io.StringIO()
    account = NewAccount("mallory", "ALICE@example.org", PASSWORD)
    signups.send_sign_up_mail(db, _settings(tmp_path), ConsoleMailer(out), account, LINKS)
    assert "http://x/login" in out.getvalue() and "http://x/reset" in out.getvalue()
    assert "/signup/confirm" not in out.getvalue() and "Hello alice" in out.getvalue()


def test_a_new_address_gets_a_link_that_creates_the_account_once(
    db: Database, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    out = io.StringIO()
    account = NewAccount("bob", "bob@example.org", PASSWORD)
    signups.send_sign_up_mail(db, settings, ConsoleMailer(out), account, LINKS)
    token = out.getvalue().split("/signup/confirm?token=", 1)[1].split()[0]
    assert PASSWORD not in out.getvalue()
    user, next_page = signups.confirm_sign_up(db, settings, token)
    assert (user.username, user.email, next_page) == ("bob", "bob@example.org", LINKS[1])
    assert accounts.log_in(db, "bob", PASSWORD) == user
    with pytest.raises(AccountError, match="already used"):
        signups.confirm_sign_up(db, settings, token)


def test_tokens_of_another_key_or_garbage_are_refused(db: Database, tmp_path: Path) -> None:
    pending = signups.PendingAccount("carol", "carol@example.org", accounts.hash_password("x"))
    ours = _settings(tmp_path, secret_key="one key that is long enough to sign")
    theirs = _settings(tmp_path, secret_key="another key that is long enough too")
    assert signups.pending_account(ours, signups.confirm_token(theirs, pending)) is None
    assert signups.pending_account(ours, signups.confirm_token(ours, pending)) == pending
    with pytest.raises(AccountError, match="expired or is not valid"):
        signups.confirm_sign_up(db, ours, "garbage")
    assert user_store.user_by_name(db, "carol") is None
