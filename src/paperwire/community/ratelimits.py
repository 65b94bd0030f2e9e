"""Rate limits on community actions (sign-up, log-in, votes, comments, submissions,
digest settings, link edits), on failed log-ins per account, and on searches from the pages."""

from __future__ import annotations

import time
from typing import Literal, Protocol

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.rate_limits import DatabaseRateLimiter

Action = Literal[
    "signup",
    "login",
    "failed-login",
    "vote",
    "comment",
    "submission",
    "digest",
    "search",
    "link-edit",
    "library",
    "library-import",
]


class Limiter(Protocol):
    """What paperwire asks of a moving-window rate limiter (limits' own, or the database's)."""

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    def test(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> tuple[float, int]: ...


def moving_window_limiter(db: Database | None) -> Limiter:
    """Counts that every web process and server shares on PostgreSQL; on SQLite (one
    machine) each process counts in its own memory, which spares the single writer."""
    if db is not None and db.dialect == "postgresql":
        return DatabaseRateLimiter(db)
    return MovingWindowRateLimiter(MemoryStorage())


class ActionLimits:
    """Moving-window counters per action and key (a client address or a user): shared
    through PostgreSQL, or per process (moving_window_limiter)."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        configured: dict[Action, RateLimitItem | None] = {
            "signup": _item(RateLimitItemPerHour, settings.signup_limit_per_hour),
            "login": _item(RateLimitItemPerMinute, settings.login_limit_per_minute),
            # Keyed by account, whichever addresses the guesses come from.
            "failed-login": _item(RateLimitItemPerMinute, settings.login_limit_per_minute),
            "vote": _item(RateLimitItemPerMinute, settings.vote_limit_per_minute),
            "comment": _item(RateLimitItemPerHour, settings.comment_limit_per_hour),
            "submission": _item(RateLimitItemPerDay, settings.submission_limit_per_day),
            "digest": _item(RateLimitItemPerHour, settings.digest_settings_limit_per_hour),
            "search": _item(RateLimitItemPerMinute, settings.search_limit_per_minute),
            "link-edit": _item(RateLimitItemPerHour, settings.link_edit_limit_per_hour),
            "library": _item(RateLimitItemPerMinute, settings.library_limit_per_minute),
            "library-import": _item(RateLimitItemPerHour, settings.library_import_limit_per_hour),
        }
        self.items = configured
        self.limiter = moving_window_limiter(db)

    def hit(self, action: Action, key: str) -> int | None:
        """Count one attempt; None when allowed, else the seconds until the next is."""
        item = self.items[action]
        if item is None or self.limiter.hit(item, action, key):
            return None
        return self._seconds_until_free(item, action, key)

    def retry_after(self, action: Action, key: str) -> int | None:
        """Without counting: None when one more attempt is allowed, else the seconds until."""
        item = self.items[action]
        if item is None or self.limiter.test(item, action, key):
            return None
        return self._seconds_until_free(item, action, key)

    def _seconds_until_free(self, item: RateLimitItem, action: Action, key: str) -> int:
        reset_at, _remaining = self.limiter.get_window_stats(item, action, key)
        return max(1, int(reset_at - time.time()) + 1)


def _item(kind: type[RateLimitItem], amount: int) -> RateLimitItem | None:
    return kind(amount) if amount > 0 else None
