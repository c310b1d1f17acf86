"""Reading shared by the JSON-export adapters (Contact Lens, CCAI Insights, Genesys Cloud, Zendesk).

A file's records come from JSON Lines (one a line), a JSON array, an API list or page response
(``{"tickets": [...]}``; also on a JSON Lines line) or a single document. Every record comes out as
a :class:`Found` with a location a person can find in the file (``line 7``, ``$[2]``,
``$.tickets[3]``, ``line 2 $.tickets[0]``), or as a :class:`Rejected` for the file or the line.

Also here: the strict field readers those adapters share (timestamps with an offset, epoch times,
protobuf durations, typed fields) and the tests for a customer's phone number or email address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.adapters.base import AdapterError, Item, ReadLimits, Rejected
from signalroom.ingest.reading import iter_lines, load_json_document, oversized, parse_json_line

LINE_SUFFIXES = (".jsonl", ".ndjson")
HEAD_BYTES = 64 * 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION = re.compile(r"^(-?)(\d+)(?:\.(\d{1,9}))?s$")
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# The list a page object holds its records in (None: the object is itself a record).
ListKey = Callable[[dict[str, Any]], str | None]
Convert = Callable[..., Iterator[Item]]


@dataclass(slots=True)
class Found:
    """One source record: the parsed value, where it is, its JSON text, and the page it was on."""

    obj: Any
    location: str
    line: int | None
    raw: str | bytes
    envelope: dict[str, Any] | None = None


# -- files ------------------------------------------------------------------------------------


def head_of(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def is_json_lines(path: Path, head: bytes) -> bool:
    """JSON Lines by suffix, or when the first line is a whole object and more lines follow."""
    if path.suffix.lower() in LINE_SUFFIXES:
        return True
    first, _, rest = head.lstrip().partition(b"\n")
    if not rest.strip():
        return False
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def first_object(head: bytes) -> dict[str, Any] | None:
    """The first line of a file's head when it is a JSON object on its own (JSONL, one-line files)."""
    try:
        obj = orjson.loads(head.lstrip().split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def list_in(*keys: str) -> ListKey:
    """A :data:`ListKey` for page objects that hold their records under one of ``keys``."""

    def key(obj: dict[str, Any]) -> str | None:
        return next((k for k in keys if isinstance(obj.get(k), list)), None)

    return key


def _dump(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _expand(obj: Any, where: str, line: int | None, list_key: ListKey | None, raw: str | bytes) -> Iterator[Found]:
    prefix = f"{where} " if where else ""
    key = list_key(obj) if list_key is not None and isinstance(obj, dict) else None
    if key is not None:
        for index, item in enumerate(obj[key]):
            yield Found(item, f"{prefix}$.{key}[{index}]", line, _dump(item), obj)
    elif isinstance(obj, list) and not where:
        for index, item in enumerate(obj):
            yield Found(item, f"$[{index}]", line, _dump(item))
    else:
        yield Found(obj, where or "$", line, raw or _dump(obj))


def iter_records(path: Path, limits: ReadLimits, list_key: ListKey | None = None) -> Iterator[Found | Rejected]:
    """Every record of a file: one per JSON Lines line, per element of a top-level array or of a
    page's list (named by ``list_key``, on a line or as the whole document), or the document."""
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
                yield from _expand(obj, f"line {line.number}", line.number, list_key, line.data)
        return
    doc = load_json_document(path, limits.max_document_bytes)
    if isinstance(doc, Rejected):
        yield doc
        return
    yield from _expand(doc, "", None, list_key, "")


def load_at(path: Path, location: str, limits: ReadLimits, list_key: ListKey | None = None) -> Found | None:
    """Re-read the record at a location given by :func:`iter_records` (None when it is gone)."""
    for found in iter_records(path, limits, list_key):
        if isinstance(found, Found) and found.location == location:
            return found
    return None


def convert_records(
    path: Path, limits: ReadLimits, convert: Convert, list_key: ListKey | None = None
) -> Iterator[Item]:
    """Every record of a file through an adapter's ``convert``; unreadable ones rejected."""
    for found in iter_records(path, limits, list_key):
        if isinstance(found, Rejected):
            yield found
        else:
            yield from convert(found.obj, file=str(path), location=found.location, line=found.line, raw=found.raw)


# -- fields -----------------------------------------------------------------------------------


def parse_time(value: Any, field: str, *, zone: tzinfo | None = None) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp with an offset (``Z`` included; nanoseconds are cut to
    microseconds). Without an offset it is read in ``zone`` when one is given, else refused."""
    if value is None or value == "":
        raise AdapterError(f"missing required field {field}", field=field, code="missing_field")
    if not isinstance(value, str):
        raise AdapterError(f"{field}: expected a timestamp string, got {value!r}", field=field, code="wrong_type")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AdapterError(
            f"{field}: {value!r} is not an RFC 3339 timestamp", field=field, code="bad_timestamp"
        ) from None
    if moment.tzinfo is None:
        if zone is None:
            raise AdapterError(
                f"{field}: timestamp {value!r} has no UTC offset", field=field, code="timestamp_without_offset"
            )
        moment = moment.replace(tzinfo=zone)
    return moment


def sortable_time(value: Any) -> float:
    """A timestamp as seconds for picking the newest version of a record; -inf when it has none
    or one that does not parse (any version with a good timestamp is newer)."""
    try:
        return parse_time(value, "").timestamp()
    except AdapterError:
        return float("-inf")


def epoch(value: Any, field: str, unit: timedelta) -> datetime:
    """A time given as a number of ``unit`` since 1970-01-01 UTC (milliseconds, microseconds)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdapterError(f"{field}: expected a number since the epoch, got {value!r}", field=field, code="wrong_type")
    return _EPOCH + value * unit


def millis(start: datetime, end: datetime) -> int:
    """Whole milliseconds from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return round((end - start) / timedelta(milliseconds=1))


def duration_ms(value: Any, field: str) -> int:
    """A protobuf JSON duration (``"1.500s"``, ``"62s"``) in whole milliseconds."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise AdapterError(f'{field}: {value!r} is not a duration like "1.500s"', field=field, code="bad_duration")
    sign, seconds, fraction = match.groups()
    if sign:
        raise AdapterError(f"{field}: duration {value!r} is negative", field=field, code="out_of_range")
    micros = int(seconds) * 1_000_000 + int((fraction or "0").ljust(9, "0")[:6])
    return round(micros / 1000)


def snake(name: str) -> str:
    """``LoudnessScore`` → ``loudness_score``, ``startOffset`` → ``start_offset``."""
    return _SNAKE.sub("_", name).replace("-", "_").lower()


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


def role(obj: dict[str, Any], key: str, field: str, roles: dict[str, str]) -> str:
    """A required role field whose value is one of ``roles``' keys (else ``unknown_speaker``)."""
    value = text(obj, key, field, required=True)
    if value not in roles:
        raise AdapterError(
            f"{field}: unknown role {value!r} (expected one of {', '.join(roles)})", field=field, code="unknown_speaker"
        )
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
    """An array field ([] when absent); AdapterError when it is something else."""
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


# -- customer references ----------------------------------------------------------------------


def is_email(value: str) -> bool:
    """Whether the interchange format takes ``value`` as a customer's email address."""
    return EMAIL.match(value) is not None


def is_phone(value: str) -> bool:
    """Whether the interchange format takes ``value`` as a customer's phone number (3-40 chars)."""
    return 3 <= len(value) <= 40
