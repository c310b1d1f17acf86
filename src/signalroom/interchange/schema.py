"""The interchange format published as JSON Schema."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from signalroom.interchange.models import FORMAT_VERSION, RECORD_TYPES, Record

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"https://signalroom.dev/schema/interchange-v{FORMAT_VERSION}.json"


def json_schema(kind: str | None = None) -> dict[str, Any]:
    """The schema of one record kind, or of any record (one per JSON Lines line) when kind is None."""
    if kind is None:
        schema = TypeAdapter(Record).json_schema(mode="validation")
        title = f"signalroom interchange record v{FORMAT_VERSION}"
    else:
        if kind not in RECORD_TYPES:
            raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(RECORD_TYPES)}")
        schema = RECORD_TYPES[kind].model_json_schema(mode="validation")
        title = f"signalroom interchange {kind} v{FORMAT_VERSION}"
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID if kind is None else SCHEMA_ID.replace(".json", f"/{kind}.json"),
        "title": title,
        "description": (
            "One record per line (JSON Lines), told apart by the field `kind`. Timestamps are "
            "RFC 3339 with a UTC offset. Unknown fields are kept in `attributes`."
        ),
        **{k: v for k, v in schema.items() if k != "title"},
    }
