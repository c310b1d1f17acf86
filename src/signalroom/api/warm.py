"""Keeps the costly parts of the busiest pages computed: the overview's KPIs (with the CSAT
prediction), the drivers of every outcome, every agent's consistency findings and the compliance
risk. They are computed into the cache when the server starts and again in the background after
every write that empties the cache, so a person opening a page after a load or an analysis does
not wait for a model to be fitted (docs/serve.md#warm-up)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from signalroom.store.warehouse import Store

log = logging.getLogger(__name__)


def _overview(store: Store) -> None:
    from signalroom.api.services import analytics

    analytics.overview(store, date_from=None, date_to=None)


def _drivers(store: Store) -> None:
    from signalroom.api.errors import ApiError
    from signalroom.api.services import analytics
    from signalroom.journeys.drivers import OUTCOMES

    for outcome in OUTCOMES:
        # An outcome without its data (no episodes, no self-service events): the page says so.
        with contextlib.suppress(ApiError):
            analytics.drivers_report(store, analytics.drivers_config(analytics.NO_FILTERS, outcome=outcome))


def _agents(store: Store) -> None:
    from signalroom.api.services import agents

    agents.consistency(store)


def _risk(store: Store) -> None:
    from signalroom.api.errors import ApiError
    from signalroom.api.services import qa
    from signalroom.auth.roles import Scope

    with contextlib.suppress(ApiError):  # nothing scored yet: the QA page says so
        qa.risk(store, Scope())


TASKS: tuple[tuple[str, Callable[[Store], None]], ...] = (
    ("overview", _overview),
    ("drivers", _drivers),
    ("agents", _agents),
    ("risk", _risk),
)


class WarmUp:
    """One background thread that runs every task whenever asked; asks made while it runs fold
    into one more run, so a burst of writes costs one recomputation."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open_store = open_store
        self._changed = threading.Condition()
        self._asked = 0  # runs asked for
        self._done = 0  # asks the finished runs answered
        self.runs = 0  # runs finished
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="signalroom-warm-up", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.ask()

    def ask(self) -> None:
        with self._changed:
            self._asked += 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once every run asked for so far has finished (for tests and the benchmark)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._done >= self._asked, timeout)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or self._asked > self._done)
                if self._stopping:
                    return
                answering = self._asked
            self._run_once()
            with self._changed:
                self._done = answering
                self.runs += 1
                self._changed.notify_all()

    def _run_once(self) -> None:
        try:
            store = self._open_store()
        except Exception:
            log.warning("warming up could not open the warehouse", exc_info=True)
            return
        try:
            for name, task in TASKS:
                if self._stopping:
                    return
                try:
                    task(store)
                except Exception:
                    log.warning("warming the %s failed", name, exc_info=True)
        finally:
            store.close()
