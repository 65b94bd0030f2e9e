"""Sign-up by e-mail: a signed link carries the pending account until the mailbox confirms it.

The answer to a sign-up never says whether the address has an account: a new address gets
a confirmation link, an address in use gets a notice to its owner, both after the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote

from itsdangerous import BadSignature

from paperwire.community.accounts import AccountError, NewAccount, check_new_account, hash_password
from paperwire.config import Settings
from paperwire.mail import Mailer, new_message
from paperwire.signing import signer
from paperwire.storage import Database
from paperwire.storage import users as user_store
from paperwire.storage.users import DuplicateUser, User

_PURPOSE = "signup-confirm"
EXPIRED = "This sign-up link has expired or is not valid; please sign up again."


@dataclass(frozen=True, slots=True)
class PendingAccount:
    """An account waiting for its e-mail address to be confirmed: never a plain password."""

    username: str
    email: str
    password_hash: str
    next: str = ""


def check_sign_up(db: Database, account: NewAccount) -> None:
    """Raise AccountError for a malformed field or a taken username (usernames are public)."""
    check_new_account(account)
    if user_store.user_by_name(db, account.username) is not None:
        raise AccountError("That username is taken; please choose another.")


def confirm_token(settings: Settings, pending: PendingAccount) -> str:
    """A signed (not encrypted) token: it holds the argon2 hash, never the password."""
    data = {
        "u": pending.username,
        "e": pending.email,
        "h": pending.password_hash,
        "n": pending.next,
    }
    return str(signer(settings, _PURPOSE).dumps(data))


def pending_account(settings: Settings, token: str) -> PendingAccount | None:
    """The account a confirmation token carries, while it is fresh and genuine."""
    try:
        data = signer(settings, _PURPOSE).loads(token, max_age=settings.signup_confirm_hours * 3600)
        return PendingAccount(str(data["u"]), str(data["e"]), str(data["h"]), str(data["n"]))
    except (BadSignature, KeyError, TypeError):
        return None


def send_sign_up_mail(
    db: Database, settings: Settings, mailer: Mailer, account: NewAccount, links: tuple[str, str]
) -> None:
    """Mail a confirmation link to a new address, or a notice to the owner of one in use.

    links is (the site's base URL, the page to go to after signing up).
    """
    base_url, next_page = links
    owner = user_store.user_by_email(db, account.email)
    if owner is not None:
        mailer.send(_notice_message(settings, owner, base_url))
        return
    pending = PendingAccount(
        account.username, account.email, hash_password(account.password), next_page
    )
    mailer.send(_confirm_message(settings, pending, base_url))


def confirm_sign_up(db: Database, settings: Settings, token: str) -> tuple[User, str]:
    """Create the account a confirmation token carries; the page to go to next with it."""
    pending = pending_account(settings, token)
    if pending is None:
        raise AccountError(EXPIRED)
    try:
        user = user_store.insert_user(
            db,
            username=pending.username,
            email=pending.email,
            password_hash=pending.password_hash,
        )
    except DuplicateUser:
        raise AccountError(_duplicate_message(db, pending)) from None
    return user, pending.next


def _duplicate_message(db: Database, pending: PendingAccount) -> str:
    # Whoever holds the token has proved the mailbox, so saying the address is used is safe.
    if user_store.user_by_email(db, pending.email) is not None:
        return "This link was already used: the account exists. Log in, or reset your password."
    return (
        f"Someone took the username {pending.username!r} in the meantime; please sign up "
        "again and choose another."
    )


def _confirm_message(settings: Settings, pending: PendingAccount, base_url: str) -> EmailMessage:
    link = f"{base_url}/signup/confirm?token={quote(confirm_token(settings, pending))}"
    message = new_message(settings, to=pending.email, subject="Confirm your paperwire account")
    message.set_content(
        f"Hello {pending.username},\n\nsomeone (hopefully you) signed up to paperwire with "
        f"this address. To create the account, open this link within "
        f"{settings.signup_confirm_hours} hours and press the button:\n\n{link}\n\n"
        "If it was not you, ignore this e-mail: no account is created.\n"
    )
    return message


def _notice_message(settings: Settings, owner: User, base_url: str) -> EmailMessage:
    message = new_message(settings, to=owner.email, subject="Your paperwire account")
    message.set_content(
        f"Hello {owner.username},\n\nsomeone tried to create a new paperwire account with "
        "this e-mail address, which your account already uses. If it was you, log in, or "
        f"reset your password if you forgot it:\n\n{base_url}/login\n{base_url}/reset\n\n"
        "If it was not you, ignore this e-mail: nothing has changed.\n"
    )
    return message
