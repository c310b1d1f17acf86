"""Interchange format v1 as JSON Lines: the lines pass straight to validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.adapters.base import Adapter, Candidate, Item, ReadLimits, register
from signalroom.ingest.reading import iter_lines, oversized


@register
class JsonlAdapter(Adapter):
    name = "jsonl"
    description = "signalroom interchange format v1, one JSON record per line"
    extensions = (".jsonl", ".ndjson", ".json")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        try:
            obj = orjson.loads(first)
        except orjson.JSONDecodeError:
            return path.suffix in (".jsonl", ".ndjson") and b'"kind"' in first
        return isinstance(obj, dict) and obj.get("kind") in ("interaction", "event", "survey", "customer")

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        file = str(path)
        for line in iter_lines(path, limits.max_record_bytes):
            if line.oversized:
                yield oversized(file, line, limits.max_record_bytes)
                continue
            # Decoding is left to validation (pydantic reads bytes); only a failure is looked at closer.
            yield Candidate(file, f"line {line.number}", line.number, line.data, line.data)

    def reconvert(self, raw: str, *, file: str, location: str, line: int | None) -> Iterator[Item]:
        yield Candidate(file, location, line, raw, raw.encode("utf-8", "surrogateescape"))

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        yield Candidate(file, location, line, raw, orjson.dumps(obj))
