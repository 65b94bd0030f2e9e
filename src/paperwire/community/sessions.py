"""Sessions and CSRF tokens: a signed cookie naming a stored session, which log-out ends."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature

from paperwire.config import Settings
from paperwire.signing import signer
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.users import User

_SESSION_PURPOSE = "session"
_CSRF_PURPOSE = "csrf"
_NONCE_BYTES = 16
_SESSION_ID_BYTES = 32


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie carries: a random nonce (which CSRF tokens are bound to) and,
    once logged in, the random id of a stored session (the store keeps only its hash)."""

    nonce: str
    session_id: str | None = None


def new_session() -> Session:
    """An anonymous session: a fresh nonce, nothing stored, nothing read per request."""
    return Session(secrets.token_urlsafe(_NONCE_BYTES))


def log_in_session(db: Database, settings: Settings, user: User) -> Session:
    """A stored session of user, lasting PAPERWIRE_SESSION_DAYS, with a fresh nonce."""
    session_id = secrets.token_urlsafe(_SESSION_ID_BYTES)
    expires_at = datetime.now(UTC) + timedelta(days=settings.session_days)
    user_store.insert_session(db, _id_hash(session_id), user.id, expires_at)
    return Session(secrets.token_urlsafe(_NONCE_BYTES), session_id)


def end_session(db: Database, session: Session) -> None:
    """Log out: the stored session is gone, so a copy of the cookie logs nobody in."""
    if session.session_id is not None:
        user_store.delete_session(db, _id_hash(session.session_id))


def end_all_sessions(db: Database, user_id: int) -> int:
    """Log an account out everywhere; how many sessions ended."""
    return user_store.delete_sessions_of(db, user_id)


def encode_session(settings: Settings, session: Session) -> str:
    payload = {"n": session.nonce, "s": session.session_id}
    return str(signer(settings, _SESSION_PURPOSE).dumps(payload))


def decode_session(settings: Settings, token: str) -> Session | None:
    """The session of a cookie value; None when forged, expired or malformed."""
    try:
        data = signer(settings, _SESSION_PURPOSE).loads(
            token, max_age=settings.session_days * 86_400
        )
        session_id = data.get("s")
        return Session(str(data["n"]), session_id if isinstance(session_id, str) else None)
    except (BadSignature, AttributeError, KeyError, TypeError, ValueError):
        return None


def session_user(db: Database, session: Session) -> User | None:
    """The logged-in user, while the stored session lives (not logged out, not expired,
    no password change since)."""
    if session.session_id is None:
        return None
    return user_store.user_of_session(db, _id_hash(session.session_id))


def csrf_token(settings: Settings, session: Session) -> str:
    """A token for forms and fetch requests, valid only with this session's cookie."""
    return str(signer(settings, _CSRF_PURPOSE).dumps(session.nonce))


def csrf_matches(settings: Settings, session: Session, token: str) -> bool:
    try:
        nonce = signer(settings, _CSRF_PURPOSE).loads(token, max_age=settings.session_days * 86_400)
    except BadSignature:
        return False
    return isinstance(nonce, str) and hmac.compare_digest(nonce, session.nonce)


def _id_hash(session_id: str) -> str:
    # The id has 256 random bits: a plain SHA-256 cannot be reversed or guessed, so no
    # slow hash is needed and the per-request lookup stays one indexed read.
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()
