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
# Bumped by every clear: a result computed across a clear may predate the write that caused it,
# so it is returned to its caller but not kept.
_generation = 0


def cached(store: Store, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``'s result for ``key`` at the store's current data version (least recently used
    entries are dropped past a few hundred)."""
    full = (str(store.path), data_version(store), *key)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]  # type: ignore[return-value]
        began = _generation
    value = compute()
    with _lock:
        if began == _generation:
            _entries[full] = value
            while len(_entries) > _MAX_ENTRIES:
                _entries.popitem(last=False)
    return value


def peek(store: Store, key: tuple[Hashable, ...]) -> object | None:
    """The cached result for ``key`` at the store's data version, without computing it."""
    full = (str(store.path), data_version(store), *key)
    with _lock:
        return _entries.get(full)


def kinds() -> set[Hashable]:
    """What is cached now, by the first part of each key (``"drivers"``, ``"kpi_sums"``…)."""
    with _lock:
        return {full[2] for full in _entries if len(full) > 2}


def clear() -> None:
    global _generation
    with _lock:
        _entries.clear()
        _generation += 1
