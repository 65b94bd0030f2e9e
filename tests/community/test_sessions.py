"""Sessions and CSRF tokens: signed, stored by hash, ended by log-out, expiry or a new password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import add_user
from sqlalchemy import select

from paperwire.community import sessions
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.schema import sessions as session_table
from paperwire.storage.users import set_password_hash

TEST_KEY = "a test key that is long enough to sign"


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=TEST_KEY, _env_file=None)  # type: ignore[call-arg, arg-type]


def test_session_round_trips_and_forgeries_are_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    session = sessions.Session("nonce", "session id")
    token = sessions.encode_session(settings, session)
    assert sessions.decode_session(settings, token) == session
    forged = sessions.encode_session(settings, sessions.Session("nonce", "another id"))
    assert (
        sessions.decode_session(settings, token.rsplit(".", 1)[0] + "." + forged.rsplit(".", 1)[1])
        is None
    )
    assert sessions.decode_session(settings, "not a token") is None


def test_csrf_token_is_valid_only_with_its_session(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    alice, mallory = sessions.new_session(), sessions.new_session()
    token = sessions.csrf_token(settings, alice)
    assert sessions.csrf_matches(settings, alice, token)
    assert not sessions.csrf_matches(settings, mallory, token)
    assert not sessions.csrf_matches(settings, alice, "")


def test_the_store_keeps_a_hash_of_the_session_id_never_the_id(
    db: Database, tmp_path: Path
) -> None:
    alice = add_user(db, "alice")
    session = sessions.log_in_session(db, _settings(tmp_path), alice)
    assert session.session_id is not None and sessions.session_user(db, session) == alice
    with db.engine.connect() as connection:
        (stored,) = connection.scalars(select(session_table.c.id_hash)).all()
    assert session.session_id not in stored and len(stored) == 64


def test_logging_out_ends_that_session_only(db: Database, tmp_path: Path) -> None:
    alice = add_user(db, "alice")
    laptop = sessions.log_in_session(db, _settings(tmp_path), alice)
    phone = sessions.log_in_session(db, _settings(tmp_path), alice)
    sessions.end_session(db, laptop)
    assert sessions.session_user(db, laptop) is None
    assert sessions.session_user(db, phone) == alice


def test_ending_all_sessions_ends_every_one_of_that_account(db: Database, tmp_path: Path) -> None:
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    settings = _settings(tmp_path)
    alices = [sessions.log_in_session(db, settings, alice) for _ in range(3)]
    bobs = sessions.log_in_session(db, settings, bob)
    assert sessions.end_all_sessions(db, alice.id) == 3
    assert [sessions.session_user(db, s) for s in alices] == [None, None, None]
    assert sessions.session_user(db, bobs) == bob


def test_session_ends_when_the_password_changes(db: Database, tmp_path: Path) -> None:
    alice = add_user(db, "alice")
    session = sessions.log_in_session(db, _settings(tmp_path), alice)
    assert sessions.session_user(db, session) == alice
    set_password_hash(db, alice.id, "$argon2id$new")
    assert sessions.session_user(db, session) is None
    assert sessions.session_user(db, sessions.new_session()) is None


def test_expired_sessions_are_refused_and_removed_at_the_next_log_in(
    db: Database, tmp_path: Path
) -> None:
    alice = add_user(db, "alice")
    past = datetime.now(UTC) - timedelta(minutes=1)
    user_store.insert_session(db, "0" * 64, alice.id, past)
    assert user_store.user_of_session(db, "0" * 64) is None
    assert user_store.count_sessions(db, alice.id) == 1
    sessions.log_in_session(db, _settings(tmp_path), alice)
    assert user_store.count_sessions(db, alice.id) == 1  # the new one only
