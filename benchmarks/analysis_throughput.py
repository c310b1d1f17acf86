"""Throughput of `signalroom analyze` on the fast tier, and the contact-reason fit at 100k.

Usage:
    python benchmarks/analysis_throughput.py [--customers 4000] [--days 30] [--fit-size 100000] [--repeat 3]

1. Generates a demo month and loads it twice: with redaction at ingest (the CLI's default; the
   analysis reuses the marks) and with the turns stored as they arrived (`--no-redact`; the
   analysis redacts them). Runs the analysis once on each (which also fits the reasons), then times
   `--full` re-analyses (every stage, no refit), the two warehouses alternating, and reports
   interactions/s with the seconds spent per stage (median of the repeats). Also the CPU seconds
   each run used (this process, its DuckDB threads and the worker processes): 2 × interactions ÷
   CPU seconds is the rate two dedicated cores would sustain, a figure a shared machine's other
   load does not distort (the wall-clock rate is also reported).
2. Fits the reason model on `--fit-size` purpose texts (the demo's, repeated with their embeddings
   perturbed so they are not identical) and reports the wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from signalroom.demo.config import DemoConfig
from signalroom.demo.generator import generate
from signalroom.ingest.loader import Loader
from signalroom.pipeline.analyze import analyze
from signalroom.pipeline.reasons import ReasonModel
from signalroom.pipeline.redact.at_ingest import IngestRedactor
from signalroom.store import Store, reason_models

# Turns redacted when they were loaded (`signalroom ingest`'s default: analysis reuses the marks),
# and turns stored as they arrived (`--no-redact`: the analysis redacts them).
MODES = ("redacted_at_ingest", "stored_as_arrived")


def _cpu_seconds() -> float:
    """CPU used by this process and its finished children (the analysis workers are joined at
    the end of each run, so theirs is counted): on a shared machine, what a run would need of
    two dedicated cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _summary(store: Store, runs: list, cpu: list[float]) -> dict:
    rates = [r.interactions / r.seconds for r in runs]
    stage_seconds = {
        name: statistics.median(r.stage_seconds.get(name, 0.0) for r in runs) for name in runs[0].stage_seconds
    }
    n = runs[0].interactions
    return {
        "interactions": n,
        "turns": int(store.connection.execute("SELECT count(*) FROM turns").fetchall()[0][0]),
        "median_interactions_per_second": statistics.median(rates),
        "cpu_seconds": cpu,
        "median_capacity_on_two_cores": statistics.median(2 * n / c for c in cpu),
        "rates": rates,
        "stage_microseconds_per_interaction": {k: round(v / n * 1e6) for k, v in stage_seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fit-size", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()

    results: dict = {"when": dt.datetime.now(dt.UTC).isoformat()}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        summary = generate(DemoConfig(customers=args.customers, days=args.days, seed=7, out=work / "demo"))
        stores = {mode: Store.open(work / f"{mode}.duckdb") for mode in MODES}
        try:
            for mode, store in stores.items():
                loader = Loader(store)
                if mode == "redacted_at_ingest":
                    loader.redactor = IngestRedactor()
                started = time.perf_counter()
                loader.ingest([work / "demo"], fmt="jsonl", source="demo")
                print(f"{mode}: loaded in {time.perf_counter() - started:.1f} s", flush=True)
                first = analyze(store, detect_signals=False)
                print(
                    f"  first run (with the fit): {first.run.interactions:,} in {first.run.seconds:.1f} s", flush=True
                )
            runs: dict[str, list] = {mode: [] for mode in MODES}
            cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
            for _ in range(args.repeat):
                for mode, store in stores.items():  # side by side: the modes alternate
                    used = _cpu_seconds()
                    again = analyze(store, full=True, detect_signals=False)
                    cpu[mode].append(_cpu_seconds() - used)
                    runs[mode].append(again.run)
                    rate = again.run.interactions / again.run.seconds
                    capacity = 2 * again.run.interactions / cpu[mode][-1]
                    print(
                        f"  {mode}: full re-analysis {rate:,.0f} interactions/s "
                        f"(CPU {cpu[mode][-1]:.1f} s: {capacity:,.0f}/s on 2 dedicated cores)",
                        flush=True,
                    )
            results["pipeline"] = {mode: _summary(stores[mode], runs[mode], cpu[mode]) for mode in MODES}
            _, texts, matrix = reason_models.purpose_embeddings(stores[MODES[0]], "fast")
        finally:
            for store in stores.values():
                store.close()
        rng = np.random.default_rng(7)
        reps = -(-args.fit_size // len(texts))
        big_texts = (texts * reps)[: args.fit_size]
        noise = rng.normal(0, 0.02, size=(len(big_texts), matrix.shape[1])).astype(np.float32)
        big = np.tile(matrix, (reps, 1))[: args.fit_size] + noise
        started = time.perf_counter()
        model = ReasonModel().fit(big_texts, big)
        fit_seconds = time.perf_counter() - started
        print(f"reason fit on {len(big_texts):,}: {fit_seconds:.1f} s, {len(model.topics_)} reasons", flush=True)
        results["fit"] = {"size": len(big_texts), "seconds": fit_seconds, "reasons": len(model.topics_)}
        results["demo"] = summary.to_dict()
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"analysis-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "demo"}, indent=2))
    print(f"results: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
