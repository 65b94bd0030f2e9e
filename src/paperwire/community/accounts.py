"""Accounts: sign up, log in, change or reset a password; argon2 hashes within a per-process
budget, failed log-ins limited per name, no enumeration."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature

from paperwire.community.ratelimits import ActionLimits
from paperwire.config import Settings
from paperwire.mail import Mailer, new_message
from paperwire.signing import signer
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.users import DuplicateUser, User, name_key
from paperwire.text import without_unsafe_controls

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
# No comma or semicolon: "x,victim@example.org" would become a To header of two recipients.
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")
EMAIL_MAX_CHARS = 254
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
_RESET_PURPOSE = "password-reset"
_USED_LINK = "This reset link has expired or was already used; ask for a new one."
_HASHER = PasswordHasher()
# Each argon2 computation holds memory_cost KiB (64 MiB) while it runs: without a bound, 40
# concurrent wrong passwords took a worker from 178 MB to 2.25 GB. The budget is per process.
HASH_MEMORY_BUDGET_MIB = 256
HASHES_AT_ONCE = max(1, HASH_MEMORY_BUDGET_MIB * 1024 // _HASHER.memory_cost)
HASH_WAIT_SECONDS = 2.0


@cache
def _dummy_hash() -> str:
    """Verified when the login names nobody, so that an unknown name costs as long as a bad
    password. Made once per process, at first use or by prepare_login_timing."""
    return _HASHER.hash("paperwire: no such account")


@cache
def prepare_login_timing() -> None:
    """Make the timing hash in a thread now, beside the web app's start rather than in
    it (each worker starts 0.1 s sooner) and before the first login, which would
    otherwise take twice as long. Command-line processes never need it."""
    threading.Thread(target=_dummy_hash, name="dummy-hash", daemon=True).start()


class AccountError(ValueError):
    """A request the user can fix; the message says how, and never whether an account exists."""


class TryLater(Exception):
    """Refused for now, not for good: too many attempts (429) or too busy hashing (503)."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PasswordHashing:
    """At most `slots` argon2 computations at once in this process, and one attempt per
    account at a time; waiters give up after wait_seconds, so nothing queues unboundedly."""

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(slots)
        self._changed = threading.Condition()
        self._accounts: set[str] = set()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Room for one hash; TryLater(503) when none frees up in time."""
        if not self._free.acquire(timeout=self.wait_seconds):
            raise TryLater(
                503,
                "The server is busy checking passwords; please try again in a moment.",
                math.ceil(self.wait_seconds),
            )
        try:
            yield
        finally:
            self._free.release()

    @contextmanager
    def account(self, key: str) -> Iterator[None]:
        """The only attempt on this account in this process; TryLater(429) after waiting."""
        with self._changed:
            if not self._changed.wait_for(lambda: key not in self._accounts, self.wait_seconds):
                raise TryLater(
                    429,
                    "Too many attempts on this account at once; please try again in a moment.",
                    math.ceil(self.wait_seconds),
                )
            self._accounts.add(key)
        try:
            yield
        finally:
            with self._changed:
                self._accounts.discard(key)
                self._changed.notify_all()


PASSWORD_HASHING = PasswordHashing(HASHES_AT_ONCE, HASH_WAIT_SECONDS)


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    email: str
    password: str


def new_account(username: str, email: str, password: str) -> NewAccount:
    """The account a form or command asks for, its typed names without control or
    bidirectional-override characters (the password is kept exactly as typed)."""
    return NewAccount(_typed(username), _typed(email), password)


def hash_password(password: str) -> str:
    """The argon2id hash of password, within the process's hashing budget (or TryLater)."""
    with PASSWORD_HASHING.slot():
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


def log_in(
    db: Database, login: str, password: str, limits: ActionLimits | None = None
) -> User | None:
    """The account when login (username or e-mail) and password match, else None.

    Unknown names cost one hash verification too, so timing does not tell them apart.
    With limits, failed log-ins are counted per name typed, from whatever address, and a
    name over its limit gets TryLater(429) without hashing. Names, not account ids, are
    the key (an account has two: its username and its address) so that the limit cannot
    tell anyone which address belongs to which username.
    """
    typed = _typed(login)[:EMAIL_MAX_CHARS]
    key = f"login:{name_key(typed)}"
    found = user_store.password_hash_for_login(db, typed)
    if found is None:
        _check_password(key, _dummy_hash(), password, limits)
        return None
    user, stored_hash = found
    return user if _check_password(key, stored_hash, password, limits) else None


def change_password(
    db: Database, user: User, current: str, new: str, limits: ActionLimits | None = None
) -> User:
    """Set a new password after checking the current one; ends every session of the user."""
    stored = user_store.password_hash_of(db, user.id)
    if stored is None or not _check_password(f"user:{user.id}", stored, current, limits):
        raise AccountError("The current password is not right.")
    check_password(new)
    updated = user_store.set_password_hash(db, user.id, hash_password(new))
    if updated is None:
        raise AccountError("This account no longer exists.")
    return updated


def reset_token(settings: Settings, user: User) -> str:
    """A signed link token for one account, void once its password changes."""
    return str(signer(settings, _RESET_PURPOSE).dumps({"u": user.id, "e": user.session_epoch}))


def send_reset_link(
    db: Database, settings: Settings, mailer: Mailer, email: str, base_url: str
) -> None:
    """Mail a reset link when the address belongs to an account; silently nothing otherwise."""
    user = user_store.user_by_email(db, _typed(email)[:EMAIL_MAX_CHARS])
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
    """Set a new password through a reset link; the link works once, even when several
    requests carry it at the same moment (the store changes the password only while the
    account's epoch is still the link's); every session of the account ends."""
    user = user_for_reset(db, settings, token)
    if user is None:
        raise AccountError(_USED_LINK)
    check_password(new)
    with PASSWORD_HASHING.account(f"user:{user.id}"):
        new_hash = hash_password(new)
        updated = user_store.set_password_hash(db, user.id, new_hash, epoch=user.session_epoch)
    if updated is None:
        raise AccountError(_USED_LINK)
    return updated


def _check_password(
    account: str, stored_hash: str, password: str, limits: ActionLimits | None
) -> bool:
    """Verify one attempt on an account: alone on it in this process, so that counting a
    failure and refusing the next over the limit cannot race."""
    with PASSWORD_HASHING.account(account):
        waiting = limits.retry_after("failed-login", account) if limits else None
        if waiting is not None:
            raise TryLater(
                429,
                f"Too many failed log-ins to this account; please wait {waiting} seconds.",
                waiting,
            )
        matches = _verify(stored_hash, password)
        if not matches and limits is not None:
            limits.hit("failed-login", account)
    return matches


def _verify(stored_hash: str, password: str) -> bool:
    with PASSWORD_HASHING.slot():
        try:
            return _HASHER.verify(stored_hash, password[:PASSWORD_MAX_CHARS])
        except (VerificationError, InvalidHashError):
            return False


def _typed(text: str) -> str:
    return without_unsafe_controls(text).strip()
