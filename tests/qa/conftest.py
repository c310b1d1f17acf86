from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from signalroom.demo import DemoConfig, generate
from signalroom.ingest.loader import Loader
from signalroom.pipeline.analyze import analyze
from signalroom.qa.run import score
from signalroom.store import Store


@pytest.fixture(scope="session")
def scored_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo month generated, ingested, analysed (fast tier) and scored once for the session."""
    work = tmp_path_factory.mktemp("qa-demo")
    out = work / "demo"
    generate(DemoConfig(out=out))
    db = work / "w.duckdb"
    with Store.open(db) as store:
        Loader(store, resolve_identities=True).ingest([out], fmt="jsonl", source="demo")
        analyze(store, tier="fast")
        report = score(store)
    assert report.interactions == 3667 and not report.sync.errors
    return out, db


@pytest.fixture(scope="module")
def month(scored_demo: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The scored demo month (its files, with the truth) and a copy of its warehouse of the module's own."""
    out, db = scored_demo
    copy = tmp_path_factory.mktemp("qa-month") / db.name
    shutil.copyfile(db, copy)
    return out, copy
