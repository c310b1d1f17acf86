"""`signalroom stats`: what the warehouse holds."""

from __future__ import annotations

from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, open_store
from signalroom.store.reads import Stats, warehouse_stats


def stats(db: DbOption = None, json: JsonOption = False) -> None:
    """Counts by channel and day, customers, agents, loads and the quarantine."""
    with open_store(db, read_only=True) as store:
        result = warehouse_stats(store)
    if json:
        emit_json(result.to_dict())
        return
    print_stats(result)


def print_stats(result: Stats) -> None:
    totals = Table(title=f"Warehouse (schema v{result.schema_version})", show_header=False)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    for label, value in (
        ("interactions", result.interactions),
        ("turns", result.turns),
        ("in-call events", result.call_events),
        ("self-service events", result.events),
        ("surveys", result.surveys),
        ("customer profiles", result.customer_profiles),
        *((f"customer {kind}s seen", n) for kind, n in result.customer_identifiers.items() if n),
        ("agents", result.agents),
        ("teams", result.teams),
        ("loads", result.loads),
        ("quarantined (pending)", result.quarantine_pending),
        ("quarantined (resolved)", result.quarantine_resolved),
    ):
        totals.add_row(label, f"{value:,}")
    if result.first_contact:
        totals.add_row("period", f"{result.first_contact:%Y-%m-%d} → {result.last_contact:%Y-%m-%d}")
    console.print(totals)

    channels = list(result.by_channel)
    if channels:
        per_day = Table(title="Interactions by day (local date of the record) and channel")
        per_day.add_column("date")
        for channel in channels:
            per_day.add_column(channel, justify="right")
        per_day.add_column("total", justify="right")
        for day in result.by_day:
            per_day.add_row(day["date"], *(f"{day.get(c, 0):,}" for c in channels), f"{day['total']:,}")
        per_day.add_row(
            "[bold]all",
            *(f"[bold]{result.by_channel[c]:,}" for c in channels),
            f"[bold]{result.interactions:,}",
        )
        console.print(per_day)
    for title, label, counts in (
        ("Self-service events by type", "type", result.events_by_type),
        ("Pending quarantine by reason", "reason", result.quarantine_by_reason),
    ):
        if counts:
            table = Table(title=title)
            table.add_column(label)
            table.add_column("count", justify="right")
            for key, count in counts.items():
                table.add_row(key, f"{count:,}")
            console.print(table)
    if result.last_load:
        last = result.last_load
        console.print(
            f"Last load #{last.load_id} ({last.format}, source {last.source}, {last.status}): "
            f"read {last.read:,}, inserted {last.inserted:,}, updated {last.updated:,}, "
            f"unchanged {last.unchanged:,}, quarantined {last.quarantined:,}"
        )
