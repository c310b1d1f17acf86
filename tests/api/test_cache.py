"""The cache of costly results: kept across logins, emptied by a write that may change what it holds."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from centre_fixtures import PASSWORD, Centre
from signalroom.api import cache
from signalroom.auth import audit


def _computations(client: TestClient) -> list[int]:
    """Asks the cache for one entry; answers how many times it had to compute it so far."""
    calls: list[int] = []
    store = client.app.state.signalroom.request_store()  # type: ignore[attr-defined]
    try:
        cache.cached(store, ("test-entry",), lambda: calls.append(1) or 42)
    finally:
        store.close()
    return calls


def test_logging_in_and_out_keeps_the_cache_but_a_change_empties_it(centre: Centre, client: Any) -> None:
    cache.clear()
    assert _computations(client) == [1]
    assert _computations(client) == []  # cached
    login = client.post("/login", data={"username": "analyst", "password": PASSWORD}, follow_redirects=False)
    assert login.status_code == 303
    csrf = client.get("/api/v1/auth/me").json()["csrf_token"]
    assert _computations(client) == []  # a login changes no data
    renamed = client.post(
        f"/api/v1/topics/{centre.facts['reason_id']}/rename", json={"name": "Refund questions"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    store = client.app.state.signalroom.request_store()  # type: ignore[attr-defined]
    try:
        [entry], _ = audit.entries(store, action="settings_change")
    finally:
        store.close()
    assert (entry["username"], entry["resource"], entry["detail"]["name"]) == (
        "analyst",
        f"reason {centre.facts['reason_id']}",
        "Refund questions",
    )
    assert _computations(client) == [1]  # a rename may show in any cached result
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert _computations(client) == []
