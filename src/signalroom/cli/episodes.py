"""`signalroom episodes`: contacts by one person about one reason, across channels and days."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store
from signalroom.journeys.episodes import DEFAULT_WINDOW_DAYS, EpisodeConfig, build_episodes

app = typer.Typer(help="Episodes: a person's contacts about one reason within a window.", no_args_is_help=True)


@app.command("build")
def build(
    window_days: Annotated[
        int | None,
        typer.Option(
            "--window-days",
            help=f"Contacts about one reason at most this many days apart are one episode "
            f"(default: the last build's, else {DEFAULT_WINDOW_DAYS}).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rebuild the contacts and episodes from interactions, people and reasons."""
    if window_days is not None and window_days < 1:
        fail(f"--window-days must be at least 1, got {window_days}")
    with open_store(db) as store:
        report = build_episodes(store, EpisodeConfig(window_days) if window_days is not None else None)
    if json:
        emit_json(report.to_dict())
        return
    table = Table(
        title=f"Episodes (window {report.window_days} days, built in {report.seconds:.2f} s)", show_header=False
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("interactions", report.interactions),
        ("contacts (parent_id chains)", report.contacts),
        ("  of more than one interaction", report.chained_contacts),
        ("episodes", report.episodes),
        ("  with repeat contacts", report.episodes_with_repeats),
        ("  resolved at the end", report.resolved_at_end),
        ("  without a person", report.without_person),
        ("  without a reason", report.without_reason),
        ("most contacts in one episode", report.most_contacts),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
