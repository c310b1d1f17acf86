"""Server time of every page of the command centre on the demo store (the bar: < 300 ms each).

    python benchmarks/page_times.py [--db signalroom.duckdb] [--repeat 9]

Works on a copy of the warehouse (it adds users and one action), built by `signalroom demo run` into a
temporary folder when no --db is given. Each page is asked three ways, each time from a fresh start of
the app: *cold* (the cache empty and no warm-up: what the first request pays when it arrives before
the warm-up has finished after a start or a write), *first* (the first request once the warm-up that
`signalroom serve` runs has finished) and then --repeat times (*median*, *max*). The Server-Timing
header is the server's own time. Pages are asked as the role that sees them (the advisor's own view
as the advisor). Also times the warm-up itself. Writes benchmarks/results/page_times.json and prints
a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from signalroom.api import cache
from signalroom.api.app import create_app, route_table
from signalroom.api.state import ServeSettings
from signalroom.auth import users as auth
from signalroom.store import Store

RESULTS = Path(__file__).parent / "results" / "page_times.json"
PASSWORD = "benchmark password"


def _demo(folder: Path) -> Path:
    db = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "signalroom.cli", "demo", "run", "--db", str(db), "--out", str(folder / "data")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return db


def _facts(db: Path) -> dict[str, Any]:
    """Ids to fill the pages' paths with, and users of each role that is needed."""
    with Store.open(db) as store:
        con = store.connection
        agent, team = con.execute(
            "SELECT i.agent_id, any_value(i.agent_team) FROM interactions i JOIN qa_results q USING (source, id) "
            "WHERE i.agent_id IS NOT NULL GROUP BY i.agent_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0]
        source, interaction = con.execute(
            "SELECT i.source, i.id FROM interactions i JOIN qa_results q USING (source, id) WHERE i.agent_id = ? "
            "ORDER BY i.turn_count DESC LIMIT 1",
            [agent],
        ).fetchall()[0]
        facts = {
            "source": source,
            "interaction_id": interaction,
            "agent_id": agent,
            "signal_id": con.execute("SELECT min(signal_id) FROM signals").fetchall()[0][0],
            "person_id": con.execute(
                "SELECT person_id FROM interaction_persons GROUP BY person_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchall()[0][0],
            "reason_id": con.execute("SELECT min(topic_id) FROM interaction_reasons WHERE topic_id >= 0").fetchall()[0][
                0
            ],
            "scorecard_id": con.execute("SELECT min(scorecard_id) FROM qa_scorecards").fetchall()[0][0],
        }
        for username, role, extra in (
            ("bench-admin", "admin", {}),
            ("bench-advisor", "advisor", {"agent_id": agent}),
            ("bench-supervisor", "supervisor", {"teams": (team,)}),
        ):
            if not store.connection.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchall():
                auth.add_user(store, username=username, role=role, password=PASSWORD, by=None, **extra)
    return facts


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text


def _server_ms(response: Any) -> float:
    match = re.search(r"app;dur=([\d.]+)", response.headers.get("server-timing", ""))
    assert match, response.headers
    return float(match.group(1))


def _pages(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(user, path) for every page GET route, paths filled with the facts."""
    pages = []
    for entry in route_table():
        if entry.is_api or entry.method != "GET" or entry.path in ("/login", "/drivers/interactions"):
            continue
        missing = [name for name in re.findall(r"\{(\w+)", entry.path) if facts.get(name) is None]
        if missing:
            continue
        path = re.sub(r"\{(\w+)[^}]*\}", lambda m: str(facts[m.group(1)]), entry.path)
        pages.append(("bench-admin", path))
    pages.append(("bench-advisor", f"/agents/{facts['agent_id']}"))
    pages.append(("bench-supervisor", "/interactions"))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo warehouse (copied; default: build one)")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="signalroom-pages-"))
    if args.db:
        db = folder / "demo.duckdb"
        shutil.copyfile(args.db, db)
    else:
        db = _demo(folder)
    facts = _facts(db)
    with TestClient(create_app(ServeSettings(db=db))) as client:
        _login(client, "bench-admin")
        report = client.get("/api/v1/drivers", params={"outcome": "repeat_contact"}).json()
    extra = [
        ("bench-admin", "/drivers?outcome=negative_end"),
        (
            "bench-admin",
            "/drivers/interactions?outcome=repeat_contact&driver=" + quote(report["drivers"][0]["key"], safe=""),
        ),
        ("bench-admin", "/customers?q=" + str(facts["person_id"])),
    ]
    rows = []
    warm_ups = []
    for user, path in _pages(facts) + extra:
        cache.clear()
        with TestClient(create_app(ServeSettings(db=db))) as client:
            _login(client, user)
            first = client.get(path, follow_redirects=False)
            assert first.status_code in (200, 303), (path, first.status_code, first.text[:300])
            cold = _server_ms(first)
        cache.clear()
        began = time.perf_counter()
        with TestClient(create_app(ServeSettings(db=db, warm_up=True))) as client:
            assert client.app.state.signalroom.warm_up.wait_idle(600)  # type: ignore[attr-defined]
            warm_ups.append(time.perf_counter() - began)
            _login(client, user)
            after_warm_up = _server_ms(client.get(path, follow_redirects=False))
            warm = [_server_ms(client.get(path, follow_redirects=False)) for _ in range(args.repeat)]
        rows.append({"page": path, "as": user, "status": first.status_code, "cold_ms": round(cold, 1),
                     "first_ms": round(after_warm_up, 1), "median_ms": round(statistics.median(warm), 1),
                     "max_ms": round(max(warm), 1)})  # fmt: skip
        print(f"{path[:60]:60s} {user:17s} cold {cold:7.1f} ms  first {after_warm_up:7.1f} ms  "
              f"median {statistics.median(warm):7.1f} ms", flush=True)  # fmt: skip
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    RESULTS.parent.mkdir(exist_ok=True)
    warm_up_s = {"median": round(statistics.median(warm_ups), 2), "max": round(max(warm_ups), 2)}
    RESULTS.write_text(json.dumps({"machine": machine, "repeat": args.repeat, "warm_up_s": warm_up_s,
                                   "pages": rows}, indent=2) + "\n")  # fmt: skip
    print(f"\nwarm-up (start to idle): median {warm_up_s['median']} s, max {warm_up_s['max']} s")
    print("\n| page | as | cold ms | first ms | median ms | max ms |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r['page']}` | {r['as']} | {r['cold_ms']} | {r['first_ms']} | {r['median_ms']} | {r['max_ms']} |")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
