"""Identity stitching against the demo generator's truth, and how long resolution takes.

Usage:
    python benchmarks/identity_eval.py [--customers 2000 40000] [--days 30] [--seed 7] [--out DIR]

For each size: generate a demo month, load it without resolving, then time a full resolution, an
incremental one with nothing new, and one after a small extra load. Then compare the people found
with the truth (`.truth/interactions.jsonl`: each interaction's true customer):

- pairwise precision: of the pairs of interactions put in one person, the share truly one customer;
- pairwise recall: of the pairs of interactions of one customer, the share put in one person;
- the evidence ceiling: the recall an exact resolver reaches with the identifiers the records
  carry (see signalroom.journeys.evaluation), and the recall found as a share of it.

Results are printed and written as JSON to `benchmarks/results/identity-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signalroom.demo import DemoConfig, generate
from signalroom.ingest.loader import Loader
from signalroom.journeys.evaluation import evidence_ceiling, pairwise, true_customers
from signalroom.journeys.identity import resolve
from signalroom.store import Store

RESULTS = Path(__file__).resolve().parent / "results"


def run(customers: int, days: int, seed: int, work: Path) -> dict[str, Any]:
    out = work / f"demo-{customers}"
    started = time.perf_counter()
    summary = generate(DemoConfig(customers=customers, days=days, seed=seed, out=out))
    generated = time.perf_counter() - started
    db = work / f"identity-{customers}.duckdb"
    with Store.open(db) as store:
        loader = Loader(store, resolve_identities=False)
        started = time.perf_counter()
        # Everything but the last day's surveys first; those come as the small extra load.
        loader.ingest([out / name for name in ("customers.jsonl", "interactions.jsonl", "events.jsonl")])
        loaded = time.perf_counter() - started
        full = resolve(store, full=True)
        nothing_new = resolve(store)
        loader.ingest([out / "surveys.jsonl"])
        small = resolve(store)
        found = {
            str(rid): int(pid)
            for rid, pid in store.connection.execute(
                "SELECT record_id, person_id FROM record_persons WHERE record_kind = 'interaction'"
            ).fetchall()
        }
        records = int(store.connection.execute("SELECT count(*) FROM record_identifiers").fetchall()[0][0])
    quality = pairwise(true_customers(out), found).to_dict()
    ceiling = evidence_ceiling(out)
    return {
        "customers": customers,
        "days": days,
        "seed": seed,
        "interactions": summary.interactions,
        "records": sum(summary.files.values()),
        "record_identifiers": records,
        "generate_seconds": round(generated, 2),
        "load_seconds": round(loaded, 2),
        "resolve_full": full.to_dict(),
        "resolve_nothing_new": nothing_new.to_dict(),
        "resolve_after_surveys": small.to_dict(),
        **quality,
        "evidence_ceiling_recall": ceiling,
        "recall_of_reachable": round(float(quality["recall"]) / ceiling, 5),
    }


_PICK = "SELECT i, hash(i, 3) % {c} AS c, hash(i, 4) % 100 AS k FROM range({lo}, {hi}) t(i)"
_INTERACTIONS = (
    "INSERT INTO interactions (source, id, channel, started_at, utc_offset_minutes, customer_id, customer_email, "
    "customer_phone, customer_handle, customer_account, turn_count, content_hash, load_id) "
    "SELECT 'syn', 'i' || i, 'voice', TIMESTAMPTZ '2026-03-02' + to_seconds(i), 0, "
    "CASE WHEN k < 25 THEN 'S' || c END, CASE WHEN k >= 25 AND k < 40 THEN 'c' || c || '@example.com' END, "
    "CASE WHEN k >= 40 AND k < 80 THEN '+44770' || lpad((c * 7)::VARCHAR, 7, '0') "
    "WHEN k >= 80 AND k < 90 THEN '+44780' || lpad(c::VARCHAR, 7, '0') END, "
    "CASE WHEN k >= 90 AND k < 95 THEN '@h' || c END, CASE WHEN k >= 95 THEN 'A' || c END, 0, '', {load} "
    "FROM ({pick})"
)


def synthetic(interactions: int, work: Path) -> dict[str, Any]:
    """Resolution time at scale: records written straight into a warehouse by SQL (no text), with
    the demo's mix of identifiers — one customer per 3.3 interactions, two events per interaction,
    profiles listing the main phone (80%, in national format) and email (85%) but never the
    second phone. The last 10,000 interactions come as a second load."""
    customers, events, later = max(1, interactions * 3 // 10), interactions * 2, min(10_000, interactions // 10)
    first_part = interactions - later
    with Store.open(work / f"synthetic-{interactions}.duckdb") as store:
        con = store.connection
        started = time.perf_counter()
        con.execute("INSERT INTO sources VALUES ('syn', 'jsonl', now(), now())")
        con.execute(
            "INSERT INTO loads (load_id, source, format, paths, started_at, status) "
            "VALUES (1, 'syn', 'jsonl', [], now(), 'completed')"
        )
        con.execute(
            "INSERT INTO customers (source, id, content_hash, load_id) "
            "SELECT 'syn', 'S' || i, '', 1 FROM range(?) t(i)",
            [customers],
        )
        con.execute(
            "INSERT INTO customer_identifiers SELECT 'syn', 'S' || i, kind, value FROM range(?) t(i), "
            "LATERAL (VALUES ('id', 'S' || i), ('account', 'A' || i), "
            "('phone', CASE WHEN hash(i, 1) % 10 < 8 THEN '0770 ' || lpad((i * 7)::VARCHAR, 7, '0') END), "
            "('email', CASE WHEN hash(i, 2) % 100 < 85 THEN 'c' || i || '@example.com' END)) v(kind, value) "
            "WHERE value IS NOT NULL",
            [customers],
        )
        con.execute(_INTERACTIONS.format(load=1, pick=_PICK.format(c=customers, lo=0, hi=first_part)))
        con.execute(
            "INSERT INTO events (source, id, occurred_at, utc_offset_minutes, type, customer_id, customer_email, "
            "content_hash, load_id) SELECT 'syn', 'e' || i, TIMESTAMPTZ '2026-03-02' + to_seconds(i), 0, 'login', "
            "CASE WHEN k < 60 THEN 'S' || c END, CASE WHEN k >= 60 THEN 'c' || c || '@example.com' END, '', 1 "
            f"FROM ({_PICK.format(c=customers, lo=0, hi=events)})"
        )
        written = time.perf_counter() - started
        full = resolve(store, full=True)
        con.execute(
            "INSERT INTO loads (load_id, source, format, paths, started_at, status) "
            "VALUES (2, 'syn', 'jsonl', [], now(), 'completed')"
        )
        con.execute(_INTERACTIONS.format(load=2, pick=_PICK.format(c=customers, lo=first_part, hi=interactions)))
        small = resolve(store)
        nothing_new = resolve(store)
        found = {str(r): int(p) for r, p in con.execute("SELECT id, person_id FROM interaction_persons").fetchall()}
        truth = {
            f"i{i}": str(c) for i, c, _ in con.execute(_PICK.format(c=customers, lo=0, hi=interactions)).fetchall()
        }
    return {
        "synthetic_interactions": interactions,
        "events": events,
        "profiles": customers,
        "write_seconds": round(written, 2),
        "resolve_full": full.to_dict(),
        f"resolve_{later}_new": small.to_dict(),
        "resolve_nothing_new": nothing_new.to_dict(),
        **pairwise(truth, found).to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="*", default=[2000, 40000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--synthetic", type=int, nargs="*", default=[], help="interactions, e.g. 1000000")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="signalroom-identity-") as tmp:
        for size in args.customers:
            result = run(size, args.days, args.seed, Path(tmp))
            results.append(result)
            print(json.dumps(result, indent=2), flush=True)
        for size in args.synthetic:
            result = synthetic(size, Path(tmp))
            results.append(result)
            print(json.dumps(result, indent=2), flush=True)
    report = {
        "benchmark": "identity_eval",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"identity-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
