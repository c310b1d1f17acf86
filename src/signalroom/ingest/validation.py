"""Validating candidates against the interchange format, with reasons a person can act on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from signalroom.interchange.models import (
    CHANNELS,
    SPEAKERS,
    Customer,
    Event,
    Interaction,
    Survey,
    record_adapter,
)

Record = Interaction | Event | Survey | Customer

# pydantic error type -> our reason code
_CODES = {
    "missing": "missing_field",
    "timezone_aware": "timestamp_without_offset",
    "datetime_parsing": "bad_timestamp",
    "datetime_type": "bad_timestamp",
    "datetime_from_date_parsing": "bad_timestamp",
    "literal_error": "unknown_value",
    "union_tag_invalid": "unknown_kind",
    "union_tag_not_found": "missing_kind",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "string_too_short": "out_of_range",
    "string_too_long": "out_of_range",
    "string_pattern_mismatch": "bad_format",
    "value_error": "invalid_value",
    "extra_forbidden": "unknown_field",
    "json_invalid": "malformed_json",
    "model_type": "wrong_type",
    "model_attributes_type": "wrong_type",
}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    field: str | None
    reason: str


def _field_path(loc: tuple[int | str, ...]) -> str | None:
    parts: list[str] = []
    # The first element of a tagged union's location is the tag (e.g. 'interaction').
    for index, part in enumerate(loc):
        if index == 0 and part in ("interaction", "event", "survey", "customer"):
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or None


def _describe(error: ErrorDetails) -> Problem:
    kind = error["type"]
    field = _field_path(error["loc"])
    code = _CODES.get(kind, "wrong_type" if kind.endswith("_type") else "invalid_value")
    value = error.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if len(shown) > 80:
        shown = shown[:77] + "…"
    where = field or "record"
    if kind == "missing":
        message = f"missing required field {where}"
    elif kind == "union_tag_not_found":
        message = "missing field kind (one of interaction, event, survey, customer)"
        field = "kind"
    elif kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag")
        message = f"unknown kind {tag!r} (expected interaction, event, survey or customer)"
        field = "kind"
    elif kind == "json_invalid":
        detail = (error.get("ctx") or {}).get("error", error["msg"])
        message = f"malformed JSON: {detail}"
    elif kind == "timezone_aware":
        message = f"{where}: timestamp {shown} has no UTC offset (write e.g. 2026-03-02T09:15:00+01:00)"
    elif kind.startswith("datetime"):
        message = f"{where}: {shown} is not an RFC 3339 timestamp"
    elif kind == "literal_error" and field and field.endswith("channel") and "." not in field:
        message = f"channel: unknown channel {shown} (expected one of {', '.join(CHANNELS)})"
        code = "unknown_channel"
    elif kind == "literal_error" and field and field.endswith("speaker"):
        message = f"{where}: unknown speaker {shown} (expected one of {', '.join(SPEAKERS)})"
        code = "unknown_speaker"
    elif kind == "value_error":
        message = f"{where}: {error['msg'].removeprefix('Value error, ')}"
    else:
        message = f"{where}: {error['msg'][0].lower()}{error['msg'][1:]} (got {shown})"
    return Problem(code, field, message)


def describe_validation_error(exc: ValidationError) -> Problem:
    """The first problem, with a count of the others: enough to fix the record."""
    errors = exc.errors(include_url=False)
    first = _describe(errors[0])
    if len(errors) > 1:
        others = ", ".join(sorted({_field_path(e["loc"]) or "record" for e in errors[1:]})[:5])
        return Problem(first.code, first.field, f"{first.reason}; {len(errors) - 1} more problem(s) in {others}")
    return first


def content_hash(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def validate(payload: bytes | dict[str, Any]) -> tuple[Record, str] | Problem:
    """A validated record and its content hash, or the problem that keeps it out."""
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    try:
        record = record_adapter.validate_json(data)
    except ValidationError as exc:
        return describe_validation_error(exc)
    return record, content_hash(data)
