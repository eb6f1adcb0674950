"""Giving memory back after a burst of streams: a full collection, then glibc's trim.

Streams that end while waiting for a pooled connection leave their frames in reference
cycles (the pool's waiter keeps the CancelledError it raised, and its traceback the frames),
which only a full collection frees; and glibc keeps what Python frees in its heap until
`malloc_trim`. Without both, 200 stalled clients left an API process at 390 MB long after
they had gone; with them it came back to within 20 % of its size before (docs/benchmarks.md,
"Stalled live-stream clients").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _trimmer() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    return trim


_TRIM = _trimmer()


def give_back() -> None:
    """Collect reference cycles and return the C heap's free memory to the system."""
    started = time.perf_counter()
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
    log.debug("memory given back in %.1f ms", (time.perf_counter() - started) * 1000)
