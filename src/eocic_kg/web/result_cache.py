"""The per-process cache of serialised query results (least recently used first out).

Its budget counts each entry whole, key and all: the key holds the query's text, up to the
server's query size limit, so a cache that counted only the answers kept ~60 KB of key per
tiny answer (a 64 MiB budget holding gigabytes).

It is never stale: every write moves the cache to a new *generation* (`invalidate`), and a
result is kept only if no write happened since its read began (`put(..., generation)` compares
under the cache's lock, so a read that started before a write and ends after it is not kept).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from eocic_kg.results import Result
from eocic_kg.web.views_cache import entry_size


class ResultCache:
    """Serialised results by request, least recently used evicted first, at most `limit` bytes
    in all, keys included (0: keep nothing, only count the generations)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        #: Counts the writes; a read notes it when it begins (derived views key on it too).
        self.generation = 0
        self._size = 0
        self._entries: OrderedDict[str, tuple[Result, int]] = OrderedDict()  # (result, size)
        self._lock = threading.Lock()

    def get(self, key: str) -> Result | None:
        """The cached result for `key`, if any."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: str, result: Result, generation: int) -> None:
        """Keep `result` of a read that began at `generation`, unless a write came since or it
        alone exceeds the limit; evict the oldest to make room."""
        if not self.limit:  # keeps nothing: not even worth sizing
            return
        size = entry_size(key, result)
        if size > self.limit:
            return
        with self._lock:
            if generation != self.generation or key in self._entries:
                return
            self._entries[key] = (result, size)
            self._size += size
            while self._size > self.limit:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    def invalidate(self) -> None:
        """Forget everything and start a new generation (the store changed, or may have)."""
        with self._lock:
            self._entries.clear()
            self._size = 0
            self.generation += 1
