from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from centre_fixtures import Centre, build_centre
from live_server import browser, serve


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Centre]]:
    """The demo centre served on 127.0.0.1 for one test module (the tests change it)."""
    centre = build_centre(tmp_path_factory.mktemp("live"))
    with serve(centre.db) as base:
        yield base, centre


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A fresh browser profile per test: its own cookies."""
    ctx = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()
