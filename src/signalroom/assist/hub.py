"""The live sessions of one server (docs/assist.md): who is live, the assistant they share, the
supervisors watching, and the background writer that stores each finished session and analyses
it like any other interaction.

A session belongs to its connection: an error in one (a malformed message, a dropped socket)
ends that session alone; the hub and every other session go on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from signalroom.assist.assistant import Assistant
from signalroom.assist.protocol import ProtocolError, SessionInfo
from signalroom.assist.session import SOURCE, LiveSession, Status
from signalroom.auth.roles import Scope
from signalroom.store.warehouse import Store

log = logging.getLogger(__name__)

RECENT_ALERTS = 200
WATCHER_QUEUE = 500
IDLE_TIMEOUT_S = 900.0  # an HTTP session with no message for this long is ended as dropped


@dataclass(eq=False)
class Watcher:
    """A supervisor's live page: what it may see, and where its events go."""

    scope: Scope
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(WATCHER_QUEUE))
    dropped: int = 0

    def put(self, event: dict[str, Any]) -> None:
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1  # a page that stopped reading: it reloads the state when it comes back


class AssistHub:
    def __init__(
        self,
        stores: Callable[[], Store],
        write_lock: threading.Lock,
        *,
        after_write: Callable[[], None] | None = None,
        analyse: bool = True,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        self._stores = stores
        self._write_lock = write_lock
        self._after_write = after_write
        self._analyse = analyse
        self.idle_timeout_s = idle_timeout_s
        self._assistant: Assistant | None = None
        self._building = threading.Lock()
        self._stale = False
        self.sessions: dict[str, LiveSession] = {}
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self.watchers: set[Watcher] = set()
        self.recent_alerts: deque[dict[str, Any]] = deque(maxlen=RECENT_ALERTS)
        self._pending: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stored: list[str] = []
        self.store_errors: list[dict[str, Any]] = []
        self._writer: threading.Thread | None = None
        self._outstanding = 0  # finished sessions not yet stored (or failed)

    # -- the assistant ----------------------------------------------------------------------------

    def assistant(self) -> Assistant:
        """The shared assistant, learned from the warehouse on first use; after a change it is
        learned again in the background while the one before keeps serving."""
        current = self._assistant
        if current is not None:
            if self._stale and not self._building.locked():
                threading.Thread(target=self._rebuild, name="assist-rebuild", daemon=True).start()
            return current
        with self._building:
            if self._assistant is None:
                self._assistant = self._learn()
            return self._assistant

    def _learn(self) -> Assistant:
        self._stale = False
        store = self._stores()
        try:
            return Assistant.from_store(store)
        finally:
            store.close()

    def _rebuild(self) -> None:
        if not self._building.acquire(blocking=False):
            return
        try:
            self._assistant = self._learn()
        except Exception:
            log.exception("assist: learning from the warehouse failed; the previous assistant stays")
        finally:
            self._building.release()

    def mark_stale(self) -> None:
        """The warehouse changed (articles imported, interactions analysed)."""
        self._stale = True

    def set_assistant(self, assistant: Assistant) -> None:
        self._assistant, self._stale = assistant, False

    # -- sessions ---------------------------------------------------------------------------------

    def open(self, info: SessionInfo, opened_by: str) -> LiveSession:
        self.reap()
        assistant = self.assistant()
        with self._lock:
            if info.id in self.sessions:
                raise ProtocolError(f"session {info.id!r} is already live", code="duplicate")
            session = LiveSession(info, assistant, opened_by)
            self.sessions[info.id] = session
            self._last_seen[info.id] = time.monotonic()
        self.publish({"type": "session_started", **session.summary()}, session)
        return session

    def get(self, key: str) -> LiveSession | None:
        with self._lock:
            session = self.sessions.get(key)
            if session is not None:
                self._last_seen[key] = time.monotonic()
            return session

    def touched(self, session: LiveSession, update: dict[str, Any]) -> None:
        """After a message: tell the supervisors what changed."""
        for alert in update.get("alerts") or ():
            event = {"type": "alert", **self._who(session), "alert": alert}
            self.recent_alerts.append(event)
            self.publish(event, session)
        self.publish({"type": "session_updated", **session.summary()}, session)

    def finish(self, session: LiveSession, *, status: Status = "ended", error: str | None = None,
               message: Any = None) -> dict[str, Any]:  # fmt: skip
        """End a session and queue it to be stored; the 'ended' message."""
        record = session.end(message, status=status, error=error)
        with self._lock:
            self.sessions.pop(session.key, None)
            self._last_seen.pop(session.key, None)
        self._queue(record)
        self.publish({"type": "session_ended", **session.summary(), "error": error}, session)
        return {
            "type": "ended",
            "session": session.key,
            "status": session.status,
            "error": error,
            "interaction": {"source": SOURCE, "id": session.key},
            "turns": len(session.turns),
            "stored": "queued",
        }

    def reap(self) -> None:
        """End the sessions nobody has sent anything to for ``idle_timeout_s``."""
        limit = time.monotonic() - self.idle_timeout_s
        with self._lock:
            idle = [self.sessions[k] for k, seen in self._last_seen.items() if seen < limit and k in self.sessions]
        for session in idle:
            self.finish(session, status="dropped", error=f"no message for {self.idle_timeout_s:g} s")

    def live(self, scope: Scope) -> list[dict[str, Any]]:
        with self._lock:
            sessions = list(self.sessions.values())
        return [s.summary() for s in sessions if _visible(scope, s)]

    # -- supervisors ------------------------------------------------------------------------------

    def watch(self, scope: Scope) -> Watcher:
        watcher = Watcher(scope, asyncio.get_running_loop())
        self.watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    def publish(self, event: dict[str, Any], session: LiveSession) -> None:
        for watcher in list(self.watchers):
            if _visible(watcher.scope, session):
                try:
                    watcher.loop.call_soon_threadsafe(watcher.put, event)
                except RuntimeError:  # its loop has closed: the page is gone
                    self.watchers.discard(watcher)

    def alerts_for(self, scope: Scope) -> list[dict[str, Any]]:
        return [a for a in self.recent_alerts if scope.allows(agent_id=a.get("agent"), team=a.get("team"))]

    @staticmethod
    def _who(session: LiveSession) -> dict[str, Any]:
        agent = session.info.agent
        return {
            "session": session.key,
            "agent": agent.id if agent else None,
            "agent_name": agent.name if agent else None,
            "team": agent.team if agent else None,
        }

    # -- storing finished sessions -------------------------------------------------------------------

    def _queue(self, record: dict[str, Any]) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._write_loop, name="assist-writer", daemon=True)
            self._writer.start()
        with self._lock:
            self._outstanding += 1
        self._pending.put(record)

    def _write_loop(self) -> None:
        while True:
            first = self._pending.get()
            if first is None:
                return
            batch = [first]
            while not self._pending.empty():
                more = self._pending.get()
                if more is None:
                    self._store(batch)
                    return
                batch.append(more)
            self._store(batch)

    def _store(self, records: list[dict[str, Any]]) -> None:
        from signalroom.assist.storing import store_sessions

        try:
            with self._write_lock:
                store = self._stores()
                try:
                    store_sessions(store, records, analyse=self._analyse)
                finally:
                    store.close()
                if self._after_write is not None:
                    self._after_write()
            self.stored += [r["id"] for r in records]
            self.mark_stale()
        except Exception as exc:
            log.exception("assist: storing %d finished session(s) failed", len(records))
            self.store_errors += [{"session": r["id"], "error": f"{type(exc).__name__}: {exc}", "record": r}
                                  for r in records]  # fmt: skip
        finally:
            with self._lock:
                self._outstanding -= len(records)

    def wait_stored(self, timeout: float = 60.0) -> bool:
        """Block until every finished session is stored (tests, the simulator, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._outstanding == 0:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        """End every live session (as dropped: the server is stopping) and store them."""
        for session in list(self.sessions.values()):
            self.finish(session, status="dropped", error="the server stopped")
        if self._writer is not None and self._writer.is_alive():
            self._pending.put(None)
            self._writer.join(timeout=120)


def _visible(scope: Scope, session: LiveSession) -> bool:
    agent = session.info.agent
    return scope.allows(agent_id=agent.id if agent else None, team=agent.team if agent else None)
