"""Hand memory that an index build freed back to the operating system.

glibc keeps freed memory in the process once its mmap threshold has grown (it grows each
time a large block is freed), so a process that built an index from 137k stored rows
stayed ~130 MB larger than what the index holds. malloc_trim(0) returns it. Elsewhere
(musl, macOS) there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def release_freed_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
