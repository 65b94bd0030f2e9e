"""Account services: validation, argon2 hashes, log-in, password change and reset tokens."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from factories import PASSWORD

from paperwire.community import accounts
from paperwire.community.accounts import AccountError, NewAccount, PasswordHashing, TryLater
from paperwire.community.ratelimits import ActionLimits
from paperwire.config import Settings
from paperwire.mail import ConsoleMailer
from paperwire.storage import Database
from paperwire.storage.users import password_hash_of, set_password_hash


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
    ours = _settings(tmp_path, secret_key="one key that is long enough to sign")
    theirs = _settings(tmp_path, secret_key="another key that is long enough too")
    assert accounts.user_for_reset(db, ours, accounts.reset_token(theirs, alice)) is None
    assert accounts.user_for_reset(db, ours, "garbage") is None
    assert accounts.user_for_reset(db, ours, accounts.reset_token(ours, alice)) == alice


def test_a_reset_link_changes_nothing_once_the_password_moved_on(
    db: Database, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    alice = accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    token = accounts.reset_token(settings, alice)
    # Another request with the same link got there first, between our check and our write.
    assert set_password_hash(db, alice.id, "$argon2id$first", epoch=alice.session_epoch)
    assert set_password_hash(db, alice.id, "$argon2id$second", epoch=alice.session_epoch) is None
    assert password_hash_of(db, alice.id) == "$argon2id$first"
    with pytest.raises(AccountError, match="already used"):
        accounts.reset_password(db, settings, token, "too late for this one")


def test_typed_names_lose_control_and_bidirectional_override_characters() -> None:
    account = accounts.new_account(" ali\u202ece\x07 ", "alice\u2066@exa\x00mple.org\r", "p\x07w")
    assert account == NewAccount("alice", "alice@example.org", "p\x07w")  # password as typed


def test_failed_log_ins_are_limited_per_name_typed(db: Database, tmp_path: Path) -> None:
    accounts.sign_up(db, NewAccount("alice", "alice@example.org", PASSWORD))
    limits = ActionLimits(_settings(tmp_path, login_limit_per_minute=2))
    for guess in ("guess one", "guess two"):
        assert accounts.log_in(db, "alice", guess, limits) is None
    with pytest.raises(TryLater) as refused:
        accounts.log_in(db, "ALICE", PASSWORD, limits)  # the right password, too late
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    # The address is another name: limiting it too would tell whose address it is.
    assert accounts.log_in(db, "alice@example.org", PASSWORD, limits) is not None
    for guess in ("guess one", "guess two"):
        assert accounts.log_in(db, "nobody", guess, limits) is None
    with pytest.raises(TryLater):
        accounts.log_in(db, "nobody", "guess three", limits)


def test_hashing_waits_for_a_free_slot_then_gives_up() -> None:
    hashing = PasswordHashing(slots=1, wait_seconds=0.05)
    with hashing.slot(), pytest.raises(TryLater) as busy, hashing.slot():
        pass
    assert busy.value.status == 503 and busy.value.retry_after >= 1
    with hashing.slot():  # free again
        pass


def test_one_attempt_per_account_at_a_time() -> None:
    hashing = PasswordHashing(slots=4, wait_seconds=0.05)
    with hashing.account("login:alice"):
        with hashing.account("login:bob"):
            pass
        with pytest.raises(TryLater) as busy, hashing.account("login:alice"):
            pass
    assert busy.value.status == 429
    with hashing.account("login:alice"):
        pass


def test_an_attempt_waiting_for_its_account_goes_on_when_it_is_free() -> None:
    hashing = PasswordHashing(slots=1, wait_seconds=30)
    entered = threading.Event()
    order: list[str] = []

    def second() -> None:
        entered.wait()
        with hashing.account("login:alice"):
            order.append("second")

    waiter = threading.Thread(target=second)
    waiter.start()
    with hashing.account("login:alice"):
        entered.set()
        order.append("first")
    waiter.join()
    assert order == ["first", "second"]
