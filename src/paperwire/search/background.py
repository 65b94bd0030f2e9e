"""Refresh an index in a background thread, one refresh at a time, so that no request
waits while thousands of newly written papers are loaded: queries meanwhile use what the
index already holds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# At most this many rows written since an index's last refresh are loaded by the request
# that notices them (a few ms); more are loaded in the background.
INLINE_REFRESH_ROWS = 2_000


class BackgroundRefresh:
    def __init__(self, name: str) -> None:
        self.name = name
        self._busy = threading.Lock()

    def deferred(
        self,
        refresh: Callable[[], None],
        inline_rows: int | None,
        *,
        holds_papers: bool,
        rows_behind: Callable[[], int],
    ) -> bool:
        """Whether refresh was handed to the background thread: with inline_rows given,
        when the index already holds papers (an empty one loads in the caller) and more
        than inline_rows were written since its last refresh (counted only then)."""
        if inline_rows is None or not holds_papers or rows_behind() <= inline_rows:
            return False
        self.start(refresh)
        return True

    def start(self, refresh: Callable[[], None]) -> None:
        """Run refresh in a thread unless one is running already."""
        if not self._busy.acquire(blocking=False):
            return

        def run() -> None:
            try:
                refresh()
            except Exception:  # a database outage: the next query tries again
                log.exception("%s refresh failed", self.name)
            finally:
                self._busy.release()

        threading.Thread(target=run, name=f"{self.name}-refresh", daemon=True).start()
