"""Session and CSRF tokens: signed, bound to one session, void after a password change."""

from __future__ import annotations

from pathlib import Path

from factories import add_user

from paperwire.community import sessions
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.users import set_password_hash


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test key", _env_file=None)  # type: ignore[call-arg, arg-type]


def test_session_round_trips_and_forgeries_are_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    session = sessions.Session("nonce", 7, 2)
    token = sessions.encode_session(settings, session)
    assert sessions.decode_session(settings, token) == session
    forged = sessions.encode_session(settings, sessions.Session("nonce", 8, 2))
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


def test_session_ends_when_the_password_changes(db: Database) -> None:
    alice = add_user(db, "alice")
    session = sessions.new_session(alice)
    assert sessions.session_user(db, session) == alice
    set_password_hash(db, alice.id, "$argon2id$new")
    assert sessions.session_user(db, session) is None
    assert sessions.session_user(db, sessions.new_session()) is None
