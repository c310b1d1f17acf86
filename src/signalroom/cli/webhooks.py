"""`signalroom webhooks`: tell ticketing and chat tools about new signals and action changes
(docs/webhooks.md)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from signalroom.actions.webhooks import (
    EVENT_TYPES,
    DeliveryConfig,
    DeliveryReport,
    WebhookError,
    deliver,
    replay,
    subscribe,
)
from signalroom.cli.common import DbOption, JsonOption, console, emit_json, err_console, fail, open_store
from signalroom.store import Store, StoreError
from signalroom.store.migrations import MigrationError
from signalroom.store.webhooks import dead_letters, disable_subscription, list_subscriptions

app = typer.Typer(help="Outbound webhooks: signed JSON to other tools, retried until delivered.", no_args_is_help=True)


@app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="Where to POST events (http:// or https://).")],
    secret: Annotated[
        str,
        typer.Option(
            "--secret",
            envvar="SIGNALROOM_WEBHOOK_SECRET",
            help="The shared secret the receiver verifies signatures with (at least 16 characters).",
            show_default=False,
        ),
    ],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event", help=f"An event type to send, repeatable; default all. One of {', '.join(EVENT_TYPES)}."
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Subscribe a URL to events emitted from now on."""
    with open_store(db) as store:
        try:
            sub_id = subscribe(store, url, secret, event)
        except WebhookError as exc:
            fail(str(exc))
        added = next(s for s in list_subscriptions(store) if s.subscription_id == sub_id)
    if json:
        emit_json(added.to_dict())
        return
    console.print(f"subscription {sub_id}: {url} receives {', '.join(added.events)}")


@app.command("list")
def list_command(db: DbOption = None, json: JsonOption = False) -> None:
    """Subscriptions, with how many of their deliveries are pending, delivered and dead."""
    with open_store(db, read_only=True) as store:
        subs = list_subscriptions(store)
    if json:
        emit_json({"subscriptions": [s.to_dict() for s in subs]})
        return
    table = Table(title=f"Webhook subscriptions: {len(subs)}")
    for column in ("id", "url", "events", "active", "pending", "delivered", "dead"):
        table.add_column(column, overflow="fold")
    for s in subs:
        table.add_row(
            str(s.subscription_id), s.url, ", ".join(s.events), "yes" if s.active else "no",
            str(s.pending), str(s.delivered), str(s.dead),
        )  # fmt: skip
    console.print(table)


@app.command("disable")
def disable_command(
    subscription_id: Annotated[int, typer.Argument(metavar="ID", help="The subscription (see `webhooks list`).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Stop sending to a subscription. Its pending deliveries are kept, not sent."""
    with open_store(db) as store:
        try:
            changed = disable_subscription(store, subscription_id)
        except WebhookError as exc:
            fail(str(exc))
    if json:
        emit_json({"subscription_id": subscription_id, "active": False, "changed": changed})
        return
    console.print(f"subscription {subscription_id} " + ("disabled" if changed else "was already disabled"))


def _print_pass(report: DeliveryReport, json: bool) -> None:
    if json:
        emit_json(report.to_dict())
        return
    console.print(
        f"attempted {report.attempted}: delivered {report.delivered}, to retry {report.failed}, dead {report.dead}"
    )
    for e in report.errors:
        retry = e["retry_at"].isoformat(timespec="seconds") if e["retry_at"] else "dead letter"
        console.print(f"  delivery {e['delivery_id']} → {e['url']} (attempt {e['attempts']}): {e['error']}; {retry}")


def _watch(db: Path | None, seconds: float, config: DeliveryConfig, json: bool) -> None:
    """Pass after pass. The warehouse is opened for each pass and closed between them, because a
    DuckDB file has one writer at a time and the commands that emit events need it too."""
    try:
        while True:
            try:
                with Store.open(db) as store:
                    report = deliver(store, config=config)
            except (StoreError, MigrationError) as exc:
                err_console.print(f"[yellow]warning:[/] {exc}; trying again in {seconds:g} s", highlight=False)
            else:
                if report.attempted:
                    if json:
                        sys.stdout.write(orjson.dumps(report.to_dict(), default=str).decode() + "\n")
                        sys.stdout.flush()
                    else:
                        _print_pass(report, json=False)
            time.sleep(seconds)
    except KeyboardInterrupt:
        err_console.print("stopped")


@app.command("deliver")
def deliver_command(
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch", min=0.1, metavar="SECONDS",
            help="Keep delivering, a pass every SECONDS, until interrupted (--json: one line per pass).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for a receiver.")] = 5.0,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, help="Failed attempts before a delivery becomes a dead letter.")
    ] = 12,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:  # fmt: skip
    """Send the deliveries that are due (one pass), retrying failed ones later with backoff."""
    config = DeliveryConfig(timeout_s=timeout, max_attempts=max_attempts)
    if watch is not None:
        _watch(db, watch, config, json)
        return
    with open_store(db) as store:
        report = deliver(store, config=config)
    _print_pass(report, json)


@app.command("dead-letters")
def dead_letters_command(
    include_replayed: Annotated[
        bool, typer.Option("--include-replayed", help="Also the dead letters already replayed.")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Deliveries that exhausted their attempts, oldest first (--json adds the event key and URL)."""
    with open_store(db, read_only=True) as store:
        letters = dead_letters(store, include_replayed=include_replayed)
    if json:
        emit_json({"dead_letters": [d.to_dict() for d in letters]})
        return
    table = Table(title=f"Webhook dead letters: {len(letters)}")
    for column in ("delivery", "type", "sub", "dead at (UTC)", "attempts", "last error", "replayed"):
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(
            str(d.delivery_id), d.event_type, str(d.subscription_id),
            f"{d.dead_at:%Y-%m-%d %H:%M}", str(d.attempts), d.last_error or "",
            f"{d.replayed_at:%Y-%m-%d %H:%M}" if d.replayed_at else "",
        )  # fmt: skip
    console.print(table)


@app.command("replay")
def replay_command(
    delivery: Annotated[
        int | None, typer.Argument(metavar="DELIVERY", help="The dead delivery (see `webhooks dead-letters`).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead delivery.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Put dead deliveries back in their queue, attempts reset, same event key; the next
    `webhooks deliver` sends them."""
    if (delivery is None) == (not all_):
        fail("give either a DELIVERY id or --all")
    with open_store(db) as store:
        try:
            ids = replay(store, None if delivery is None else [delivery], now=datetime.now(UTC))
        except WebhookError as exc:
            fail(str(exc))
    if json:
        emit_json({"replayed": ids})
        return
    console.print(f"replayed {len(ids)} deliver{'y' if len(ids) == 1 else 'ies'}" + (f": {ids}" if ids else ""))
