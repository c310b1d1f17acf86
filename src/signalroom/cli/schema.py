"""`signalroom schema`: the interchange format as JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from signalroom.cli.common import emit_json, fail
from signalroom.interchange.models import RECORD_TYPES
from signalroom.interchange.schema import json_schema


def schema(
    kind: Annotated[
        str | None,
        typer.Option(help=f"One record kind ({', '.join(RECORD_TYPES)}); default: any record."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the schema to this file instead of stdout.")] = None,
) -> None:
    """Print the interchange format v1 as JSON Schema (draft 2020-12)."""
    try:
        document = json_schema(kind)
    except ValueError as exc:
        fail(str(exc))
    if out is None:
        emit_json(document)
    else:
        out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
