"""Memory the job's steps have freed, given back to the system between steps.

What the process holds between steps is what the next step's top is built on: freed
memory that an allocator keeps for its own later use counts there too.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["release_index", "release_memory"]


def release_memory() -> None:
    """Give the memory that Arrow's pool keeps after a step back to the system: the reason
    and driver texts are built in Arrow, whose allocator (mimalloc, jemalloc) keeps freed
    pages for Arrow's next allocations, out of reach of the next steps' numpy work (at 1M
    customers the lifecycle left 160 MB so). Likewise the free pages of the C heap (glibc's
    ``malloc_trim``): the many arrays of 128 kB to 32 MB a step frees stay there, in pieces
    the next step's large arrays (each mapped on its own) cannot use; at 3.3M customers
    350-500 MB at the start of the classes and of the health score."""
    pa = sys.modules.get("pyarrow")
    release = None if pa is None else getattr(pa.default_memory_pool(), "release_unused", None)
    if release is not None:
        release()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (another C library, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and others have none
        return None
    return trim


def release_index(index: Any) -> None:
    """Let go of the hash table pandas keeps on `index` once ids have been looked up in
    it or checked for uniqueness (about 40 bytes an id: 0.4 GB at 10M customers, held as
    long as any frame or parked column has the index). A later step that looks ids up
    builds it again. Nothing happens where pandas keeps it elsewhere."""
    cache = getattr(index, "_cache", None)
    if isinstance(cache, dict):
        cache.pop("_engine", None)
