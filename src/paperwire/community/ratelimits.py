"""Rate limits on community actions (sign-up, log-in, votes, comments, submissions,
digest settings, link edits), on failed log-ins per account, and on searches from the pages."""

from __future__ import annotations

import time
from typing import Literal

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from paperwire.config import Settings

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


class ActionLimits:
    """Moving-window counters per action and key (a client address or a user), per process."""

    def __init__(self, settings: Settings) -> None:
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
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

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
