"""Login rate limiting: a sliding window of failed attempts per user name and per client address."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class LoginLimiter:
    """At most ``max_failures`` failed logins per key within ``window_s`` seconds; a success clears
    the user name's failures. Kept in memory: one process serves the embedded store."""

    def __init__(self, *, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys; 0: allowed now."""
        now = self.clock()
        with self._lock:
            waits = [
                times[0] + self.window_s - now
                for key in keys
                if len(times := self._recent(key, now)) >= self.max_failures
            ]
        return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
