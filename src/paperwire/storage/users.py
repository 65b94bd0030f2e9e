"""Account rows: create, look up by id, name or e-mail, change a password; their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from paperwire.storage.database import Database
from paperwire.storage.schema import sessions, users

_USER_COLUMNS = [
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.is_admin,
    users.c.session_epoch,
    users.c.created_at,
]


class DuplicateUser(ValueError):
    """The username or the e-mail address is taken (field says which)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is taken")
        self.field = field


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str
    is_admin: bool
    session_epoch: int  # grows on each password change; older reset links stop working
    created_at: datetime


def name_key(text: str) -> str:
    """How usernames and e-mail addresses are compared: without regard to case."""
    return text.strip().casefold()


def insert_user(
    db: Database, *, username: str, email: str, password_hash: str, is_admin: bool = False
) -> User:
    """Store a new account; DuplicateUser when its name or address is already used."""
    values = {
        "username": username,
        "username_key": name_key(username),
        "email": email,
        "email_key": name_key(email),
        "password_hash": password_hash,
        "is_admin": is_admin,
        "created_at": datetime.now(UTC),
    }
    try:
        with db.write() as connection:
            _refuse_taken(connection, values)
            new_id = connection.execute(users.insert().values(values)).inserted_primary_key
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise DuplicateUser("username or e-mail address") from None
    assert new_id is not None
    found = user_by_id(db, int(new_id[0]))
    assert found is not None
    return found


def _refuse_taken(connection: Connection, values: dict[str, Any]) -> None:
    for field, column in (("username", users.c.username_key), ("e-mail", users.c.email_key)):
        key = values[column.name]
        if connection.scalar(select(func.count()).where(column == key)):
            raise DuplicateUser(field)


def user_by_id(db: Database, user_id: int) -> User | None:
    return _one(db, users.c.id == user_id)


def user_by_name(db: Database, username: str) -> User | None:
    return _one(db, users.c.username_key == name_key(username))


def user_by_email(db: Database, email: str) -> User | None:
    return _one(db, users.c.email_key == name_key(email))


def password_hash_for_login(db: Database, login: str) -> tuple[User, str] | None:
    """The account a username or e-mail address names, with its password hash."""
    key = name_key(login)
    query = select(*_USER_COLUMNS, users.c.password_hash).where(
        (users.c.username_key == key) | (users.c.email_key == key)
    )
    with db.read() as connection:
        row = connection.execute(query).first()
    return None if row is None else (_user(row), str(row.password_hash))


def password_hash_of(db: Database, user_id: int) -> str | None:
    with db.read() as connection:
        found = connection.scalar(select(users.c.password_hash).where(users.c.id == user_id))
    return None if found is None else str(found)


def set_password_hash(
    db: Database, user_id: int, password_hash: str, *, epoch: int | None = None
) -> User | None:
    """Store a new hash, end every session and reset link issued before; None when the
    account is gone or, with epoch, when its password changed since that epoch was read.

    The epoch condition and the new hash are one UPDATE, so that of several requests
    carrying the same reset link exactly one changes the password.
    """
    condition = users.c.id == user_id
    if epoch is not None:
        condition &= users.c.session_epoch == epoch
    statement = (
        update(users)
        .where(condition)
        .values(password_hash=password_hash, session_epoch=users.c.session_epoch + 1)
    )
    with db.write() as connection:
        if connection.execute(statement).rowcount != 1:
            return None
        connection.execute(delete(sessions).where(sessions.c.user_id == user_id))
    return user_by_id(db, user_id)


def insert_session(db: Database, id_hash: str, user_id: int, expires_at: datetime) -> None:
    """Store a new session, and drop every expired one on the way (an indexed range)."""
    now = datetime.now(UTC)
    with db.write() as connection:
        connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
        connection.execute(
            sessions.insert().values(
                id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires_at
            )
        )


def user_of_session(db: Database, id_hash: str) -> User | None:
    """The account a live session belongs to: one indexed lookup, made on each request
    of a logged-in reader (anonymous readers make none)."""
    query = (
        select(*_USER_COLUMNS)
        .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
        .where(sessions.c.id_hash == id_hash, sessions.c.expires_at > datetime.now(UTC))
    )
    with db.read() as connection:
        row = connection.execute(query).first()
    return None if row is None else _user(row)


def delete_session(db: Database, id_hash: str) -> None:
    with db.write() as connection:
        connection.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


def delete_sessions_of(db: Database, user_id: int) -> int:
    """End every session of an account; how many there were."""
    with db.write() as connection:
        result = connection.execute(delete(sessions).where(sessions.c.user_id == user_id))
    return int(result.rowcount)


def count_sessions(db: Database, user_id: int) -> int:
    query = select(func.count()).select_from(sessions).where(sessions.c.user_id == user_id)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def count_users(db: Database) -> int:
    with db.read() as connection:
        return int(connection.scalar(select(func.count()).select_from(users)) or 0)


def _one(db: Database, condition: Any) -> User | None:
    with db.read() as connection:
        row = connection.execute(select(*_USER_COLUMNS).where(condition)).first()
    return None if row is None else _user(row)


def _user(row: Any) -> User:
    created = row.created_at
    return User(
        id=int(row.id),
        username=row.username,
        email=row.email,
        is_admin=bool(row.is_admin),
        session_epoch=int(row.session_epoch),
        created_at=created.replace(tzinfo=UTC) if created.tzinfo is None else created,
    )
