"""Ingest throughput and peak memory at 10k, 100k and 1M generated interactions.

Usage:
    python benchmarks/ingest_throughput.py [--sizes 10000 100000 1000000] [--repeat 3] [--redact] [--out DIR]

Each measurement runs in a fresh process on a fresh warehouse file, so its peak resident memory
(`ru_maxrss`) is that load's alone. Interactions carry 12 turns each (the bar's shape), with varied
text, channels, agents, in-call events and a survey on one in five. The script also checks the
two behavioural bars on the 100k file: re-ingest changes no count, and a copy with 5% corrupt lines
loads the other 95% and quarantines exactly the 5%.

`signalroom ingest` redacts PII by default; the library's `Loader` does not. Plain loads measure
the loader alone (`ingest --no-redact`); with `--redact` every size is also loaded with redaction at
ingest, each redacted run right after a plain one, so the two are compared side by side.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

WORDS = [
    "card",
    "declined",
    "abroad",
    "travel",
    "payment",
    "app",
    "login",
    "password",
    "reset",
    "bill",
    "higher",
    "than",
    "expected",
    "roaming",
    "charge",
    "direct",
    "debit",
    "failed",
    "refund",
    "status",
    "address",
    "change",
    "upgrade",
    "plan",
    "broadband",
    "outage",
    "fraud",
    "alert",
    "overdraft",
    "loan",
    "statement",
    "fee",
    "transfer",
    "account",
    "locked",
    "pin",
    "blocked",
    "contactless",
    "limit",
    "cheque",
    "deposit",
    "hello",
    "thanks",
    "please",
    "could",
    "you",
    "help",
    "me",
    "with",
    "my",
    "I",
    "tried",
    "already",
    "the",
    "website",
    "said",
    "error",
    "again",
    "since",
    "yesterday",
    "last",
    "week",
    "this",
    "morning",
    "sorry",
    "for",
    "the",
    "wait",
    "let",
    "me",
    "check",
    "that",
    "for",
    "you",
    "one",
    "moment",
]
CHANNELS = ("voice", "voice", "voice", "chat", "chat", "email", "social", "messaging")


def make_interaction(rng: random.Random, index: int, base: datetime) -> dict:
    started = base + timedelta(seconds=index * 2.6 + rng.random())
    turns = []
    offset = 0
    for t in range(12):
        length = rng.randint(6, 16)
        text = " ".join(rng.choice(WORDS) for _ in range(length))
        duration = length * 380
        turns.append(
            {
                "speaker": "agent" if t % 2 == 0 else "customer",
                "text": text,
                "offset_ms": offset,
                "end_ms": offset + duration,
            }
        )
        offset += duration + rng.randint(100, 900)
    record = {
        "kind": "interaction",
        "id": f"bench-{index:08d}",
        "channel": rng.choice(CHANNELS),
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(milliseconds=offset)).isoformat(),
        "customer": {
            "id": f"cus-{rng.randint(1, index // 3 + 10)}",
            "phone": f"+44770090{rng.randint(0, 9999):04d}",
        },
        "agent": {"id": f"ag-{rng.randint(1, 250)}", "team": f"team-{rng.randint(1, 20)}"},
        "queue": rng.choice(("cards", "billing", "tech", "retention")),
        "direction": "inbound",
        "turns": turns,
        "events_in_call": [
            {"type": "hold_start", "offset_ms": 4000},
            {"type": "hold_end", "offset_ms": 9000},
        ],
        "outcome": {"resolved": rng.random() < 0.7},
    }
    if index % 5 == 0:
        record["survey"] = {"csat": rng.randint(1, 5)}
    return record


def generate(path: Path, count: int, *, corrupt_every: int = 0, seed: int = 11) -> int:
    """Write `count` lines; with corrupt_every=N, every Nth line is cut short (malformed JSON)."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    corrupt = 0
    with path.open("wb") as handle:
        for index in range(count):
            line = orjson.dumps(make_interaction(rng, index, base))
            if corrupt_every and index % corrupt_every == corrupt_every - 1:
                line = line[: len(line) // 2]
                corrupt += 1
            handle.write(line + b"\n")
    return corrupt


CHILD = """
import json, resource, sys, time
from signalroom.ingest.loader import Loader
from signalroom.store import Store
db, data, redact = sys.argv[1], sys.argv[2], sys.argv[3] == "redact"
with Store.open(db) as store:
    loader = Loader(store)
    if redact:
        from signalroom.pipeline.redact.at_ingest import IngestRedactor
        loader.redactor = IngestRedactor()
    start = time.perf_counter()
    [summary] = loader.ingest([data], fmt="jsonl", source="bench")
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "summary": summary.to_dict()}))
"""


def ingest_once(db: Path, data: Path, *, redact: bool = False) -> dict:
    mode = "redact" if redact else "plain"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(data), mode], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def machine() -> dict:
    import duckdb

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except OSError:
        mem_kb = 0
    import os

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 1M (the median is reported)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--redact", action="store_true", help="also load every size with redaction at ingest")
    args = parser.parse_args()

    results: dict = {"machine": machine(), "when": datetime.now(UTC).isoformat(), "runs": []}
    with tempfile.TemporaryDirectory(dir=args.work) as scratch:
        work = Path(scratch)
        for size in args.sizes:
            data = work / f"interactions-{size}.jsonl"
            started = time.perf_counter()
            generate(data, size)
            print(
                f"generated {size:,} interactions ({data.stat().st_size / 1e6:,.0f} MB) "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            repeats = args.repeat if size < 1_000_000 else 1
            runs, redacted = [], []
            for attempt in range(repeats):
                for redact, into in ((False, runs), (True, redacted)) if args.redact else ((False, runs),):
                    db = work / f"w-{size}-{attempt}{'-redacted' if redact else ''}.duckdb"
                    run = ingest_once(db, data, redact=redact)
                    assert run["summary"]["inserted"] == size, run["summary"]
                    into.append(run)
                    print(
                        f"  {size:,}{' redacted' if redact else ''}: {size / run['seconds']:,.0f} interactions/s, "
                        f"peak {run['peak_rss_mb']:,.0f} MB",
                        flush=True,
                    )
            rates = [size / r["seconds"] for r in runs]
            entry = {
                "size": size,
                "bytes": data.stat().st_size,
                "runs": len(runs),
                "median_rate": statistics.median(rates),
                "rates": rates,
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
            if redacted:
                entry["redacted"] = {
                    "median_rate": statistics.median(size / r["seconds"] for r in redacted),
                    "rates": [size / r["seconds"] for r in redacted],
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in redacted),
                }
            if size == 100_000 or (size == max(args.sizes) and 100_000 not in args.sizes):
                again = ingest_once(work / f"w-{size}-0.duckdb", data)
                entry["reingest"] = {
                    "rate": size / again["seconds"],
                    "inserted": again["summary"]["inserted"],
                    "updated": again["summary"]["updated"],
                    "unchanged": again["summary"]["unchanged"],
                }
                assert again["summary"]["unchanged"] == size and again["summary"]["inserted"] == 0
                corrupt_file = work / f"corrupt-{size}.jsonl"
                corrupt = generate(corrupt_file, size, corrupt_every=20)
                bad = ingest_once(work / f"corrupt-{size}.duckdb", corrupt_file)["summary"]
                entry["corrupt_5pct"] = {
                    "corrupt_lines": corrupt,
                    "inserted": bad["inserted"],
                    "quarantined": bad["quarantined"],
                    "reasons": bad["reasons"],
                }
                assert bad["quarantined"] == corrupt and bad["inserted"] == size - corrupt
            results["runs"].append(entry)
            data.unlink()
            for db in work.glob("*.duckdb*"):
                db.unlink()
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {out}")
    print("| interactions | median interactions/s | runs | peak memory | redacted at ingest: interactions/s |")
    print("|---:|---:|---:|---:|---:|")
    for entry in results["runs"]:
        red = entry.get("redacted")
        redacted_rate = f"{red['median_rate']:,.0f}" if red else ""
        print(
            f"| {entry['size']:,} | {entry['median_rate']:,.0f} | {entry['runs']} | {entry['peak_rss_mb']:,.0f} MB "
            f"| {redacted_rate} |"
        )


if __name__ == "__main__":
    main()
