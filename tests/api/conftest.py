from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import Centre, build_centre
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings


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
