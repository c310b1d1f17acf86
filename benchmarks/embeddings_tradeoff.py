"""Speed and quality of the two embedding tiers ("quality" MiniLM, "fast" static MiniLM) on banking77.

Usage:
    python benchmarks/embeddings_tradeoff.py [--data DIR] [--repeat 3] [--cache-dir DIR] [--json FILE]

Data: banking77 (PolyAI, CC BY 4.0), read at run time from `DIR/train.csv` and `DIR/test.csv`
(default: ../shared/data/banking77 beside the repository): 10,003 train and 3,080 test queries
in 77 intents. Nothing is copied into the repository.

* speed: encode the same 5,000 short texts (the 3,080 test queries, then the first 1,920 train
  queries) `--repeat` times after a warm-up; median texts/s. Model loading (and, for the fast
  tier, building) is timed separately.
* k-NN intent accuracy: embed train and test; each test query takes the intent of its nearest
  train query by cosine (k=1), or the majority of its 5 nearest (k=5; a tie goes to the intent
  whose nearest member ranks higher).
* clustering: KMeans with k=77 on the test embeddings, 3 seeds (n_init=3 each); NMI and ARI
  against the intents, mean and spread over the seeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from signalroom.pipeline.embed import Embedder, build_fast_model, fast_model_dir, make_embedder

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "banking77"
SPEED_N = 5000


def read_split(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["category"] for row in rows]


def knn_accuracy(train: np.ndarray, train_y: list[str], test: np.ndarray, test_y: list[str], k: int) -> float:
    sims = test @ train.T
    top = np.argsort(-sims, axis=1)[:, :k]
    hits = 0
    for row, truth in zip(top, test_y, strict=True):
        labels = [train_y[i] for i in row]
        counts = Counter(labels)
        best = max(counts.values())
        predicted = next(label for label in labels if counts[label] == best)  # ties: nearest first
        hits += predicted == truth
    return hits / len(test_y)


def clustering(vectors: np.ndarray, labels: list[str], seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, Any]:
    nmi, ari = [], []
    for seed in seeds:
        assigned = KMeans(n_clusters=77, n_init=3, random_state=seed).fit_predict(vectors)
        nmi.append(normalized_mutual_info_score(labels, assigned))
        ari.append(adjusted_rand_score(labels, assigned))
    return {"nmi": statistics.mean(nmi), "nmi_range": [min(nmi), max(nmi)], "ari": statistics.mean(ari)}


def measure(tier: str, args: argparse.Namespace, data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"tier": tier}
    if tier == "fast":
        already = (fast_model_dir(cache_dir=args.cache_dir) / "signalroom-build.json").is_file()
        started = time.perf_counter()
        build_fast_model(cache_dir=args.cache_dir)
        result["build_s"] = None if already else round(time.perf_counter() - started, 1)
    embedder: Embedder = make_embedder(tier, cache_dir=args.cache_dir)
    started = time.perf_counter()
    embedder.encode(data["test_x"][:1])  # loads (and verifies) the model
    result["load_s"] = round(time.perf_counter() - started, 2)
    embedder.encode(data["train_x"][:256])  # warm-up

    speed_texts = data["test_x"] + data["train_x"][: SPEED_N - len(data["test_x"])]
    rates: list[float] = []
    vectors = np.empty((0, 0), dtype=np.float32)
    for _ in range(args.repeat):
        started = time.perf_counter()
        vectors = embedder.encode(speed_texts)
        rates.append(len(speed_texts) / (time.perf_counter() - started))
        print(f"  {tier}: {rates[-1]:,.0f} texts/s", file=sys.stderr)
    result["texts_per_s"] = statistics.median(rates)
    result["texts_per_s_runs"] = [round(r) for r in rates]

    # Reuse the timed run's vectors (encoding is deterministic) and embed only the rest of train.
    n_test = len(data["test_x"])
    test = vectors[:n_test]
    rest = embedder.encode(data["train_x"][SPEED_N - n_test :])
    train = np.vstack([vectors[n_test:], rest])
    result["knn1"] = knn_accuracy(train, data["train_y"], test, data["test_y"], 1)
    result["knn5"] = knn_accuracy(train, data["train_y"], test, data["test_y"], 5)
    result.update(clustering(test, data["test_y"]))
    result["params"] = embedder.get_params()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="default: $SIGNALROOM_CACHE or ~/.cache/signalroom"
    )
    parser.add_argument("--tiers", nargs="+", default=["fast", "quality"])
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = parser.parse_args()

    train_x, train_y = read_split(args.data / "train.csv")
    test_x, test_y = read_split(args.data / "test.csv")
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    load_before = os.getloadavg()
    results = [measure(tier, args, data) for tier in args.tiers]
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "train": len(train_x),
        "test": len(test_x),
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    before, after = report["load_average_before"], report["load_average_after"]
    print(f"\n{report['machine']}; load average before {before}, after {after}")
    print(f"\n| tier | dims | texts/s (median of {args.repeat}) | load s | build s | k-NN@1 | k-NN@5 | NMI | ARI |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        build = "—" if r.get("build_s") is None else f"{r['build_s']}"
        print(
            f"| {r['tier']} | {r['params']['dim']} | {r['texts_per_s']:,.0f} | {r['load_s']} | {build} | "
            f"{r['knn1']:.3f} | {r['knn5']:.3f} | {r['nmi']:.3f} ({r['nmi_range'][0]:.3f}–{r['nmi_range'][1]:.3f}) "
            f"| {r['ari']:.3f} |"
        )


if __name__ == "__main__":
    main()
