"""What the running app holds: the warehouse, its single writer's lock, the login limiter and the
settings. One process serves the embedded store (docs/serve.md)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from signalroom.api.warm import WarmUp
from signalroom.assist.hub import AssistHub
from signalroom.auth.ratelimit import LoginLimiter
from signalroom.store.warehouse import Store


@dataclass(kw_only=True)
class ServeSettings:
    db: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000
    upload_bytes: int = 200_000_000
    # Secure cookies need https; "auto" sets them whenever the request came over https.
    secure_cookies: str = "auto"
    login_max_failures: int = 5
    login_window_s: float = 300.0
    # Keep the busiest pages' costly parts computed: at start and after every write
    # (`signalroom serve` does; api/warm.py).
    warm_up: bool = False
    # Analyse and score each finished live session as soon as it is stored (docs/assist.md).
    assist_analyse: bool = True


@dataclass(kw_only=True)
class AppState:
    settings: ServeSettings
    store: Store
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    warm_up: WarmUp | None = None  # while serving with settings.warm_up
    assist: AssistHub | None = None  # the live sessions (made with the app)

    def request_store(self) -> Store:
        """A store over a connection of its own (a DuckDB cursor), so requests read side by side."""
        cursor = self.store.connection.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return Store(cursor, self.store.path, read_only=self.store.read_only)
