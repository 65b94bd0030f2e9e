"""Subscription rate limits and the form guard, without a server."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from paperwire.config import Settings
from paperwire.web.digests import SubscribeLimits


def _limits(**values: int) -> SubscribeLimits:
    return SubscribeLimits(Settings(_env_file=None, **values))  # type: ignore[call-arg, arg-type]


def test_a_client_address_is_limited_whatever_the_addresses_it_tries() -> None:
    limits = _limits(subscribe_limit_per_hour=2, subscribe_email_limit_per_day=0)
    limits.check("10.0.0.1", "a@example.org")
    limits.check("10.0.0.1", "b@example.org")
    with pytest.raises(HTTPException) as refused:
        limits.check("10.0.0.1", "c@example.org")
    assert refused.value.status_code == 429
    limits.check("10.0.0.2", "c@example.org")  # another client is not affected


def test_zero_turns_the_limits_off() -> None:
    limits = _limits(subscribe_limit_per_hour=0, subscribe_email_limit_per_day=0)
    for _ in range(50):
        limits.check("10.0.0.1", "a@example.org")
