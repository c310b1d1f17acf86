"""The warm-up: the busiest pages' costly parts are computed when the server starts and again after
every write that empties the cache; a burst of writes costs one more run; a failing part is logged
and the others still run; a result computed across a write is not kept."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import PASSWORD, Centre
from signalroom.api import cache, warm
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings
from signalroom.store import Store

WARMED = {"kpi_sums", "drivers", "agents.consistency", "qa.risk"}


def _csrf(client: TestClient, username: str) -> str:
    login = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert login.status_code == 303
    token: str = client.get("/api/v1/auth/me").json()["csrf_token"]
    return token


def test_serving_warms_the_busiest_pages_and_warms_them_again_after_a_write(centre: Centre) -> None:
    cache.clear()
    with TestClient(create_app(ServeSettings(db=centre.db, warm_up=True))) as client:
        warm_up = client.app.state.signalroom.warm_up  # type: ignore[attr-defined]
        assert warm_up.wait_idle(120)
        assert cache.kinds() >= WARMED
        assert warm_up.runs == 1
        renamed = client.post(
            f"/api/v1/topics/{centre.facts['reason_id']}/rename", json={"name": "Refund questions"},
            headers={"X-CSRF-Token": _csrf(client, "analyst")},
        )  # fmt: skip
        assert renamed.status_code == 200, renamed.text
        assert warm_up.wait_idle(120)
        assert warm_up.runs == 2
        assert cache.kinds() >= WARMED
        page = client.get("/drivers")
        assert page.status_code == 200
        assert "Refund questions" in client.get("/api/v1/topics").text
    assert client.app.state.signalroom.warm_up is None  # type: ignore[attr-defined]


def test_without_warm_up_nothing_is_computed_ahead(centre: Centre) -> None:
    cache.clear()
    with TestClient(create_app(ServeSettings(db=centre.db))) as client:
        assert client.app.state.signalroom.warm_up is None  # type: ignore[attr-defined]
        assert cache.kinds() == set()


def _store_opener(db: Path) -> Store:
    return Store.open(db, read_only=True)


def test_asks_made_while_it_runs_fold_into_one_more_run(centre: Centre, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow(store: Store) -> None:
        calls.append(1)
        started.set()
        release.wait(30)

    monkeypatch.setattr(warm, "TASKS", (("slow", slow),))
    warm_up = warm.WarmUp(lambda: _store_opener(centre.db))
    warm_up.start()
    assert started.wait(30)
    for _ in range(5):
        warm_up.ask()
    assert not warm_up.wait_idle(0.05)
    release.set()
    assert warm_up.wait_idle(30)
    warm_up.stop()
    assert warm_up.runs == 2
    assert len(calls) == 2


def test_a_failing_part_is_logged_and_the_others_still_run(
    centre: Centre, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[str] = []

    def broken(store: Store) -> None:
        raise RuntimeError("no such table")

    monkeypatch.setattr(warm, "TASKS", (("broken", broken), ("next", lambda store: done.append("next"))))
    warm_up = warm.WarmUp(lambda: _store_opener(centre.db))
    with caplog.at_level(logging.WARNING, logger="signalroom.api.warm"):
        warm_up.start()
        assert warm_up.wait_idle(30)
    warm_up.stop()
    assert done == ["next"]
    assert any("warming the broken failed" in r.getMessage() for r in caplog.records)


def test_a_result_computed_across_a_clear_is_returned_but_not_kept(centre: Centre) -> None:
    cache.clear()
    with Store.open(centre.db, read_only=True) as store:

        def compute_while_someone_writes() -> int:
            cache.clear()
            return 7

        assert cache.cached(store, ("raced",), compute_while_someone_writes) == 7
        assert "raced" not in cache.kinds()
        assert cache.cached(store, ("calm",), lambda: 8) == 8
        assert "calm" in cache.kinds()


def test_a_warehouse_that_cannot_be_opened_is_logged_and_the_thread_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unopenable() -> Store:
        raise OSError("the file is gone")

    warm_up = warm.WarmUp(unopenable)
    with caplog.at_level(logging.WARNING, logger="signalroom.api.warm"):
        warm_up.start()
        assert warm_up.wait_idle(30)
        warm_up.ask()
        assert warm_up.wait_idle(30)
    warm_up.stop()
    assert warm_up.runs == 2
    assert sum("could not open the warehouse" in r.getMessage() for r in caplog.records) == 2
