"""A small run of benchmarks/pii_eval.py on the shared datasets: per-entity recall and precision floors.

Floors are the full run's figures (docs/pii.md) minus a margin; skipped when ../shared/data is absent."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from support import REPO, SHARED_DATA

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "banking77").exists(), reason="../shared/data is absent")

# entity: (recall floor, precision floor)
FLOORS = {
    "ACCOUNT": (0.95, 0.95),
    "ADDRESS": (0.60, 0.95),
    "CARD": (0.95, 0.95),
    "CVV": (0.60, 0.95),
    "DOB": (0.95, 0.95),
    "EMAIL": (0.95, 0.95),
    "EXPIRY": (0.55, 0.95),
    "IBAN": (0.95, 0.95),
    "NAME": (0.80, 0.90),
    "NATIONAL_ID": (0.95, 0.95),
    "NUMBER": (0.95, 0.95),
    "PHONE": (0.93, 0.95),
    "PIN": (0.60, 0.90),
    "ROUTING": (0.95, 0.95),
    "SSN": (0.95, 0.95),
}


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pii_eval", REPO / "benchmarks" / "pii_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pii_eval"] = module
    spec.loader.exec_module(module)
    return module


def test_per_entity_floors() -> None:
    pii_eval = _load_eval()
    from signalroom.pipeline.redact import Redactor

    examples = pii_eval.build(1000, 7)
    table, _ = pii_eval.evaluate(examples, Redactor())
    for entity, (recall, precision) in FLOORS.items():
        assert table[entity]["recall"] >= recall, (entity, table[entity])
        assert table[entity]["precision"] >= precision, (entity, table[entity])
    assert table["ALL (micro)"]["f1"] >= 0.92
