"""Session and CSRF tokens: signed, expiring, and void after a password change."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature

from paperwire.config import Settings
from paperwire.signing import signer
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.users import User

_SESSION_PURPOSE = "session"
_CSRF_PURPOSE = "csrf"
_NONCE_BYTES = 16


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie carries: a random nonce (which CSRF tokens are bound to) and,
    once logged in, the user and the password epoch it was issued for."""

    nonce: str
    user_id: int | None = None
    epoch: int = 0


def new_session(user: User | None = None) -> Session:
    """A fresh nonce: issued on every log-in and log-out, so no token outlives either."""
    nonce = secrets.token_urlsafe(_NONCE_BYTES)
    if user is None:
        return Session(nonce)
    return Session(nonce, user.id, user.session_epoch)


def encode_session(settings: Settings, session: Session) -> str:
    payload = {"n": session.nonce, "u": session.user_id, "e": session.epoch}
    return str(signer(settings, _SESSION_PURPOSE).dumps(payload))


def decode_session(settings: Settings, token: str) -> Session | None:
    """The session of a cookie value; None when forged, expired or malformed."""
    try:
        data = signer(settings, _SESSION_PURPOSE).loads(
            token, max_age=settings.session_days * 86_400
        )
        user_id = data["u"]
        return Session(
            str(data["n"]), int(user_id) if user_id is not None else None, int(data["e"])
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def session_user(db: Database, session: Session) -> User | None:
    """The logged-in user, unless the password changed since the session was issued."""
    if session.user_id is None:
        return None
    user = user_store.user_by_id(db, session.user_id)
    if user is None or user.session_epoch != session.epoch:
        return None
    return user


def csrf_token(settings: Settings, session: Session) -> str:
    """A token for forms and fetch requests, valid only with this session's cookie."""
    return str(signer(settings, _CSRF_PURPOSE).dumps(session.nonce))


def csrf_matches(settings: Settings, session: Session, token: str) -> bool:
    try:
        nonce = signer(settings, _CSRF_PURPOSE).loads(token, max_age=settings.session_days * 86_400)
    except BadSignature:
        return False
    return isinstance(nonce, str) and hmac.compare_digest(nonce, session.nonce)
