"""Result records as plain dicts, cheaply."""

from __future__ import annotations

from typing import Any


def shallow_dict(record: Any) -> dict[str, Any]:
    """A slotted dataclass's fields as a dict, values as they are.

    ``dataclasses.asdict`` deep-copies every value; on the hot path of the pipeline that cost more
    than computing the result. The records are frozen and their values are never mutated, so
    sharing them is safe."""
    return {name: getattr(record, name) for name in record.__slots__}
