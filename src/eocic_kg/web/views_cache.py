"""The one cache of derived views: what the pages compute from the store (the release as rdflib
graphs, the ontology page, dumps, graph views and their files, charts, VoID, the service
description, the editor's vocabulary), per serving process, within a byte budget.

- Keys are built by the routes from validated, normalised arguments only (an argument a route
  ignores is not part of its key; an invalid one is a 400 before any key is made), and never
  from request headers such as `Host`.
- Every entry belongs to one generation of the store (`QueryPool.generation`, counted by the
  writes); a request that sees a newer generation drops every older entry.
- A view is computed outside the cache's lock, under a lock of its own key: two requests for
  one view compute it once (the second waits for the first), different views side by side.
- Each kept entry is measured, its key with its value (`entry_size`: the bytes of the objects
  they hold; a key made of a junk argument counts, or a page of 404s could fill memory with
  keys while their small values stayed within the budget), and the least
  recently used entries go first when the total passes the budget; a value larger than the
  whole budget is served but not kept.
"""

from __future__ import annotations

import gc
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

T = TypeVar("T")
#: Objects that a view refers to without owning: not counted in its size.
_SHARED = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
)


#: What a dictionary of entries spends on each beyond its key and value (its slot and, for an
#: OrderedDict, the links of its order; ~100 bytes measured with sys.getsizeof).
ENTRY_OVERHEAD = 128


def entry_size(key: object, value: object) -> int:
    """The bytes one cache entry holds: its key (junk arguments make large keys), its value and
    the dictionary's own share."""
    return deep_size((key, value)) + ENTRY_OVERHEAD


def deep_size(value: object) -> int:
    """The bytes of `value` and of every object it refers to (classes, modules, functions
    aside), each object counted once."""
    seen: set[int] = set()
    todo = [value]
    size = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, _SHARED):
            continue
        seen.add(id(obj))
        size += sys.getsizeof(obj)
        todo.extend(gc.get_referents(obj))
    return size


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds now, how many views it has computed since it was made, and how
    many requests wait for a view that another one is computing."""

    entries: int
    bytes: int
    limit: int
    computed: int
    waiting: int


class _Pending:
    """A view being computed: who asks for it meanwhile waits for its value (or error)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def result(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class ViewCache:
    """Derived views by (generation, key), least recently used out first, at most `limit`
    bytes in all (0: nothing is kept; concurrent requests for one view still share it)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._generation = -1
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Any, int]] = OrderedDict()
        self._pending: dict[tuple[int, Hashable], _Pending] = {}
        self._bytes = 0
        self._computed = 0
        self._waiting = 0
        self._lock = threading.Lock()

    def get(self, generation: int, key: Hashable, make: Callable[[], T]) -> T:
        """The view `key` of the store's `generation`: kept, being computed, or `make()` now."""
        full = (generation, key)
        with self._lock:
            if generation > self._generation:
                self._entries.clear()
                self._bytes = 0
                self._generation = generation
            if full in self._entries:
                self._entries.move_to_end(full)
                return cast(T, self._entries[full][0])
            pending = self._pending.get(full)
            owner = pending is None
            if pending is None:
                pending = self._pending[full] = _Pending()
        if not owner:
            with self._lock:
                self._waiting += 1
            try:
                return cast(T, pending.result())
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            value = make()
            size = entry_size(full, value)
        except BaseException as e:
            pending.error = e
            raise
        else:
            pending.value = value
            with self._lock:
                self._computed += 1
                if generation == self._generation and size <= self.limit:
                    self._entries[full] = (value, size)
                    self._bytes += size
                    while self._bytes > self.limit:
                        _, (_, evicted) = self._entries.popitem(last=False)
                        self._bytes -= evicted
            return value
        finally:
            with self._lock:
                del self._pending[full]
            pending.done.set()

    def stats(self) -> CacheStats:
        """Entries and bytes held now, the budget, views computed, requests waiting."""
        with self._lock:
            return CacheStats(
                len(self._entries), self._bytes, self.limit, self._computed, self._waiting
            )
