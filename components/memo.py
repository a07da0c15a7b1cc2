"""A process-wide memo for shared, read-only objects that every session asks for on every run.

``st.cache_resource`` does the same job, but works out each positional argument's name with
``inspect.signature`` and hashes every argument on each call: on a diagram page that was a
tenth of a session's server time under a crowd (benchmarks/session_cost.py). Where the key is
a small tuple of strings, a dict lookup does it for a fraction of that.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """``get(key, make)``: ``make()`` runs at most once per key while the key is kept.

    Bounded: past ``max_entries`` the oldest half is dropped. Keys must carry everything the
    value depends on (a content version, say), so an entry is never stale, only unused.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._values: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._lock:
            if key in self._values:
                return self._values[key]
            value = make()
            if len(self._values) >= self.max_entries:
                for old in list(self._values)[: self.max_entries // 2]:
                    del self._values[old]
            self._values[key] = value
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
