"""`signalroom scorecard`: check QA scorecard files (docs/qa.md#scorecards)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import JsonOption, console, emit_json, err_console
from signalroom.qa.scorecard import ScorecardError, default_scorecard_paths, load_scorecard

app = typer.Typer(help="QA scorecards: check them before they score anything.", no_args_is_help=True)


@app.command()
def lint(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE.yaml...", help="Scorecards to check (default: the ones shipped).", show_default=False
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Validate scorecards: every problem is reported with its file, line and field; exit status 2
    when any file has one. A bad file does not stop the others from being checked."""
    paths = files or default_scorecard_paths()
    valid, invalid = [], []
    for path in paths:
        try:
            valid.append({"file": str(path), **load_scorecard(path).summary()})
        except ScorecardError as exc:
            invalid.append({"file": str(path), "error": str(exc)})
    if json:
        emit_json({"valid": valid, "invalid": invalid})
    else:
        if valid:
            table = Table(title="Valid scorecards")
            for column in ("file", "id", "version", "sections", "criteria", "kinds", "auto-fail"):
                table.add_column(column, overflow="fold")
            for card in valid:
                kinds = ", ".join(f"{k} {n}" for k, n in sorted(card["kinds"].items()))
                table.add_row(
                    card["file"], card["id"], str(card["version"]), str(card["sections"]), str(card["criteria"]),
                    kinds, ", ".join(card["auto_fail"]) or "—",
                )  # fmt: skip
            console.print(table)
        for problem in invalid:
            err_console.print(f"[bold red]error:[/] {problem['error']}", highlight=False)
    if invalid:
        raise typer.Exit(2)
