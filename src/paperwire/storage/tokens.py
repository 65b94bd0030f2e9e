"""Personal access tokens, stored as hashes: create, list, revoke, and find by hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from paperwire.storage.database import Database
from paperwire.storage.schema import access_tokens
from paperwire.storage.users import User, user_by_id

USE_NOTED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A token as its owner sees it listed (never the token itself)."""

    id: int
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None


def insert_token(
    db: Database, user_id: int, name: str, token_hash: str, scope: str, now: datetime
) -> int:
    with db.write() as connection:
        inserted = connection.execute(
            access_tokens.insert()
            .values(user_id=user_id, name=name, token_hash=token_hash, scope=scope, created_at=now)
            .returning(access_tokens.c.id)
        )
        return int(inserted.scalar_one())


def active_tokens(db: Database, user_id: int) -> list[AccessToken]:
    """The user's tokens not revoked, newest first."""
    query = (
        select(
            access_tokens.c.id,
            access_tokens.c.name,
            access_tokens.c.scope,
            access_tokens.c.created_at,
            access_tokens.c.last_used_at,
        )
        .where(access_tokens.c.user_id == user_id, access_tokens.c.revoked_at.is_(None))
        .order_by(access_tokens.c.created_at.desc(), access_tokens.c.id.desc())
    )
    with db.read() as connection:
        return [AccessToken(*row) for row in connection.execute(query)]


def count_active_tokens(db: Database, user_id: int) -> int:
    query = select(func.count()).where(
        access_tokens.c.user_id == user_id, access_tokens.c.revoked_at.is_(None)
    )
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def revoke_token(db: Database, user_id: int, token_id: int, now: datetime) -> bool:
    """Revoke one of the user's tokens; False when the user has no such active token."""
    with db.write() as connection:
        result = connection.execute(
            update(access_tokens)
            .where(
                access_tokens.c.id == token_id,
                access_tokens.c.user_id == user_id,
                access_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(access_tokens.c.id)
        )
        return result.first() is not None


def user_of_token(db: Database, token_hash: str, now: datetime) -> tuple[User, str] | None:
    """The owner and scope of an active token, or None. When it was last used is written
    at most once a minute, so that a script's calls do not each cost a write."""
    columns = access_tokens.c
    query = select(columns.id, columns.user_id, columns.scope, columns.last_used_at).where(
        columns.token_hash == token_hash, columns.revoked_at.is_(None)
    )
    with db.read() as connection:
        found = connection.execute(query).first()
    if found is None:
        return None
    if found.last_used_at is None or _utc(found.last_used_at) < now - USE_NOTED_EVERY:
        with db.write() as connection:
            connection.execute(
                update(access_tokens).where(access_tokens.c.id == found.id).values(last_used_at=now)
            )
    user = user_by_id(db, int(found.user_id))
    return (user, str(found.scope)) if user is not None else None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
