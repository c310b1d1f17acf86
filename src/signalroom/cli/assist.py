"""`signalroom assist`: live sessions (docs/assist.md) — replay recorded interactions against a
running server as if they were happening now."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from signalroom.assist.simulate import (
    SimulateError,
    parse_speed,
    read_interactions,
    replay,
    summary,
)
from signalroom.cli.common import JsonOption, console, emit_json, fail

app = typer.Typer(help="Real-time assist: live sessions with suggestions, nudges and alerts.", no_args_is_help=True)


@app.command("simulate")
def simulate_command(
    files: Annotated[list[Path], typer.Argument(help="Recorded interactions (any format `ingest` reads).")],
    speed: Annotated[str, typer.Option("--speed", help="How much faster than recorded: 10x, 1x, or max.")] = "10x",
    url: Annotated[
        str, typer.Option("--url", envvar="SIGNALROOM_URL", help="The running server (`signalroom serve`).")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SIGNALROOM_TOKEN",
            help="An API token of an admin or advisor (`users token`).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=1000, help="Sessions live at once.")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Replay only the first N interactions.")] = None,
    http: Annotated[bool, typer.Option("--http", help="Use the HTTP fallback instead of the WebSocket.")] = False,
    prefix: Annotated[
        str, typer.Option("--prefix", help="Put before each session id (kept apart from the original).")
    ] = "sim-",
    handoff_source: Annotated[
        str | None,
        typer.Option(
            "--handoff-source", help="The source of stored bot sessions the replayed ones were handed off from."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="The files' format (auto: from each file).")] = "auto",
    as_json: JsonOption = False,
) -> None:
    """Replay recorded interactions as live sessions: each turn is streamed at its recorded pace
    (sped up), and what the agent would see after it is shown, with the latency."""
    if not token:
        fail("give an API token with --token or SIGNALROOM_TOKEN (signalroom users token USERNAME)")
    try:
        pace = parse_speed(speed)
        records = read_interactions(files, fmt)
    except SimulateError as exc:
        fail(str(exc))
    records = records[:limit] if limit else records
    began = time.monotonic()
    reports = asyncio.run(
        replay(records, url=url, token=token, speed=pace, concurrency=concurrency, http=http, prefix=prefix,
               handoff_source=handoff_source)
    )  # fmt: skip
    totals = summary(reports, time.monotonic() - began)
    if as_json:
        emit_json({"summary": totals, "sessions": [r.to_dict() for r in reports]})
    else:
        table = Table("session", "status", "turns", "reason", "top suggestion", "nudges", "alerts", "p50 ms")
        for r in reports:
            p50 = sorted(r.latencies_ms)[len(r.latencies_ms) // 2] if r.latencies_ms else None
            table.add_row(
                r.session, r.status if not r.error else f"{r.status}: {r.error}", str(r.turns), r.reason or "",
                r.top_suggestion or "", "; ".join(r.nudges), ", ".join(r.alerts), f"{p50:.1f}" if p50 else "",
            )  # fmt: skip
        console.print(table)
        lat = totals["latency_ms"]
        console.print(
            f"{totals['sessions']} session(s), {totals['turns']} turns in {totals['seconds']} s; "
            f"turn to update p50 {lat['p50']} ms, p99 {lat['p99']} ms; {totals['failed']} failed"
        )
    if totals["failed"]:
        raise typer.Exit(1)
