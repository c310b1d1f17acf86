"""`signalroom signals flag` and `signalroom signals flags`: advisors' signals
(docs/signals.md#advisors-signals). Two plain commands; the signals sub-app registers them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store, parse_day


def flag_command(
    text: Annotated[str, typer.Argument(help="The pattern, e.g. 'customers confused by the new fee letter'.")],
    advisor: Annotated[str, typer.Option("--advisor", help="Who flags it.", show_default=False)],
    interaction: Annotated[
        str | None,
        typer.Option("--interaction", help="An interaction that shows it, as SOURCE/ID.", show_default=False),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Flag a pattern you hear from customers; prints the flag's id. Subscribed webhooks receive a
    flag.created event."""
    from signalroom.signals.flags import FlagError, add_flag

    with open_store(db) as store:
        try:
            flag_id = add_flag(store, advisor=advisor, text=text, interaction=interaction)
        except FlagError as exc:
            fail(str(exc))
    if json:
        emit_json({"flag_id": flag_id})
    else:
        console.print(flag_id)


def flags_command(
    since: Annotated[
        str | None, typer.Option("--since", help="Only flags from this day on (YYYY-MM-DD, UTC).", show_default=False)
    ] = None,
    advisor: Annotated[
        str | None, typer.Option("--advisor", help="Only this advisor's flags.", show_default=False)
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Advisors' flags grouped by what they describe, with each group's count and the detected
    signal it matches in the latest ranked list."""
    from signalroom.signals.flags import FlagError, review_flags, review_rows

    day = parse_day(since, "--since")
    with open_store(db, read_only=True) as store:
        try:
            review = review_flags(store, advisor=advisor, since=day)
        except FlagError as exc:
            fail(str(exc))
    groups = review_rows(review)
    if json:
        emit_json({"groups": groups})
        return
    flags = sum(g["flags"] for g in groups)
    table = Table(title=f"Advisors' flags: {flags} in {len(groups)} groups")
    for column in ("group", "flags", "advisors", "what they say", "days", "matched signal"):
        table.add_column(column, overflow="fold")
    for row in groups:
        span = str(row["first"]) if row["first"] == row["last"] else f"{row['first']} to {row['last']}"
        signal = row["signal"]
        matched = "—" if signal is None else f"#{signal['signal_id']} {signal['title']} ({signal['score']:.2f})"
        table.add_row(str(row["group_id"]), str(row["flags"]), str(len(row["advisors"])), row["text"], span, matched)
    console.print(table)
