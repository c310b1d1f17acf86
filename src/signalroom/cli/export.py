"""`signalroom export`: the warehouse's contents with every derived field, for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.store.analysis_reads import EXPORT_FORMATS, export_interactions

app = typer.Typer(help="Export data with every derived field.", no_args_is_help=True)


@app.command()
def interactions(
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet, jsonl or csv.")] = "parquet",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Every interaction, one row each, with its analysis (reason, flags, one JSON column per stage)."""
    if fmt not in EXPORT_FORMATS:
        fail(f"unknown format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if out.parent and not out.parent.exists():
        fail(f"folder {out.parent} does not exist")
    with open_store(db, read_only=True) as store:
        written = export_interactions(store, out, fmt)
    if json:
        emit_json({"out": str(out), "format": fmt, "interactions": written})
    else:
        console.print(f"Wrote {written:,} interactions to {out} ({fmt}).")
