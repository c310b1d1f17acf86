"""`signalroom signals`: emerging signals — needs rising against their usual share (docs/signals.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store, parse_day

app = typer.Typer(help="Emerging signals: what is newly going wrong.", no_args_is_help=True)


@app.command("detect")
def detect_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to judge (default: the last day with contacts).")
    ] = None,
    backtest: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--backtest",
            help="Replay every day FROM TO, each judged on the days before it.",
            metavar="FROM TO",
            show_default=False,
        ),
    ] = None,
    baseline_days: Annotated[int, typer.Option("--baseline-days", min=3, help="Days of usual share.")] = 14,
    cost_per_contact: Annotated[
        float | None, typer.Option("--cost-per-contact", min=0.0, help="Cost of one contact, for the impact.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Needs rising in volume against their usual share of the day's contacts, with when they were
    first detected, the series, the extra contacts (and their cost) and example contacts."""
    from signalroom.signals.detect import SignalsError, detect
    from signalroom.signals.volume import VolumeConfig

    if as_of is not None and backtest is not None:
        fail("--as-of and --backtest cannot be combined: --backtest FROM TO ends on TO")
    since = until = None
    if backtest is not None:
        since, until = parse_day(backtest[0], "--backtest"), parse_day(backtest[1], "--backtest")
    elif as_of is not None:
        until = parse_day(as_of, "--as-of")
    with open_store(db, read_only=True) as store:
        try:
            start, end, found = detect(
                store, as_of=until, since=since, config=VolumeConfig(baseline_days=baseline_days),
                cost_per_contact=cost_per_contact,
            )  # fmt: skip
        except SignalsError as exc:
            fail(str(exc))
    if json:
        emit_json({"from": start, "to": end, "signals": [s.to_dict() for s in found]})
        return
    span = f"{start}" if start == end else f"{start} to {end}"
    table = Table(title=f"Rising needs, {span}: {len(found)}")
    for column in ("first detected", "need", "days", "strongest day", "contacts vs expected", "extra", "examples"):
        table.add_column(column, overflow="fold")
    for s in found:
        r = s.rise
        extra = f"{s.extra_contacts:.0f}" + (f" ({s.cost:,.0f})" if s.cost is not None else "")
        table.add_row(
            s.first_detected.isoformat(), s.label, str(s.days_detected), r.day.isoformat(),
            f"{r.observed} vs {r.expected:.1f} (×{r.ratio:.1f})", extra, ", ".join(s.examples),
        )  # fmt: skip
    console.print(table)
