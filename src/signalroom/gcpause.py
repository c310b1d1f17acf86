"""Pausing Python's cyclic garbage collector around bulk work.

Ingest and analysis allocate millions of short-lived, acyclic objects; the cyclic collector
walking them (and every long-lived object: models, lexicons, recognizers) cost more than the work
itself. Reference counting still frees them; callers collect the young generations after each
batch, so the few cycles made are freed too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
