"""Moving-window rate limits counted in the database, so that every web process and
server sharing it counts the same attempts (PostgreSQL; on SQLite each process counts
its own in memory, see community/ratelimits.py).

A counted attempt is a row (key, Unix time). A hit takes a transaction-level advisory
lock on its key, so that two servers cannot both let the last allowed attempt through,
counts the key's rows inside the window, and adds one when under the limit. Rows older
than their window are deleted with the key's next hit, and every row older than a day
(the longest window) now and then.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable

from limits import RateLimitItem
from sqlalchemy import Connection, delete, func, insert, select

from paperwire.storage.database import Database
from paperwire.storage.schema import rate_limit_hits

LONGEST_WINDOW_SECONDS = 86_400
CLEANUP_CHANCE = 0.001  # of a hit also deleting every key's rows older than a day
MAX_KEY_CHARS = 300


class DatabaseRateLimiter:
    """The part of limits' MovingWindowRateLimiter that paperwire uses (hit, test,
    get_window_stats), with its counts in the database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one attempt when the window has room; False (nothing counted) when full."""
        key, window = _key(identifiers), item.get_expiry()
        with self.db.write() as connection:
            if self.db.dialect == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(_lock_key(key))))
            now = self.clock()
            connection.execute(
                delete(rate_limit_hits).where(
                    rate_limit_hits.c.key == key, rate_limit_hits.c.at <= now - window
                )
            )
            if _count(connection, key, now - window) >= item.amount:
                return False
            connection.execute(insert(rate_limit_hits).values(key=key, at=now))
            if random.random() < CLEANUP_CHANCE:
                cutoff = now - LONGEST_WINDOW_SECONDS
                connection.execute(delete(rate_limit_hits).where(rate_limit_hits.c.at <= cutoff))
        return True

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more attempt would be allowed now (nothing counted)."""
        with self.db.engine.connect() as connection:
            since = self.clock() - item.get_expiry()
            return _count(connection, _key(identifiers), since) < item.amount

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> tuple[float, int]:
        """(when the oldest attempt in the window leaves it, attempts left), as limits does."""
        key, window = _key(identifiers), item.get_expiry()
        now = self.clock()
        query = select(func.min(rate_limit_hits.c.at), func.count()).where(
            rate_limit_hits.c.key == key, rate_limit_hits.c.at > now - window
        )
        with self.db.engine.connect() as connection:
            oldest, count = connection.execute(query).one()
        reset_at = (oldest if oldest is not None else now) + window
        return reset_at, max(0, item.amount - int(count))


def _key(identifiers: tuple[str, ...]) -> str:
    return "/".join(identifiers)[:MAX_KEY_CHARS]


def _lock_key(key: str) -> int:
    return zlib.crc32(f"paperwire rate limit {key}".encode())


def _count(connection: Connection, key: str, since: float) -> int:
    query = select(func.count()).where(rate_limit_hits.c.key == key, rate_limit_hits.c.at > since)
    return int(connection.scalar(query) or 0)
