"""What every command shares: the --db and --json options, output, and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console

from signalroom.store import ENV_DB, Store, StoreError
from signalroom.store.migrations import MigrationError

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar=ENV_DB,
        help="The warehouse file (default ./signalroom.duckdb).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First day (YYYY-MM-DD, the record's local date).", show_default=False)
]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, included (YYYY-MM-DD).", show_default=False)]

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2).decode() + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's value; a bad one fails naming the option and the value."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date: use YYYY-MM-DD")


@contextmanager
def open_store(db: Path | None, *, read_only: bool = False) -> Iterator[Store]:
    try:
        store = Store.open(db, read_only=read_only)
    except (StoreError, MigrationError) as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()
