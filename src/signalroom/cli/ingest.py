"""`signalroom ingest`: load files from any supported platform into the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store
from signalroom.ingest.adapters.base import DEFAULT_MAX_RECORD_BYTES, ReadLimits, registry
from signalroom.ingest.loader import DEFAULT_BATCH_SIZE, IngestError, Loader, expand_paths
from signalroom.store import LoadSummary


class _RichProgress:
    """Bytes read across every file of the command."""

    def __init__(self, progress: Progress, total: int) -> None:
        self._progress = progress
        self._task = progress.add_task("ingest", total=total, file="")

    def start_file(self, path: Path, size: int) -> None:
        self._progress.update(self._task, file=path.name)

    def advance(self, nbytes: int) -> None:
        self._progress.advance(self._task, nbytes)


def _pairs(values: list[str] | None, option: str) -> dict[str, str] | None:
    if not values:
        return None
    mapping: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip() or not target.strip():
            fail(f"{option} expects KEY=VALUE, got {value!r}")
        mapping[key.strip()] = target.strip()
    return mapping


def _summary_table(summaries: list[LoadSummary]) -> Table:
    table = Table(title="Ingest summary")
    for column in ("source", "format", "read", "inserted", "updated", "unchanged", "quarantined"):
        table.add_column(column, justify="right" if column not in ("source", "format") else "left")
    for s in summaries:
        c = s.counts
        table.add_row(
            s.source,
            s.format,
            f"{s.records_read:,}",
            f"{c.inserted:,}",
            f"{c.updated:,}",
            f"{c.unchanged:,}",
            f"{c.quarantined:,}",
        )
    return table


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load (folders are read recursively).")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="auto (detect per file), jsonl (interchange v1), utterance-csv, contact-lens, ccai, "
            "genesys or zendesk.",
        ),
    ] = "auto",
    source: Annotated[
        str | None,
        typer.Option(help="Name of the source system; records are keyed by (source, id). Default: the format."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="utterance-csv: map a field to a column, FIELD=COLUMN (repeatable)."),
    ] = None,
    speaker: Annotated[
        list[str] | None,
        typer.Option("--speaker", help="utterance-csv: map a speaker label, LABEL=SPEAKER (repeatable)."),
    ] = None,
    channel: Annotated[
        str | None, typer.Option(help="utterance-csv: the channel when the file has no channel column.")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="utterance-csv: the field delimiter (default: sniffed).")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="utterance-csv: IANA zone for timestamps written without an offset (else quarantined)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per committed transaction.")] = DEFAULT_BATCH_SIZE,
    max_record_bytes: Annotated[
        int, typer.Option(min=1, help="Records larger than this are quarantined as oversized.")
    ] = DEFAULT_MAX_RECORD_BYTES,
    strict: Annotated[bool, typer.Option(help="Exit with status 1 when any record was quarantined.")] = False,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact/--no-redact",
            help="Redact PII in turn texts before they are stored (the default; see docs/pii.md). "
            "--no-redact stores them as they arrive and leaves redaction to `signalroom analyze`.",
        ),
    ] = True,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Load interactions, events, surveys and customers; bad records go to the quarantine."""
    if fmt != "auto" and fmt not in registry():
        fail(f"unknown format {fmt!r}; expected auto or one of {', '.join(sorted(registry()))}")
    options: dict[str, Any] = {
        "columns": _pairs(column, "--column"),
        "speakers": _pairs(speaker, "--speaker"),
        "channel": channel,
        "delimiter": delimiter,
        "timezone": timezone,
    }
    options = {k: v for k, v in options.items() if v is not None}
    limits = ReadLimits(max_record_bytes=max_record_bytes)
    try:
        files = expand_paths(paths)
    except IngestError as exc:
        fail(str(exc))
    with open_store(db) as store:
        loader = Loader(store, batch_size=batch_size, limits=limits)
        if redact:
            from signalroom.pipeline.redact.at_ingest import IngestRedactor

            loader.redactor = IngestRedactor()
        show_progress = not json and sys.stderr.isatty()
        try:
            if show_progress:
                with Progress(
                    TextColumn("[bold]{task.fields[file]}"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    TimeRemainingColumn(),
                    console=err_console,
                    transient=True,
                ) as bar:
                    loader.progress = _RichProgress(bar, sum(p.stat().st_size for p in files))
                    summaries = loader.ingest(files, fmt=fmt, source=source, adapter_options=options)
            else:
                summaries = loader.ingest(files, fmt=fmt, source=source, adapter_options=options)
        except IngestError as exc:
            fail(str(exc))
    if json:
        emit_json({"loads": [s.to_dict() for s in summaries]})
    else:
        console.print(_summary_table(summaries))
        for s in summaries:
            for code, count in sorted(s.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                console.print(f"  quarantined [yellow]{code}[/]: {count:,}")
            for reason, count in sorted(s.counts.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
                console.print(f"  skipped ({reason}): {count:,}")
            for warning in s.warnings:
                console.print(f"  [yellow]warning:[/] {warning}")
        if any(s.counts.quarantined for s in summaries):
            console.print("See them with [bold]signalroom quarantine list[/].")
    if strict and any(s.counts.quarantined for s in summaries):
        raise typer.Exit(1)
