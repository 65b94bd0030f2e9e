"""Rendered list pages kept in memory until the papers they show change."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class PageCache:
    """A bounded LRU of page bodies, each valid only for the data version it was built from.

    Every process keeps its own cache; the version comes from the database, so a change
    committed by any process (an ingest, another web worker) retires every cached page.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, version: Hashable, body: bytes) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = (version, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
