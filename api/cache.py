"""A short-lived cache of rendered answers, so that a live view polled by many clients costs
the database one query per few seconds.

Keys are the route and its normalised parameters. While one request computes an answer,
others asking the same wait for it instead of running the same query (single flight).
Only successful answers are kept; a failure reaches every waiter and is not remembered.
Expired entries are dropped as new ones come in; answers over 1 MB are not kept.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class AnswerCache:
    """Answers (bytes) by key, each kept `ttl_s` seconds, at most `max_entries` of them."""

    def __init__(
        self, ttl_s: float, max_entries: int = 1024, max_answer_bytes: int = 1 << 20
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.max_answer_bytes = max_answer_bytes
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[bytes]] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """Return the cached answer for `key`, or compute it once for every caller waiting."""
        if self.ttl_s <= 0:
            self.misses += 1
            return await compute()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            self.hits += 1
            return entry[1]
        pending = self._pending.get(key)
        if pending is None:
            self.misses += 1
            # The answer is computed in a task of its own: a first asker that goes away
            # (disconnect, timeout) does not cancel it for the others.
            pending = asyncio.ensure_future(compute())
            self._pending[key] = pending
            pending.add_done_callback(lambda task: self._done(key, task))
        else:
            self.hits += 1
        return await asyncio.shield(pending)

    def _done(self, key: Hashable, task: asyncio.Future[bytes]) -> None:
        del self._pending[key]
        if task.cancelled() or task.exception() is not None:
            return
        answer = task.result()
        if len(answer) > self.max_answer_bytes:
            return  # big pages are not worth the memory: few ask for the same one
        now = time.monotonic()
        self._entries[key] = (now + self.ttl_s, answer)
        self._entries.move_to_end(key)
        # Entries go in with the same lifetime, so the oldest expire first.
        while self._entries:
            oldest_key, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self.max_entries:
                break
            del self._entries[oldest_key]
