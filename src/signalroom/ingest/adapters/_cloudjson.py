"""Helpers shared by the cloud contact-centre adapters (Amazon Connect Contact Lens, Google CCAI
Insights): walking the records of a JSON / JSON Lines export with locations a person can find,
and strict parsing of the timestamps and protobuf durations those platforms write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.adapters.base import AdapterError, ReadLimits, Rejected
from signalroom.ingest.reading import iter_lines, load_json_document, oversized, parse_json_line

_LINE_SUFFIXES = (".jsonl", ".ndjson")
_DURATION = re.compile(r"^(-?)(\d+)(?:\.(\d{1,9}))?s$")
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(slots=True)
class Found:
    """One record of a file: the parsed value, where it is, and its JSON text."""

    obj: Any
    location: str
    line: int | None
    raw: str | bytes


def head_of(path: Path, size: int = 64 * 1024) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def is_json_lines(path: Path, head: bytes) -> bool:
    """JSON Lines by suffix, or when the first line is a whole object and more lines follow."""
    if path.suffix.lower() in _LINE_SUFFIXES:
        return True
    lines = [part for part in head.lstrip().split(b"\n", 2) if part.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


def first_object(head: bytes) -> dict[str, Any] | None:
    """The first line of a file's head when it is a JSON object on its own."""
    try:
        obj = orjson.loads(head.lstrip().split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def iter_records(path: Path, limits: ReadLimits, list_keys: tuple[str, ...] = ()) -> Iterator[Found | Rejected]:
    """Every record of a file: one per JSON Lines line, per element of a top-level array or of a
    list response (``{"conversations": [...]}`` when ``list_keys`` names it), or the document."""
    file = str(path)
    if is_json_lines(path, head_of(path)):
        for line in iter_lines(path, limits.max_record_bytes):
            if line.oversized:
                yield oversized(file, line, limits.max_record_bytes)
                continue
            obj = parse_json_line(file, line)
            if isinstance(obj, Rejected):
                yield obj
            else:
                yield Found(obj, f"line {line.number}", line.number, line.data)
        return
    doc = load_json_document(path, limits.max_document_bytes)
    if isinstance(doc, Rejected):
        yield doc
        return
    if isinstance(doc, list):
        for index, item in enumerate(doc):
            yield Found(item, f"$[{index}]", None, orjson.dumps(item).decode())
        return
    if isinstance(doc, dict):
        for key in list_keys:
            if isinstance(doc.get(key), list):
                for index, item in enumerate(doc[key]):
                    yield Found(item, f"$.{key}[{index}]", None, orjson.dumps(item).decode())
                return
    yield Found(doc, "$", None, orjson.dumps(doc).decode())


def snake(name: str) -> str:
    """``LoudnessScore`` → ``loudness_score``, ``startOffset`` → ``start_offset``."""
    return _SNAKE.sub("_", name).replace("-", "_").lower()


def timestamp(value: Any, field: str) -> datetime:
    """An RFC 3339 timestamp with an offset (``Z`` included; nanoseconds are cut to microseconds)."""
    if not isinstance(value, str) or not value:
        raise AdapterError(
            f"{field}: expected an RFC 3339 timestamp string, got {value!r}",
            field=field,
            code="bad_timestamp",
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AdapterError(
            f"{field}: {value!r} is not an RFC 3339 timestamp", field=field, code="bad_timestamp"
        ) from None
    if moment.tzinfo is None:
        raise AdapterError(
            f"{field}: timestamp {value!r} has no UTC offset", field=field, code="timestamp_without_offset"
        )
    return moment


def duration_ms(value: Any, field: str) -> int:
    """A protobuf JSON duration (``"1.500s"``, ``"62s"``) in whole milliseconds."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise AdapterError(f'{field}: {value!r} is not a duration like "1.500s"', field=field, code="bad_duration")
    sign, seconds, fraction = match.groups()
    micros = int(seconds) * 1_000_000 + int((fraction or "0").ljust(9, "0")[:6])
    if sign:
        raise AdapterError(f"{field}: duration {value!r} is negative", field=field, code="out_of_range")
    return round(micros / 1000)


def epoch_usec(value: Any, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdapterError(
            f"{field}: expected epoch microseconds as an integer, got {value!r}",
            field=field,
            code="wrong_type",
        )
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def millis(start: datetime, end: datetime) -> int:
    return round((end - start) / timedelta(milliseconds=1))


def text(obj: dict[str, Any], key: str, field: str, *, required: bool = False) -> str | None:
    """A string field, None when absent or empty; AdapterError when it has another type."""
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise AdapterError(f"missing required field {field}", field=field, code="missing_field")
        return None
    if not isinstance(value, str):
        raise AdapterError(f"{field}: expected a string, got {value!r}", field=field, code="wrong_type")
    return value


def mapping(obj: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    """An object field ({} when absent); AdapterError when it is something else."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AdapterError(f"{field}: expected an object, got {type(value).__name__}", field=field, code="wrong_type")
    return value


def array(obj: dict[str, Any], key: str, field: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AdapterError(f"{field}: expected an array, got {type(value).__name__}", field=field, code="wrong_type")
    return value


def count(value: Any, field: str) -> int | None:
    """A non-negative integer (milliseconds, offsets), None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise AdapterError(f"{field}: expected a non-negative number, got {value!r}", field=field, code="wrong_type")
    return round(value)
