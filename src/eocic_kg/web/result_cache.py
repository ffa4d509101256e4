"""The per-process cache of serialised query results (least recently used first out)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from eocic_kg.results import Result


class ResultCache:
    """Serialised results by request, least recently used evicted first, at most `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._size = 0
        self._entries: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Result | None:
        """The cached result for `key`, if any."""
        with self._lock:
            result = self._entries.get(key)
            if result is not None:
                self._entries.move_to_end(key)
            return result

    def put(self, key: str, result: Result) -> None:
        """Keep `result` unless it alone exceeds the limit; evict the oldest to make room."""
        if len(result.body) > self.limit:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = result
            self._size += len(result.body)
            while self._size > self.limit:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    def clear(self) -> None:
        """Forget everything (the store changed)."""
        with self._lock:
            self._entries.clear()
            self._size = 0
