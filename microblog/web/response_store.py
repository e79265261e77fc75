"""The response cache's store: rendered responses by URL, bounded in bytes.

Kept apart from `caching.py` (HTTP: keys, validators, the middleware) for size; a leaf too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microblog.web.caching import CachedResponse, CacheHooks

# What an entry costs beyond its body, headers and key (objects, dict slots), measured.
ENTRY_OVERHEAD = 1024


class ResponseCache:
    """A thread-safe map of URLs to rendered responses, bounded in bytes (least recently
    used out), that forgets every entry of an older generation once it sees a newer one."""

    def __init__(self, hooks: CacheHooks, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.hooks = hooks
        self.max_bytes = max_bytes
        # One response may take at most an eighth: a huge one is served, not kept.
        self.max_entry_bytes = max_bytes // 8
        self.entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self.weights: dict[str, int] = {}
        self.size = 0
        self.newest_generation = -1
        self.lock = threading.Lock()

    def get(self, key: str, generation: int | None = None) -> CachedResponse | None:
        """The entry for `key` if it is still fresh, moved to the recently used end.

        The one lookup, for the middleware and `cached_response` alike. The counter is read
        only when there is an entry to check, unless the caller read it already.
        """
        entry = self.entries.get(key)
        if entry is None:
            return None
        if generation is None:
            generation = self.hooks.read_generation()
        if not entry.is_fresh(generation):
            self.forget_older_than(generation)
            return None
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        """Keep `entry`, dropping the least recently used ones until the bytes fit."""
        self.forget_older_than(entry.generation)
        weight = entry.weight(key)
        # A render that read an older state than one already seen (it began before a change
        # another request has already rendered) would only replace a newer entry.
        if weight > self.max_entry_bytes or entry.generation < self.newest_generation:
            return
        with self.lock:
            self._drop(key)
            self.entries[key] = entry
            self.weights[key] = weight
            self.size += weight
            while self.size > self.max_bytes and self.entries:
                self._drop(next(iter(self.entries)))

    def forget_older_than(self, generation: int) -> None:
        """Once the site has changed, no entry built before can be served again: drop them
        now rather than let them hold memory until the LRU order reaches them."""
        if generation <= self.newest_generation:
            return
        with self.lock:
            if generation <= self.newest_generation:
                return
            self.newest_generation = generation
            for key in [k for k, e in self.entries.items() if e.generation < generation]:
                self._drop(key)

    def _drop(self, key: str) -> None:
        """Remove one entry (the lock is held)."""
        if self.entries.pop(key, None) is not None:
            self.size -= self.weights.pop(key, 0)

    def clear(self) -> None:
        """Forget everything."""
        with self.lock:
            self.entries.clear()
            self.weights.clear()
            self.size = 0
