"""One contract for every registered adapter, as scikit-learn checks every estimator."""

from __future__ import annotations

import inspect
from pathlib import Path

import orjson
import pytest

from signalroom.ingest.adapters.base import Adapter, Candidate, ReadLimits, Rejected, registry
from support import interaction

ADAPTERS = sorted(registry().items())


def test_the_issue_formats_are_registered() -> None:
    assert {name for name, _ in ADAPTERS} >= {
        "jsonl",
        "utterance-csv",
        "contact-lens",
        "ccai",
        "genesys",
        "zendesk",
    }


@pytest.mark.parametrize(("name", "cls"), ADAPTERS, ids=[n for n, _ in ADAPTERS])
class TestAdapterContract:
    def test_identity(self, name: str, cls: type[Adapter]) -> None:
        assert cls.name == name
        assert cls.description and cls.description[0].isalpha()
        assert cls.extensions and all(e.startswith(".") for e in cls.extensions)

    def test_constructor_only_stores_keyword_only_options(self, name: str, cls: type[Adapter]) -> None:
        params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), params
        assert all(p.default is not inspect.Parameter.empty for p in params), params
        adapter = cls()
        for p in params:
            assert getattr(adapter, p.name) == p.default, f"{name} does not store {p.name} as given"

    def test_sniff_is_specific(self, name: str, cls: type[Adapter], tmp_path: Path) -> None:
        interchange = tmp_path / "records.jsonl"
        head = orjson.dumps(interaction()) + b"\n"
        interchange.write_bytes(head)
        assert cls.sniff(interchange, head) is (name == "jsonl")
        noise = tmp_path / "noise.json"
        noise.write_bytes(b'{"hello": "world", "n": [1, 2, 3]}')
        assert cls.sniff(noise, noise.read_bytes()) is False
        empty = tmp_path / "empty.json"
        empty.write_bytes(b"")
        assert cls.sniff(empty, b"") is False

    def test_foreign_content_is_rejected_not_raised(self, name: str, cls: type[Adapter], tmp_path: Path) -> None:
        adapter = cls()
        limits = ReadLimits()
        for filename, content in (
            ("garbage.json", b"\x00\x01 not json at all {"),
            ("garbage.csv", b"\xff\xfe\x00binary"),
            ("empty.json", b""),
        ):
            path = tmp_path / filename
            path.write_bytes(content)
            files = adapter.plan([path], limits)
            items = [item for f in files for item in adapter.read(f, limits)]
            assert all(isinstance(i, Rejected | Candidate) for i in items)
            for item in items:
                if isinstance(item, Rejected):
                    assert item.code and item.reason and item.file == str(path)
