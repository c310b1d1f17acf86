"""`signalroom metrics`: outcome metrics, in total and by group (docs/metrics.md#outcome-metrics)."""

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
    err_console,
    fail,
    open_store,
    parse_day,
)
from signalroom.journeys.metrics import (
    GROUPINGS,
    METRICS,
    MetricsConfig,
    MetricsError,
    MetricsReport,
    MetricValue,
    compute_metrics,
)

# The common filters, shared with `signalroom drivers`.
ChannelFilter = Annotated[str | None, typer.Option("--channel", help="Only this channel.", show_default=False)]
ReasonFilter = Annotated[
    int | None, typer.Option("--reason", help="Only contacts of this reason (its id).", show_default=False)
]
QueueFilter = Annotated[str | None, typer.Option("--queue", help="Only this queue.", show_default=False)]
TeamFilter = Annotated[str | None, typer.Option("--team", help="Only this team.", show_default=False)]
AgentFilter = Annotated[str | None, typer.Option("--agent", help="Only this agent (id).", show_default=False)]


def metrics(
    by: Annotated[
        str | None, typer.Option("--by", help=f"Break down by {', '.join(GROUPINGS)}.", show_default=False)
    ] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    window_days: Annotated[
        int, typer.Option("--window-days", help="Repeat-contact window in days (repeat, FCR, next issue).")
    ] = 7,
    churn_days: Annotated[int, typer.Option("--churn-days", help="Churn window in days.")] = 30,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Only this metric (repeatable).", show_default=False)
    ] = None,
    channel: ChannelFilter = None,
    reason: ReasonFilter = None,
    queue: QueueFilter = None,
    team: TeamFilter = None,
    agent: AgentFilter = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Repeat contact, first-contact resolution, transfers, handle time, CSAT/NPS/CES, containment, churn…"""
    try:
        config = MetricsConfig(
            window_days=window_days,
            churn_days=churn_days,
            by=by,
            date_from=parse_day(date_from, "--from"),
            date_to=parse_day(date_to, "--to"),
            metrics=tuple(metric) if metric else tuple(METRICS),
            channel=channel,
            reason=reason,
            queue=queue,
            team=team,
            agent=agent,
        )
    except MetricsError as exc:
        fail(str(exc))
    with open_store(db, read_only=True) as store:
        try:
            report = compute_metrics(store, config)
        except MetricsError as exc:
            fail(str(exc))
    if json:
        emit_json(report.to_dict())
        return
    print_report(report)


def _format(m: MetricValue) -> str:
    if m.value is None:
        return "—"
    if m.unit == "share":
        return f"{100 * m.value:.1f}%"
    if m.unit == "%":
        return f"{m.value:.1f}%"
    return f"{m.value:,.1f}" if m.unit in ("s", "score") else f"{m.value:.2f}"


def _count(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def print_report(report: MetricsReport) -> None:
    c = report.config
    period = f"{c.date_from or '…'} → {c.date_to or '…'}" if c.date_from or c.date_to else "all dates"
    only = "".join(f"; {name} {value}" for name, value in c.filters.items() if value is not None)
    table = Table(title=f"Outcome metrics ({period}{only}; window {c.window_days} days)")
    if c.by:
        table.add_column(c.by)
    for name, justify in (("metric", "left"), ("value", "right"), ("numerator", "right"), ("denominator", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    rows = [("all", m) for m in report.total]
    rows += [(g.group, m) for g in report.groups for m in g.metrics]
    for group, m in rows:
        cells = [m.name, _format(m), _count(m.numerator), _count(m.denominator)]
        table.add_row(*([group, *cells] if c.by else cells))
    console.print(table)
    console.print("Definitions: docs/metrics.md#outcome-metrics", style="dim")
    for flag in report.flags:
        err_console.print(f"[yellow]note:[/] {flag}", highlight=False)
