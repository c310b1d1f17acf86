"""Shared reading for platform exports (Genesys Cloud, Zendesk): one JSON document holding a list
of records, a bare record, a JSON array, or JSON Lines; and strict timestamp parsing.

Every record comes out as a :class:`Unit` with a location a person can find in the file
(``$.tickets[3]``, ``$[2]``, ``line 7``), or as a :class:`Rejected` for the file or line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.adapters.base import AdapterError, ReadLimits, Rejected
from signalroom.ingest.reading import iter_lines, load_json_document, oversized, parse_json_line

LINE_SUFFIXES = (".jsonl", ".ndjson")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Unit:
    """One source record: the parsed object, where it is, its JSON text and its envelope."""

    obj: Any
    location: str
    line: int | None
    raw: str
    envelope: dict[str, Any] | None = None


def is_json_lines(path: Path, head: bytes) -> bool:
    """JSON Lines: by suffix, or a first line that is a whole JSON object followed by more lines."""
    if path.suffix.lower() in LINE_SUFFIXES:
        return True
    lines = [part for part in head.lstrip().split(b"\n") if part.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


def first_object(head: bytes) -> dict[str, Any] | None:
    """The first JSON object of a file's head when it parses on its own (one-line documents, JSONL)."""
    first = head.lstrip().split(b"\n", 1)[0]
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(64 * 1024)


def _dump(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _expand(
    obj: Any, where: str, line: int | None, list_key: Callable[[dict[str, Any]], str | None], raw: str
) -> Iterator[Unit]:
    prefix = f"{where} " if where else ""
    if isinstance(obj, dict):
        key = list_key(obj)
        if key is not None and isinstance(obj.get(key), list):
            for index, item in enumerate(obj[key]):
                yield Unit(item, f"{prefix}$.{key}[{index}]", line, _dump(item), obj)
            return
        yield Unit(obj, where or "$", line, raw or _dump(obj), None)
    elif isinstance(obj, list) and not where:
        for index, item in enumerate(obj):
            yield Unit(item, f"$[{index}]", line, _dump(item), None)
    else:
        yield Unit(obj, where or "$", line, raw or _dump(obj), None)


def read_units(
    path: Path, limits: ReadLimits, list_key: Callable[[dict[str, Any]], str | None]
) -> Iterator[Unit | Rejected]:
    """Every record of a file. ``list_key`` names the list a page object holds its records in
    (``conversations``, ``tickets``…) or None when the object is itself a record."""
    file = str(path)
    if is_json_lines(path, _head(path)):
        for line in iter_lines(path, limits.max_record_bytes):
            if line.oversized:
                yield oversized(file, line, limits.max_record_bytes)
                continue
            obj = parse_json_line(file, line)
            if isinstance(obj, Rejected):
                yield obj
                continue
            yield from _expand(obj, f"line {line.number}", line.number, list_key, line.data.decode())
        return
    doc = load_json_document(path, limits.max_document_bytes)
    if isinstance(doc, Rejected):
        yield doc
        return
    yield from _expand(doc, "", None, list_key, "")


def load_at(
    path: Path, location: str, limits: ReadLimits, list_key: Callable[[dict[str, Any]], str | None]
) -> Unit | None:
    """Re-read the record at a location given by :func:`read_units` (None when it is gone)."""
    for unit in read_units(path, limits, list_key):
        if not isinstance(unit, Rejected) and unit.location == location:
            return unit
    return None


def parse_time(value: Any, field: str) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp with an offset (``Z`` included), or an AdapterError."""
    if value is None or value == "":
        raise AdapterError(f"missing required field {field}", field=field, code="missing_field")
    if not isinstance(value, str):
        raise AdapterError(f"{field}: expected a timestamp string, got {value!r}", field=field, code="wrong_type")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AdapterError(
            f"{field}: {value!r} is not an ISO 8601 timestamp", field=field, code="bad_timestamp"
        ) from None
    if moment.tzinfo is None:
        raise AdapterError(
            f"{field}: timestamp {value!r} has no UTC offset", field=field, code="timestamp_without_offset"
        )
    return moment


def epoch_ms(value: Any, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(f"{field}: expected epoch milliseconds, got {value!r}", field=field)
    return _EPOCH + timedelta(milliseconds=value)


def millis_between(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() * 1000)


def text_field(obj: dict[str, Any], key: str, field: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise AdapterError(f"missing required field {field}", field=field, code="missing_field")
        return None
    if not isinstance(value, str):
        raise AdapterError(f"{field}: expected a string, got {value!r}", field=field, code="wrong_type")
    return value
