"""`signalroom quarantine`: see, understand and retry the records that could not be taken in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store
from signalroom.ingest.adapters.base import DEFAULT_MAX_RECORD_BYTES, ReadLimits
from signalroom.ingest.loader import IngestError
from signalroom.ingest.retry import retry_entries
from signalroom.store.reads import (
    QuarantineFilter,
    count_quarantine,
    get_quarantine,
    list_quarantine,
)

app = typer.Typer(help="See, understand and retry quarantined records.", no_args_is_help=True)

StatusOption = Annotated[str, typer.Option(help="pending, resolved or all.", case_sensitive=False)]
SourceOption = Annotated[str | None, typer.Option(help="Only entries from this source.")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Only entries with this reason code.")]
FileOption = Annotated[str | None, typer.Option("--file", help="Only entries from this file.")]


def _file(value: str | None) -> str | None:
    """Files are recorded with absolute paths; accept one relative to here too."""
    return str(Path(value).absolute()) if value else None


def _status(value: str) -> str | None:
    value = value.lower()
    if value not in ("pending", "resolved", "all"):
        fail(f"--status must be pending, resolved or all, not {value!r}")
    return None if value == "all" else value


@app.command("list")
def list_entries(
    status: StatusOption = "pending",
    source: SourceOption = None,
    reason: ReasonOption = None,
    file: FileOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List quarantined records, oldest first."""
    flt = QuarantineFilter(status=_status(status), source=source, reason_code=reason, file=_file(file))
    with open_store(db, read_only=True) as store:
        entries = list_quarantine(store, flt, limit)
        total = count_quarantine(store, flt)
    if json:
        emit_json({"total": total, "entries": [e.to_dict(with_raw=False) for e in entries]})
        return
    table = Table(title=f"Quarantine: {total:,} {status} entr{'y' if total == 1 else 'ies'}")
    for column in ("id", "source", "file", "where", "reason code", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), e.source, e.file, e.location, e.reason_code, e.reason)
    console.print(table)
    if total > len(entries):
        console.print(f"… {total - len(entries):,} more; narrow with --source/--reason/--file or raise --limit.")


@app.command()
def show(
    entry_id: Annotated[int, typer.Argument(metavar="ID", help="The entry's id (see `quarantine list`).")],
    raw: Annotated[bool, typer.Option("--raw", help="Print only the raw record, e.g. to correct it.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Show one quarantined record: where it came from, why, and its raw text."""
    with open_store(db, read_only=True) as store:
        entry = get_quarantine(store, entry_id)
    if entry is None:
        fail(f"no quarantine entry {entry_id}")
    if raw:
        typer.echo(entry.raw)
        return
    if json:
        emit_json(entry.to_dict())
        return
    retries = f"{entry.attempts} retr{'y' if entry.attempts == 1 else 'ies'}"
    console.print(f"[bold]Quarantine entry {entry.id}[/] ({entry.status}, {retries})")
    console.print(f"source {entry.source} · format {entry.format} · load #{entry.load_id}")
    console.print(f"from   {entry.file}, {entry.location}")
    console.print(f"reason [yellow]{entry.reason_code}[/]: {entry.reason}", highlight=False)
    if entry.field:
        console.print(f"field  {entry.field}")
    if entry.resolved_by:
        console.print(f"resolved by {entry.resolved_by}")
    note = f" (first {len(entry.raw):,} characters of {entry.raw_bytes:,} bytes)" if entry.raw_truncated else ""
    console.print(f"raw{note}:")
    console.print(entry.raw, markup=False, highlight=False, soft_wrap=True)


@app.command()
def retry(
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...", help="Entries to retry.")] = None,
    all_pending: Annotated[bool, typer.Option("--all", help="Retry every pending entry (filters apply).")] = False,
    source: SourceOption = None,
    reason: ReasonOption = None,
    file: FileOption = None,
    with_file: Annotated[
        Path | None,
        typer.Option("--with", help="Retry one entry with this corrected record text instead of the stored one."),
    ] = None,
    max_record_bytes: Annotated[
        int, typer.Option(min=1, help="Records larger than this stay quarantined as oversized.")
    ] = DEFAULT_MAX_RECORD_BYTES,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Map quarantined records again (after a fix, a new limit, or with a corrected text)."""
    if not ids and not all_pending:
        fail("name the entries to retry, or pass --all")
    if ids and all_pending:
        fail("pass either entry ids or --all, not both")
    replacement = None
    if with_file is not None:
        if not ids or len(ids) != 1:
            fail("--with corrects one entry: name exactly one id")
        if not with_file.is_file():
            fail(f"no such file: {with_file}")
        replacement = with_file.read_text("utf-8").strip()
    flt = QuarantineFilter(status="pending", source=source, reason_code=reason, file=_file(file), ids=tuple(ids or ()))
    with open_store(db) as store:
        entries = list_quarantine(store, flt, limit=None)
        if ids:
            missing = sorted(set(ids) - {e.id for e in entries})
            if missing:
                fail(f"no pending quarantine entr{'y' if len(missing) == 1 else 'ies'} {', '.join(map(str, missing))}")
        limits = ReadLimits(max_record_bytes=max_record_bytes)
        try:
            if json or not sys.stderr.isatty():
                report = retry_entries(store, entries, limits=limits, replacement=replacement)
            else:
                with Progress(
                    TextColumn("[bold]retrying"), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
                ) as bar:
                    task = bar.add_task("retry", total=len(entries))
                    report = retry_entries(
                        store,
                        entries,
                        limits=limits,
                        replacement=replacement,
                        on_entry=lambda _: bar.advance(task),
                    )
        except IngestError as exc:
            fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    console.print(
        f"Retried {len(report.outcomes):,}: {report.resolved:,} resolved, {report.failed:,} still quarantined."
    )
    for outcome in report.outcomes:
        if not outcome.resolved:
            console.print(f"  {outcome.entry_id}: {outcome.reason}", highlight=False)
