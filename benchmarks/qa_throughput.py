"""Automated QA throughput: `signalroom qa score --full` with the shipped scorecards.

Usage:
    python benchmarks/qa_throughput.py [--customers 12000] [--days 30] [--repeat 3] [--keep PATH]

Generates a demo month, loads and analyses it (fast tier) once, then times full rescoring of every
interaction (read the inputs, match, score, write the results and answers), `--repeat` times, and
reports interactions per second (median) with the machine. Issue 5 bar: ≥ 5,000 interactions/s on
2 cores. Results are written to `benchmarks/results/qa-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from signalroom.demo import DemoConfig, generate
from signalroom.ingest.loader import Loader
from signalroom.pipeline.analyze import analyze
from signalroom.qa.run import score
from signalroom.store import Store

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=12000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="the analysed warehouse (made here if missing, reused if not)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    db = args.keep or work / "qa.duckdb"
    if not db.exists():
        out = work / "demo"
        generate(DemoConfig(customers=args.customers, days=args.days, out=out))
        with Store.open(db) as store:
            Loader(store).ingest([out], fmt="jsonl", source="demo")
            analyze(store, tier="fast")
    runs = []
    with Store.open(db) as store:
        score(store)  # keeps the scorecards in use; warms the caches
        for _ in range(args.repeat):
            report = score(store, full=True)
            runs.append(report.per_second)
            print(f"{report.interactions:,} interactions in {report.seconds} s: {report.per_second:,.0f}/s", flush=True)
    result = {
        "benchmark": "qa_throughput",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "interactions": report.interactions,
        "answers": report.answers,
        "runs_per_second": runs,
        "median_per_second": statistics.median(runs),
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"qa-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
