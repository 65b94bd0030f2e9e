"""Accounts: sign up, log in, change or reset a password; argon2 hashes, no enumeration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature

from paperwire.config import Settings
from paperwire.mail import Mailer, new_message
from paperwire.signing import signer
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.users import DuplicateUser, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
# No comma or semicolon: "x,victim@example.org" would become a To header of two recipients.
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")
EMAIL_MAX_CHARS = 254
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
_RESET_PURPOSE = "password-reset"
_HASHER = PasswordHasher()
# Verified when the login names nobody, so that an unknown name costs as long as a bad password.
_DUMMY_HASH = _HASHER.hash("paperwire: no such account")


class AccountError(ValueError):
    """A request the user can fix; the message says how, and never whether an account exists."""


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    email: str
    password: str


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_new_account(account: NewAccount) -> None:
    """Raise AccountError naming the first field that is not acceptable."""
    if not USERNAME_RE.match(account.username):
        raise AccountError(
            "A username has 2 to 32 letters, digits, '-' or '_', starting with a letter or digit."
        )
    if len(account.email) > EMAIL_MAX_CHARS or not EMAIL_RE.match(account.email):
        raise AccountError("That does not look like an e-mail address.")
    check_password(account.password)


def check_password(password: str) -> None:
    if not PASSWORD_MIN_CHARS <= len(password) <= PASSWORD_MAX_CHARS:
        raise AccountError(
            f"A password has {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters."
        )


def sign_up(db: Database, account: NewAccount, *, is_admin: bool = False) -> User:
    """Create an account at once (the operator's `users create`; the web goes through
    signups, which proves the address first); AccountError when a field is unacceptable
    or already taken."""
    check_new_account(account)
    try:
        return user_store.insert_user(
            db,
            username=account.username,
            email=account.email.strip(),
            password_hash=hash_password(account.password),
            is_admin=is_admin,
        )
    except DuplicateUser as error:
        if error.field == "username":
            raise AccountError("That username is taken; please choose another.") from None
        raise AccountError(
            "That e-mail address cannot be used for a new account. If it is yours, log in "
            "or reset your password."
        ) from None


def log_in(db: Database, login: str, password: str) -> User | None:
    """The account when login (username or e-mail) and password match, else None.

    Unknown names cost one hash verification too, so timing does not tell them apart.
    """
    found = user_store.password_hash_for_login(db, login[:EMAIL_MAX_CHARS])
    if found is None:
        _verify(_DUMMY_HASH, password)
        return None
    user, stored_hash = found
    return user if _verify(stored_hash, password) else None


def change_password(db: Database, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; ends the user's other sessions."""
    stored = user_store.password_hash_of(db, user.id)
    if stored is None or not _verify(stored, current):
        raise AccountError("The current password is not right.")
    check_password(new)
    return _store_password(db, user.id, new)


def reset_token(settings: Settings, user: User) -> str:
    """A signed link token for one account, void once its password changes."""
    return str(signer(settings, _RESET_PURPOSE).dumps({"u": user.id, "e": user.session_epoch}))


def send_reset_link(
    db: Database, settings: Settings, mailer: Mailer, email: str, base_url: str
) -> None:
    """Mail a reset link when the address belongs to an account; silently nothing otherwise."""
    user = user_store.user_by_email(db, email[:EMAIL_MAX_CHARS])
    if user is None:
        return
    link = f"{base_url}/reset/{reset_token(settings, user)}"
    message = new_message(settings, to=user.email, subject="Reset your paperwire password")
    message.set_content(
        f"Hello {user.username},\n\nsomeone (hopefully you) asked to reset the password of "
        f"your paperwire account. Choose a new one here within "
        f"{settings.password_reset_minutes} minutes:\n\n{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )
    mailer.send(message)


def user_for_reset(db: Database, settings: Settings, token: str) -> User | None:
    """The account a reset token is for, while it is fresh and its password unchanged."""
    try:
        data = signer(settings, _RESET_PURPOSE).loads(
            token, max_age=settings.password_reset_minutes * 60
        )
        user = user_store.user_by_id(db, int(data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or user.session_epoch != data["e"]:
        return None
    return user


def reset_password(db: Database, settings: Settings, token: str, new: str) -> User:
    """Set a new password through a reset link; the link cannot be used again."""
    user = user_for_reset(db, settings, token)
    if user is None:
        raise AccountError("This reset link has expired or was already used; ask for a new one.")
    check_password(new)
    return _store_password(db, user.id, new)


def _store_password(db: Database, user_id: int, password: str) -> User:
    updated = user_store.set_password_hash(db, user_id, hash_password(password))
    if updated is None:
        raise AccountError("This account no longer exists.")
    return updated


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password[:PASSWORD_MAX_CHARS])
    except (VerificationError, InvalidHashError):
        return False
