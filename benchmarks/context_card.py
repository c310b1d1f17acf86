"""The handoff context card at scale: how long `signalroom context` takes to build one card from a
warehouse of N interactions (default 1M). Issue 4's bar: 50 ms.

The warehouse is `metrics_speed.populate`'s (interactions, people, reasons, conversation metrics,
surveys, two self-service events per interaction), plus what the card reads and that one lacks:
customer ids on the events and names on the interactions (identity resolution, run by the
episode build, then makes the people), six turns per interaction, the customer's purpose text, and
sentiment and situation results (one in five conversations ends with a dated promise). Episodes are
then built as `signalroom analyze` would. Cards are timed for random interactions after one
warm-up card (which also fits and stores the next-issue model).

    python benchmarks/context_card.py [--interactions 1000000] [--cards 200] [--keep PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).parent))

from metrics_speed import _PERSON, _START, populate

from signalroom.journeys.context import build_card
from signalroom.journeys.episodes import EpisodeConfig, build_episodes
from signalroom.store import Store

RESULTS = Path(__file__).parent / "results"


def populate_card_inputs(store: Store, n: int) -> None:
    con = store.connection
    people = max(1, int(n / 3.3))
    start = _START.format(n=n)
    # Events and names carry the customer id, so identity resolution (run by the episode build)
    # gives every record its person as it would on real data.
    event_person = _PERSON.format(people=people).replace("i,", "CAST(substr(id, 2) AS BIGINT),")
    con.execute(f"UPDATE events SET customer_id = 'C' || {event_person}")
    con.execute("UPDATE interactions SET customer_name = 'Customer ' || substr(customer_id, 2)")
    con.execute(
        "INSERT INTO interaction_analysis SELECT 'syn', 'i' || i, '', 'bench', 1, now(), "
        "'I need help with my account, reference ' || i, [] FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO turns (source, interaction_id, seq, speaker, text) "
        "SELECT 'syn', 'i' || i, s, CASE WHEN s % 2 = 0 THEN 'customer' WHEN hash(i, 2) % 10 = 6 THEN 'bot' "
        "ELSE 'agent' END, 'turn ' || s || ' of interaction ' || i FROM range(?) t(i), range(6) u(s)",
        [n],
    )
    con.execute(
        "INSERT INTO stage_results SELECT 'syn', 'i' || i, 'sentiment', json_object('label', "
        "['negative','neutral','positive'][(1 + hash(i, 21) % 3)::BIGINT], 'trajectory', 'flat', 'parties', "
        "json_object('customer', json_object('end', ((hash(i, 22) % 200)::INTEGER - 100) / 100.0))), 1 "
        "FROM range(?) t(i)",
        [n],
    )
    promised = f"strftime({start} + INTERVAL 5 DAY, '%Y-%m-%dT%H:%M:%S+00:00')"
    con.execute(
        "INSERT INTO stage_results SELECT 'syn', 'i' || i, 'situation', CASE WHEN hash(i, 23) % 5 = 0 THEN "
        f"json_object('trigger', NULL, 'ended', json_object('status', 'follow_up_promised', 'due', "
        f"'in five days', 'due_by', {promised}), 'likely_next', [json_object('action', 'follow-up call', "
        f"'due_by', {promised})]) ELSE json_object('trigger', NULL, 'ended', json_object('status', "
        "'resolved', 'due', NULL, 'due_by', NULL), 'likely_next', []) END, 1 FROM range(?) t(i)",
        [n],
    )


def _machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the warehouse here (and reuse it if it exists)")
    args = parser.parse_args()
    db = args.keep or Path(tempfile.mkdtemp()) / "context.duckdb"
    fresh = not db.exists()
    began = time.perf_counter()
    with Store.open(db) as store:
        if fresh:
            populate(store, args.interactions)
            populate_card_inputs(store, args.interactions)
            build_episodes(store, EpisodeConfig())
    prepared = round(time.perf_counter() - began, 1)
    print(f"warehouse ready in {prepared} s", flush=True)
    if args.cards <= 0:
        return
    with Store.open(db) as store:
        ids = [r[0] for r in store.connection.execute("SELECT id FROM interactions").fetchall()]
        chosen = random.Random(args.seed).sample(ids, min(args.cards, len(ids)))
        began = time.perf_counter()
        build_card(store, chosen[0], source="syn")
        warm_up = round((time.perf_counter() - began) * 1000, 1)
        times = []
        for ident in chosen:
            began = time.perf_counter()
            build_card(store, ident, source="syn")
            times.append((time.perf_counter() - began) * 1000)
    times.sort()
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "duckdb": duckdb.__version__,
        "interactions": args.interactions,
        "prepare_s": prepared,
        "warm_up_ms": warm_up,
        "cards": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "max_ms": round(times[-1], 2),
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"context-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
