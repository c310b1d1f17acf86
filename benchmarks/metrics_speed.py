"""Outcome metrics and drivers at scale: how long `signalroom episodes build`, `signalroom metrics`
and `signalroom drivers` (every outcome) take on a warehouse of N interactions (default 1M).

The warehouse is written straight by SQL (no text; every record carries a customer id, and the
first episode build brings identity resolution up to date, so a fresh warehouse's build time
includes it), shaped like the demo: a person per 3.3 interactions over 30 days, 12
contact reasons, 10% of interactions chained to the one before (handoffs, transfers), 10% bot
sessions, conversation metrics and a closing sentiment for every interaction, a survey for 20%, two
self-service events per interaction (3% failed, 0.2% account closures) with the customer id that
identity resolution places them by.

    python benchmarks/metrics_speed.py [--interactions 1000000] [--repeat 3] [--keep PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signalroom.journeys.drivers import OUTCOMES, DriversConfig, find_drivers
from signalroom.journeys.episodes import EpisodeConfig, build_episodes
from signalroom.journeys.metrics import MetricsConfig, compute_metrics
from signalroom.store import Store

RESULTS = Path(__file__).parent / "results"

_PERSON = "(hash(i, 11) % {people})"
_START = "TIMESTAMPTZ '2026-03-02 06:00:00+00' + to_seconds((i * 2592000) // {n})"


def populate(store: Store, n: int) -> None:
    con = store.connection
    people = max(1, int(n / 3.3))
    start = _START.format(n=n)
    con.execute("INSERT INTO sources VALUES ('syn', 'jsonl', now(), now())")
    con.execute(
        "INSERT INTO loads (load_id, source, format, paths, started_at, status) "
        "VALUES (1, 'syn', 'jsonl', [], now(), 'completed')"
    )
    channels = "['voice','voice','voice','chat','chat','email','bot','messaging','sms','social']"
    con.execute(
        "INSERT INTO interactions (source, id, channel, started_at, ended_at, utc_offset_minutes, customer_id, "
        "agent_id, agent_team, queue, direction, parent_id, resolved, transferred, escalated, turn_count, "
        "content_hash, load_id) "
        f"SELECT 'syn', 'i' || i, ch, {start}, {start} + to_seconds(60 + hash(i, 3) % 900), 0, "
        f"'C' || {_PERSON.format(people=people)}, "
        "CASE WHEN ch <> 'bot' THEN 'ag' || (hash(i, 4) % 400) END, "
        "CASE WHEN ch <> 'bot' THEN 'team' || (hash(i, 4) % 400) % 20 END, "
        "CASE WHEN ch = 'bot' THEN 'virtual_assistant' ELSE 'q' || (hash(i, 5) % 8) END, 'inbound', "
        "CASE WHEN i > 0 AND hash(i, 6) % 10 = 0 THEN 'i' || (i - 1) END, "
        "hash(i, 7) % 10 < 7, hash(i, 8) % 100 < 5, ch = 'bot' AND hash(i, 9) % 10 < 8, 0, '', 1 "
        f"FROM (SELECT i, {channels}[(1 + hash(i, 2) % 10)::BIGINT] AS ch FROM range(?) t(i))",
        [n],
    )
    # Chained interactions belong to their parent's person (as handoffs do).
    con.execute(
        "INSERT INTO record_persons SELECT 'interaction', 'syn', 'i' || i, "
        f"CASE WHEN i > 0 AND hash(i, 6) % 10 = 0 THEN {_PERSON.format(people=people).replace('i,', '(i - 1),')} "
        f"ELSE {_PERSON.format(people=people)} END FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO interaction_reasons SELECT 'syn', 'i' || i, 1, 'discovered', "
        "CASE WHEN hash(i, 10) % 20 = 0 THEN NULL ELSE (hash(i, 12) % 12)::INTEGER END, NULL, 0.9, FALSE, 1 "
        "FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO stage_results SELECT 'syn', 'i' || i, 'metrics', "
        "json_object('duration_s', 60 + hash(i, 3) % 900, 'hold_s', hash(i, 13) % 120, "
        "'silence_s', hash(i, 14) % 60, 'first_response_s', hash(i, 15) % 300, 'transfers', 0), 1 "
        "FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO stage_results SELECT 'syn', 'i' || i, 'sentiment', "
        "json_object('parties', json_object('customer', "
        "json_object('end', (CAST(hash(i, 21) % 200 AS INTEGER) - 100) / 100.0))), 1 "
        "FROM range(?) t(i)",
        [n],
    )
    con.execute(
        "INSERT INTO surveys (source, id, interaction_id, embedded, occurred_at, utc_offset_minutes, csat, nps, "
        f"ces, content_hash, load_id) SELECT 'syn', 'i' || i || '/survey', 'i' || i, TRUE, {start}, 0, "
        "1 + hash(i, 16) % 5, hash(i, 17) % 11, 1 + hash(i, 18) % 7, '', 1 FROM range(?) t(i) "
        "WHERE hash(i, 19) % 5 = 0",
        [n],
    )
    events = 2 * n
    con.execute(
        "INSERT INTO events (source, id, occurred_at, utc_offset_minutes, type, channel, customer_id, content_hash, "
        f"load_id) SELECT 'syn', 'e' || i, {_START.format(n=events)}, 0, "
        "CASE WHEN hash(i, 20) % 1000 < 30 THEN 'payment_failed' WHEN hash(i, 20) % 1000 < 32 "
        f"THEN 'account_closed' ELSE 'page_view' END, 'web', 'C' || {_PERSON.format(people=people)}, '', 1 "
        "FROM range(?) t(i)",
        [events],
    )
    con.execute(
        f"INSERT INTO record_persons SELECT 'event', 'syn', 'e' || i, {_PERSON.format(people=people)} "
        "FROM range(?) t(i)",
        [events],
    )


def _time(fn: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(round(time.perf_counter() - began, 3))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the warehouse here (and reuse it if it exists)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    db = args.keep or work / "metrics.duckdb"
    fresh = not db.exists()
    with Store.open(db) as store:
        began = time.perf_counter()
        if fresh:
            populate(store, args.interactions)
        populated = round(time.perf_counter() - began, 1)
        build = _time(lambda: build_episodes(store, EpisodeConfig()), 1 if fresh else args.repeat)
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "interactions": args.interactions,
        "populate_s": populated,
        "episodes_build_s": build,
        "metrics_s": {},
    }
    with Store.open(db, read_only=True) as store:
        for by in (None, "channel", "reason", "agent", "day", "week"):
            config = MetricsConfig(by=by)
            times = _time(lambda c=config: compute_metrics(store, c), args.repeat)  # type: ignore[misc]
            result["metrics_s"][by or "total"] = {"runs": times, "median": statistics.median(times)}
            print(f"metrics --by {by or '-'}: {times}", flush=True)
        result["drivers_s"] = {}
        for outcome in OUTCOMES:
            driver_config = DriversConfig(outcome=outcome)
            times = _time(lambda c=driver_config: find_drivers(store, c), args.repeat)  # type: ignore[misc]
            result["drivers_s"][outcome] = {"runs": times, "median": statistics.median(times)}
            print(f"drivers --outcome {outcome}: {times}", flush=True)
        report = compute_metrics(store, MetricsConfig())
        result["values"] = {m.name: m.value for m in report.total}
        result["contacts"] = int(report.total[0].denominator or 0)
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"metrics-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
