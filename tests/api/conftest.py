from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import Centre, build_centre
from signalroom.actions.actions import create_action, update_action
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings
from signalroom.store import Store


@pytest.fixture(scope="session")
def centre_template(tmp_path_factory: pytest.TempPathFactory) -> Centre:
    return build_centre(tmp_path_factory.mktemp("centre"))


@pytest.fixture(scope="module")
def shared_client(centre_template: Centre, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client over a module's own copy: for tests that only read (or whose writes do not matter)."""
    copy = centre_template.copy_to(tmp_path_factory.mktemp("shared"))
    with TestClient(create_app(ServeSettings(db=copy.db))) as client:
        yield client


@pytest.fixture
def centre(centre_template: Centre, tmp_path: Path) -> Centre:
    """A copy of the demo centre of the test's own, to change."""
    return centre_template.copy_to(tmp_path)


@pytest.fixture
def client(centre: Centre) -> Iterator[TestClient]:
    with TestClient(create_app(ServeSettings(db=centre.db))) as test_client:
        yield test_client


@pytest.fixture
def done_client(centre: Centre) -> Iterator[TestClient]:
    """An action done in the middle of the demo's month, so its impact has days before and after."""
    with Store.open(centre.db) as store:
        create_action(store, by="analyst", signal_id=centre.facts["signal_id"], when=datetime(2026, 3, 1, tzinfo=UTC))
        update_action(store, 1, by="analyst", status="in_progress", when=datetime(2026, 3, 2, tzinfo=UTC))
        update_action(store, 1, by="analyst", status="done", when=datetime(2026, 3, 15, 12, tzinfo=UTC))
    with TestClient(create_app(ServeSettings(db=centre.db)), follow_redirects=False) as test_client:
        yield test_client
