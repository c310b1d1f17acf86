"""`signalroom drivers`: what accounts for an outcome, ranked by its share beyond baseline
(docs/drivers.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from signalroom.cli.common import (
    DbOption,
    FromOption,
    JsonOption,
    ToOption,
    console,
    emit_json,
    fail,
    open_store,
    parse_day,
)
from signalroom.cli.metrics import AgentFilter, ChannelFilter, QueueFilter, ReasonFilter, TeamFilter
from signalroom.journeys.drivers import FAMILIES, OUTCOMES, DriversConfig, DriversError, DriversReport, find_drivers


def drivers(
    outcome: Annotated[str, typer.Option("--outcome", help=f"The outcome: {', '.join(OUTCOMES)}.")],
    family: Annotated[
        list[str] | None,
        typer.Option(
            "--family", help=f"Only this candidate family (repeatable): {', '.join(FAMILIES)}.", show_default=False
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many drivers to show.")] = 10,
    min_units: Annotated[int, typer.Option("--min-units", help="Smallest candidate tested (units).")] = 30,
    alpha: Annotated[float, typer.Option("--alpha", help="False discovery rate (and tree-scan level).")] = 0.05,
    window_days: Annotated[int, typer.Option("--window-days", help="Repeat and next-issue window in days.")] = 7,
    churn_days: Annotated[int, typer.Option("--churn-days", help="Churn window in days.")] = 30,
    date_from: FromOption = None,
    date_to: ToOption = None,
    channel: ChannelFilter = None,
    reason: ReasonFilter = None,
    queue: QueueFilter = None,
    team: TeamFilter = None,
    agent: AgentFilter = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rank what drives repeat contact, unresolved contacts, negative endings, low CSAT, churn, transfers…"""
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    try:
        config = DriversConfig(
            outcome=outcome,
            families=tuple(family) if family else FAMILIES,
            top=top,
            min_units=min_units,
            alpha=alpha,
            window_days=window_days,
            churn_days=churn_days,
            date_from=start,
            date_to=end,
            channel=channel,
            reason=reason,
            queue=queue,
            team=team,
            agent=agent,
        )
    except DriversError as exc:
        fail(str(exc))
    with open_store(db, read_only=True) as store:
        try:
            report = find_drivers(store, config)
        except DriversError as exc:
            fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    print_report(report)


def print_report(report: DriversReport) -> None:
    rate = f"{100 * report.rate:.1f}%" if report.rate is not None else "—"
    only = "".join(f", {name} {value}" for name, value in report.config.filters.items() if value is not None)
    console.print(
        f"[bold]{report.config.outcome}[/]: {report.description}. {report.outcomes:,} of {report.units:,} "
        f"{report.unit}s{only} ({rate}); {report.tested:,} candidates tested, {report.significant:,} significant.",
        highlight=False,
    )
    if report.drivers:
        table = Table(show_lines=False)
        for column in ("#", "driver", "beyond baseline (95% CI)", "share", "rate vs baseline", report.unit + "s"):
            table.add_column(column, overflow="fold")
        for i, d in enumerate(report.drivers, 1):
            lo, hi = d.share_beyond_ci
            table.add_row(
                str(i),
                d.label + (f"\n[dim]explains: {'; '.join(d.explains)}[/]" if d.explains else ""),
                f"{100 * d.share_beyond:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})",
                f"{100 * d.share:.1f}%",
                f"{100 * d.rate:.0f}% vs {100 * d.baseline:.0f}%",
                f"{d.units:,}",
            )
        console.print(table)
        for d in report.drivers:
            console.print(f"• {d.text(report.config.outcome, report.unit)}", highlight=False)
            if d.examples:
                console.print(f"  [dim]e.g. {', '.join(d.examples)}[/]", highlight=False)
    for flag in report.flags:
        console.print(f"[yellow]note:[/] {flag}", highlight=False)
