"""Personal access tokens for the API: made on the account page, shown once, kept hashed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from paperwire.storage import Database
from paperwire.storage import tokens as token_store
from paperwire.storage.users import User
from paperwire.text import without_unsafe_controls

TOKEN_PREFIX = "pw_"  # lets secret scanners and readers recognise a paperwire token
MAX_TOKENS_PER_USER = 20
MAX_TOKEN_NAME_CHARS = 64
Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")


class TokenError(ValueError):
    """A token cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    token: str  # shown to its owner once, never stored


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token is 256 random bits, so a fast hash
    is enough; unlike a password it cannot be guessed from a dictionary)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, user: User, name: str, scope: str, *, now: datetime) -> NewToken:
    """A new token for user; TokenError for an empty or long name, an unknown scope, or
    too many active tokens."""
    cleaned = " ".join(without_unsafe_controls(name).split())
    if not cleaned or len(cleaned) > MAX_TOKEN_NAME_CHARS:
        raise TokenError(f"Name the token (at most {MAX_TOKEN_NAME_CHARS} characters).")
    if scope not in SCOPES:
        raise TokenError("A token reads (read) or reads and changes your library (write).")
    if token_store.count_active_tokens(db, user.id) >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You have {MAX_TOKENS_PER_USER} tokens: revoke one first.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = token_store.insert_token(db, user.id, cleaned, token_hash(token), scope, now)
    return NewToken(token_id, token)


def user_for_token(db: Database, token: str, *, now: datetime) -> tuple[User, str] | None:
    """The owner and scope of a presented token, or None (unknown, revoked, malformed)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    return token_store.user_of_token(db, token_hash(token), now)
