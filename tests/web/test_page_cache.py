"""The in-memory page cache: versions, eviction, and switching it off."""

from __future__ import annotations

from paperwire.web.page_cache import PageCache


def test_entry_is_served_only_for_its_version() -> None:
    cache = PageCache(4)
    cache.put("/", 7, b"old")
    assert cache.get("/", 7) == b"old"
    assert cache.get("/", 8) is None


def test_least_recently_used_entry_is_evicted_first() -> None:
    cache = PageCache(2)
    cache.put("a", 1, b"A")
    cache.put("b", 1, b"B")
    assert cache.get("a", 1) == b"A"  # a is now the most recently used
    cache.put("c", 1, b"C")
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == (b"A", None, b"C")
    assert len(cache) == 2


def test_zero_entries_caches_nothing() -> None:
    cache = PageCache(0)
    cache.put("/", 1, b"x")
    assert cache.get("/", 1) is None and len(cache) == 0
