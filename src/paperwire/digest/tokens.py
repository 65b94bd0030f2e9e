"""Signed, expiring tokens in digest links and forms: confirm, manage, unsubscribe, view."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from paperwire.config import Settings
from paperwire.digest.model import Preferences
from paperwire.signing import signer

CONFIRM_MAX_AGE_SECONDS = 3 * 24 * 3600
# Links in old digests keep working for a year: unsubscribing must never be hard.
LINK_MAX_AGE_SECONDS = 366 * 24 * 3600
FORM_MAX_AGE_SECONDS = 2 * 24 * 3600
# Cached pages are rebuilt this often, so a form token served is at most this old and a
# reader has FORM_MAX_AGE_SECONDS minus this to send the form.
FORM_REFRESH_SECONDS = 24 * 3600
FORM_PURPOSE = "digest-form"


def form_token_epoch() -> int:
    """Changes every FORM_REFRESH_SECONDS: part of the key of every cached page with a form."""
    return int(time.time() // FORM_REFRESH_SECONDS)


class InvalidToken(ValueError):
    """A link or form token that is forged, damaged or expired."""


@dataclass(frozen=True, slots=True)
class ConfirmRequest:
    email: str
    preferences: Preferences
    issued_at: float  # seconds since the epoch
    # The account that asked, logged in: linked only if that account confirms it.
    user_id: int | None = None


class DigestTokens:
    """The serializers for every digest purpose, built once (the key may come from a file)."""

    def __init__(self, settings: Settings) -> None:
        self._confirm = signer(settings, "digest-confirm")
        self._manage = signer(settings, "digest-manage")
        self._unsubscribe = signer(settings, "digest-unsubscribe")
        self._view = signer(settings, "digest-view")
        self._form = signer(settings, FORM_PURPOSE)

    def confirm(self, email: str, preferences: Preferences, user_id: int | None = None) -> str:
        values: dict[str, Any] = {"e": email, "p": preferences.as_json()}
        if user_id is not None:
            values["u"] = user_id
        return str(self._confirm.dumps(values))

    def read_confirm(self, token: str) -> ConfirmRequest:
        values, issued = _load(self._confirm, token, CONFIRM_MAX_AGE_SECONDS, timestamp=True)
        try:
            user_id = values.get("u")
            return ConfirmRequest(
                str(values["e"]),
                Preferences.from_json(values["p"]),
                issued.timestamp(),
                None if user_id is None else int(user_id),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise InvalidToken("damaged link") from error

    def manage(self, subscription_id: int, email: str) -> str:
        return str(self._manage.dumps([subscription_id, email]))

    def read_manage(self, token: str) -> tuple[int, str]:
        return _pair(_load(self._manage, token, LINK_MAX_AGE_SECONDS)[0])

    def unsubscribe(self, subscription_id: int, email: str) -> str:
        return str(self._unsubscribe.dumps([subscription_id, email]))

    def read_unsubscribe(self, token: str) -> tuple[int, str]:
        return _pair(_load(self._unsubscribe, token, LINK_MAX_AGE_SECONDS)[0])

    def view(self, delivery_id: int, subscription_id: int) -> str:
        return str(self._view.dumps([delivery_id, subscription_id]))

    def read_view(self, token: str) -> tuple[int, int]:
        delivery, subscription = _pair(_load(self._view, token, LINK_MAX_AGE_SECONDS)[0])
        return delivery, int(subscription)

    def form(self) -> str:
        """A token for the hidden field of a subscription form."""
        return str(self._form.dumps("digest"))

    def check_form(self, token: str) -> None:
        if _load(self._form, token, FORM_MAX_AGE_SECONDS)[0] != "digest":
            raise InvalidToken("this form is not one of ours")


def _load(
    serializer: URLSafeTimedSerializer, token: str, max_age: int, *, timestamp: bool = False
) -> Any:
    try:
        if timestamp:
            return serializer.loads(token, max_age=max_age, return_timestamp=True)
        return serializer.loads(token, max_age=max_age), None
    except BadSignature as error:  # SignatureExpired is a BadSignature too
        raise InvalidToken(str(error)) from None


def _pair(values: Any) -> tuple[int, str]:
    """[id, text] from a token's payload."""
    try:
        number, text = values
        return int(number), str(text)
    except (TypeError, ValueError) as error:
        raise InvalidToken("damaged link") from error
