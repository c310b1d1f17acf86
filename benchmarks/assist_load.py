"""Turn-to-suggestion latency of live assist under load (the bar: p99 <= 50 ms with 200 concurrent
sessions on 2 cores).

    python benchmarks/assist_load.py --db signalroom.duckdb --replay demo-data/interactions.jsonl \
        [--sessions 200] [--turn-interval 2.0] [--duration 60] [--runs 3]

A bounded load: `signalroom serve` runs in its own process on a copy of the warehouse (analysed, as
`make demo` leaves it); this process opens --sessions WebSocket sessions over loopback at once, each
replaying a recorded conversation's turns in a loop, one turn every --turn-interval seconds
(jittered, so the sessions do not march in step), for --duration seconds; then every session ends.
Each turn's latency is the time from sending it to receiving its update (reason, suggestions,
nudges, alerts), measured by the client. The first 15 seconds are a warm-up and are not counted.
Writes benchmarks/results/assist_load.json and prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from websockets.asyncio.client import connect

from signalroom.assist.simulate import read_interactions, session_messages
from signalroom.auth import users as auth
from signalroom.store import Store

RESULTS = Path(__file__).parent / "results" / "assist_load.json"
WARM_UP_S = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(db: Path) -> str:
    with Store.open(db) as store:
        auth.add_user(store, username="loadtest", role="admin", password=None, by=None)
        return auth.create_token(store, "loadtest", name="load", by=None)[1]


def _serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "signalroom.cli", "serve", "--db", str(db), "--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_ready(url: str, token: str) -> dict[str, Any]:
    """Until the assistant has learned from the warehouse (the status route waits for it)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            response = httpx.get(
                f"{url}/api/v1/assist/status", headers={"Authorization": f"Bearer {token}"}, timeout=300
            )
            if response.status_code == 200:
                status: dict[str, Any] = response.json()
                return status
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready")


async def _session(
    url: str, token: str, index: int, script: list[dict[str, Any]], start: dict[str, Any], *,
    interval: float, until: float, counted_from: float, latencies: list[float], server: list[float],
    customer: list[float], failures: list[str],
) -> None:  # fmt: skip
    rng = random.Random(index)
    start = {**start, "session": {**start["session"], "id": f"load-{index}"}}
    try:
        async with connect(
            url.replace("http://", "ws://") + "/api/v1/assist/ws",
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=120,
        ) as ws:
            await ws.send(orjson.dumps(start).decode())
            orjson.loads(await ws.recv())
            clock = 0
            step = 0
            await asyncio.sleep(rng.uniform(0, interval))
            while time.monotonic() < until:
                turn = script[step % len(script)]
                clock += int(interval * 1000)
                sent = time.perf_counter()
                await ws.send(orjson.dumps({**turn, "offset_ms": clock}).decode())
                answer = orjson.loads(await ws.recv())
                elapsed = (time.perf_counter() - sent) * 1000
                if answer.get("type") != "update":
                    failures.append(f"load-{index}: {answer}")
                    return
                if time.monotonic() >= counted_from:
                    latencies.append(elapsed)
                    server.append(float(answer["latency_ms"]))
                    if turn["speaker"] == "customer":  # the turns that bring new suggestions
                        customer.append(elapsed)
                step += 1
                await asyncio.sleep(max(0.0, interval * rng.uniform(0.5, 1.5) - elapsed / 1000))
            await ws.send(orjson.dumps({"type": "end"}).decode())
            await ws.recv()
    except Exception as exc:
        failures.append(f"load-{index}: {type(exc).__name__}: {exc}")


async def _load(url: str, token: str, scripts: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    latencies: list[float] = []
    server: list[float] = []
    customer: list[float] = []
    failures: list[str] = []
    began = time.monotonic()
    until = began + WARM_UP_S + args.duration
    tasks = [
        _session(url, token, i, scripts[i % len(scripts)][1], scripts[i % len(scripts)][0], interval=args.turn_interval,
                 until=until, counted_from=began + WARM_UP_S, latencies=latencies, server=server, customer=customer,
                 failures=failures)
        for i in range(args.sessions)
    ]  # fmt: skip
    await asyncio.gather(*tasks)
    lat = np.array(latencies)
    return {
        "sessions": args.sessions,
        "turns": len(latencies),
        "turns_per_s": round(len(latencies) / args.duration, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 2) if len(lat) else None,
        "p95_ms": round(float(np.percentile(lat, 95)), 2) if len(lat) else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 2) if len(lat) else None,
        "max_ms": round(float(lat.max()), 2) if len(lat) else None,
        "customer_turn_p50_ms": round(float(np.percentile(customer, 50)), 2) if customer else None,
        "customer_turn_p99_ms": round(float(np.percentile(customer, 99)), 2) if customer else None,
        "server_p50_ms": round(float(np.percentile(server, 50)), 2) if server else None,
        "server_p99_ms": round(float(np.percentile(server, 99)), 2) if server else None,
        "failures": failures[:10],
        "failed_sessions": len(failures),
    }


def _scripts(path: Path, limit: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    records = [r for r in read_interactions([path]) if len(r.turns) >= 4][:limit]
    out = []
    for record in records:
        start, steps = session_messages(record, prefix="", by_id={}, handoff_source=None)
        start["session"].pop("handoff", None)
        turns = [m for _, m in steps if m["type"] == "turn"]
        out.append((start, turns))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="An analysed warehouse (make demo's).")
    parser.add_argument("--replay", type=Path, required=True, help="Recorded interactions to replay.")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--turn-interval", type=float, default=2.0, help="Seconds between a session's turns.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds measured, after the warm-up.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    scripts = _scripts(args.replay, 500)
    runs = []
    with tempfile.TemporaryDirectory(prefix="assist-load-") as folder:
        for run in range(args.runs):
            db = Path(folder) / f"run{run}.duckdb"
            shutil.copyfile(args.db, db)
            token = _token(db)
            port = _free_port()
            server = _serve(db, port)
            url = f"http://127.0.0.1:{port}"
            try:
                status = _wait_ready(url, token)
                result = asyncio.run(_load(url, token, scripts, args))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=60)
            result["assistant"] = status["assistant"]
            runs.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "assistant"}), flush=True)
    keys = ("p50_ms", "p95_ms", "p99_ms", "max_ms", "turns_per_s", "server_p50_ms", "server_p99_ms",
            "customer_turn_p50_ms", "customer_turn_p99_ms")  # fmt: skip
    medians = {key: statistics.median(r[key] for r in runs) for key in keys}
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {
            "sessions": args.sessions,
            "turn_interval_s": args.turn_interval,
            "duration_s": args.duration,
            "warm_up_s": WARM_UP_S,
            "runs": args.runs,
        },
        "runs": runs,
        "medians": medians,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(
        "| sessions | turns/s | p50 ms | p95 ms | p99 ms | max ms | customer turns p50 / p99 ms | server p50 / p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    m = medians
    customer = f"{m['customer_turn_p50_ms']} / {m['customer_turn_p99_ms']}"
    server = f"{m['server_p50_ms']} / {m['server_p99_ms']}"
    print(f"| {args.sessions} | {m['turns_per_s']} | {m['p50_ms']} | {m['p95_ms']} | {m['p99_ms']} | {m['max_ms']} "
          f"| {customer} | {server} |")  # fmt: skip


if __name__ == "__main__":
    main()
