"""Rate limits counted in the database: a moving window that every server sharing the
database counts together, exact under concurrent hits; on both databases."""

from __future__ import annotations

import threading

from limits import RateLimitItemPerMinute

from paperwire.storage import Database
from paperwire.storage.rate_limits import DatabaseRateLimiter

TWO_A_MINUTE = RateLimitItemPerMinute(2)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_moving_window_refuses_the_attempt_past_the_limit_until_the_oldest_leaves(
    db: Database,
) -> None:
    clock = Clock()
    limiter = DatabaseRateLimiter(db, clock)
    assert limiter.hit(TWO_A_MINUTE, "search", "10.0.0.1")
    clock.now += 20
    assert limiter.hit(TWO_A_MINUTE, "search", "10.0.0.1")
    assert not limiter.hit(TWO_A_MINUTE, "search", "10.0.0.1")
    assert not limiter.test(TWO_A_MINUTE, "search", "10.0.0.1")
    assert limiter.get_window_stats(TWO_A_MINUTE, "search", "10.0.0.1") == (1_000_060.0, 0)
    assert limiter.hit(TWO_A_MINUTE, "search", "10.0.0.2")  # another client: its own count
    clock.now += 41  # the first attempt has left the window, the second not yet
    assert limiter.test(TWO_A_MINUTE, "search", "10.0.0.1")
    assert limiter.hit(TWO_A_MINUTE, "search", "10.0.0.1")
    assert not limiter.hit(TWO_A_MINUTE, "search", "10.0.0.1")


def test_two_servers_count_the_same_attempts(database_url: str, db: Database) -> None:
    other = Database.open(database_url)
    try:
        here, there = DatabaseRateLimiter(db), DatabaseRateLimiter(other)
        assert here.hit(TWO_A_MINUTE, "vote", "user:7")
        assert there.hit(TWO_A_MINUTE, "vote", "user:7")
        assert not here.hit(TWO_A_MINUTE, "vote", "user:7")
        assert not there.test(TWO_A_MINUTE, "vote", "user:7")
    finally:
        other.close()


def test_concurrent_attempts_never_pass_the_limit(db: Database) -> None:
    limiter = DatabaseRateLimiter(db)
    five = RateLimitItemPerMinute(5)
    allowed: list[bool] = []
    start = threading.Barrier(12)

    def attempt() -> None:
        start.wait()
        allowed.append(limiter.hit(five, "login", "10.0.0.9"))

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5
