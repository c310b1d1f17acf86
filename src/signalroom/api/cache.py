"""A small cache for what is costly to compute (drivers, metrics, risk): keyed by what was asked and
by the warehouse's data version, so a new load or analysis makes every entry stale at once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from signalroom.store.versions import data_version
from signalroom.store.warehouse import Store

T = TypeVar("T")

_MAX_ENTRIES = 256
_entries: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
_lock = threading.Lock()


def cached(store: Store, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``'s result for ``key`` at the store's current data version (least recently used
    entries are dropped past a few hundred)."""
    full = (str(store.path), data_version(store), *key)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[full] = value
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
