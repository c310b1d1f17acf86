"""Knowledge suggestions for live assist, measured on a real set: the IBM Twitter customer-care
conversations for document prediction (../shared/data/ibm-twitter-customer-care-cdp).

Protocol (benchmarks/ibm_cdp.py): the 525 dev conversations are the past (each with the document
the agent sent), the 500 test conversations are evaluated; one article per document, its words
taken from its URL (no document text ships with the set); candidates are the conversation's
brand's documents. Each method is fitted on dev and asked for k=3 suggestions per test
conversation, from the first customer turn and from the whole conversation before the link.

Reported per method and cut: top-1 and top-3 accuracy (the labelled document among the first 1 or
3 articles), the calibration of the top article's confidence (expected calibration error over 10
equal-width bins, and the Brier score), the top resolution's accuracy (its past contact was
resolved with the labelled document) and calibration, and the time per suggest() call (median and
p99 over the 500 calls; the median over --repeats passes of each). A scale run then fits ours on
the 3,585 articles with the past grown tenfold (5,250 contacts: dev repeated with a fifth of each
conversation's words dropped, for timing only) and times fit and suggest.

    python benchmarks/assist_suggestions.py [--out benchmarks/results/assist_suggestions.json]
        [--repeats 3] [--no-scale]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from ibm_cdp import DATA, Case, IbmCdp, load

from signalroom.assist.ranking import expected_calibration_error
from signalroom.assist.suggest import BM25Suggester, Suggester
from signalroom.assist.types import PastResolution
from signalroom.pipeline.embed.base import package_version

RESULTS = Path(__file__).parent / "results"
CUTS: dict[str, Callable[[Case], Any]] = {
    "first customer turn": lambda case: case.first_customer_turn(),
    "all turns": lambda case: case.turns,
}
METHODS: dict[str, Callable[[], Any]] = {
    "BM25 over articles (baseline)": lambda: BM25Suggester(),
    "BM25 with document expansion": lambda: BM25Suggester(expand=True),
    "ours": lambda: Suggester(),
    "ours without embeddings": lambda: Suggester(embedder=None),
    "ours, isotonic calibration": lambda: Suggester(calibration="isotonic"),
}


def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def evaluate(model: Any, data: IbmCdp, cut: Callable[[Case], Any], k: int = 3) -> dict[str, Any]:
    """Accuracy, calibration and per-call time of one fitted model on the test conversations."""
    article_of = {p.interaction: p.article_id for p in data.past}
    seen_docs = set(article_of.values())
    top1, top3, confidence, seconds, res_hit, res_conf, seen = [], [], [], [], [], [], []
    gc.collect()
    for case in data.test:
        turns = cut(case)
        started = time.perf_counter()
        out = model.suggest(turns, collection=case.collection, k=k)
        seconds.append(time.perf_counter() - started)
        articles = [s for s in out if s.kind == "article"]
        ids = [s.id for s in articles]
        top1.append(bool(ids) and ids[0] == case.label)
        top3.append(case.label in ids[:3])
        seen.append(case.label in seen_docs)
        confidence.append(articles[0].confidence if articles else 0.0)
        resolutions = [s for s in out if s.kind == "resolution"]
        if resolutions:
            res_hit.append(article_of.get(resolutions[0].id) == case.label)
            res_conf.append(resolutions[0].confidence)
    hit = np.array(top1, dtype=bool)
    conf = np.array(confidence)
    result: dict[str, Any] = {
        "top1": round(float(hit.mean()), 4),
        "top3": round(float(np.mean(top3)), 4),
        "ece": round(expected_calibration_error(conf, hit), 4),
        "brier": round(float(np.mean((conf - hit) ** 2)), 4),
        "mean_confidence": round(float(conf.mean()), 4),
        "median_ms": round(statistics.median(seconds) * 1e3, 3),
        "p99_ms": round(float(np.percentile(seconds, 99)) * 1e3, 3),
        "hits": {"top1": [bool(x) for x in top1], "top3": [bool(x) for x in top3]},
    }
    # documents some past contact was resolved with, and the rest (only their words can find them)
    for name, mask in (("seen", np.array(seen)), ("unseen", ~np.array(seen))):
        result[f"top3_{name}"] = round(float(np.mean(np.array(top3)[mask])), 4)
        result[f"n_{name}"] = int(mask.sum())
    if res_hit:
        result["resolution_top1"] = round(float(np.mean(res_hit)), 4)
        result["resolution_ece"] = round(expected_calibration_error(np.array(res_conf), np.array(res_hit)), 4)
        result["resolution_mean_confidence"] = round(float(np.mean(res_conf)), 4)
    return result


def paired_difference(ours: list[bool], theirs: list[bool], resamples: int = 2000) -> dict[str, float]:
    """Mean of ours - theirs over the same cases, with a 95% paired bootstrap interval."""
    diff = np.array(ours, dtype=float) - np.array(theirs, dtype=float)
    rng = np.random.default_rng(0)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": round(float(diff.mean()), 4), "ci95": [round(float(low), 4), round(float(high), 4)]}


def grown_past(past: list[PastResolution], times: int, seed: int = 0) -> list[PastResolution]:
    """The past repeated `times` times, each copy with a fifth of its words dropped (timing only)."""
    rng = random.Random(seed)
    out = list(past)
    for copy in range(1, times):
        for item in past:
            kept = [w for w in item.text.split() if rng.random() > 0.2]
            out.append(replace(item, interaction=f"{item.interaction}~{copy}", text=" ".join(kept)))
    return out


def scale_run(data: IbmCdp, times: int = 10) -> dict[str, Any]:
    past = grown_past(data.past, times)
    model = Suggester()
    started = time.perf_counter()
    model.fit(data.articles, past)
    fit_s = time.perf_counter() - started
    timing = evaluate(model, data, CUTS["all turns"])
    return {
        "articles": len(data.articles),
        "past": len(past),
        "embeddings": model.embedder_ is not None,
        "fit_s": round(fit_s, 2),
        "median_ms": timing["median_ms"],
        "p99_ms": timing["p99_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "assist_suggestions.json")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=3, help="timing passes per method and cut (medians kept)")
    parser.add_argument("--no-scale", action="store_true", help="skip the 5,250-contact scale run")
    args = parser.parse_args()
    if not (args.data / "test.json").is_file():
        sys.exit(f"the IBM set is not at {args.data}")
    data = load(args.data)
    report: dict[str, Any] = {
        "benchmark": "assist_suggestions",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": {name: package_version(name) for name in ("numpy", "scipy", "scikit-learn", "bm25s", "model2vec")},
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "data": {"articles": len(data.articles), "past": len(data.past), "test": len(data.test)},
        "k": 3,
        "repeats": args.repeats,
        "methods": {},
    }
    print(f"{'method':32} {'cut':20} {'top-1':>6} {'top-3':>6} {'ECE':>6} {'Brier':>6} {'res@1':>6} "
          f"{'med ms':>7} {'p99 ms':>7} {'fit s':>6}")  # fmt: skip
    for name, make in METHODS.items():
        model = make()
        started = time.perf_counter()
        model.fit(data.articles, data.past)
        fit_s = time.perf_counter() - started
        entry: dict[str, Any] = {
            "params": {k: repr(v) for k, v in model.get_params().items()},
            "fit_s": round(fit_s, 2),
        }
        if isinstance(model, Suggester):
            entry["embeddings"] = model.embedder_.get_params() if model.embedder_ is not None else None
        for cut_name, cut in CUTS.items():
            runs = [evaluate(model, data, cut) for _ in range(max(1, args.repeats))]
            result = dict(runs[0])
            result["median_ms"] = statistics.median(r["median_ms"] for r in runs)
            result["p99_ms"] = statistics.median(r["p99_ms"] for r in runs)
            result["median_ms_runs"] = [r["median_ms"] for r in runs]
            result["p99_ms_runs"] = [r["p99_ms"] for r in runs]
            entry[cut_name] = result
            res = f"{result['resolution_top1']:6.3f}" if "resolution_top1" in result else f"{'-':>6}"
            print(f"{name:32} {cut_name:20} {result['top1']:6.3f} {result['top3']:6.3f} {result['ece']:6.3f} "
                  f"{result['brier']:6.3f} {res} {result['median_ms']:7.3f} {result['p99_ms']:7.3f} {fit_s:6.2f}",
                  flush=True)  # fmt: skip
        report["methods"][name] = entry
    report["ours_minus_expanded"] = {
        cut: {
            metric: paired_difference(
                report["methods"]["ours"][cut]["hits"][metric],
                report["methods"]["BM25 with document expansion"][cut]["hits"][metric],
            )
            for metric in ("top1", "top3")
        }
        for cut in CUTS
    }
    print(f"\nours - BM25 with expansion (95% paired bootstrap): {report['ours_minus_expanded']}")
    for entry in report["methods"].values():
        for cut in CUTS:
            entry[cut].pop("hits")
    if not args.no_scale:
        report["scale"] = scale_run(data)
        s = report["scale"]
        print(f"\nscale: {s['articles']} articles, {s['past']} past contacts: fit {s['fit_s']} s, "
              f"suggest median {s['median_ms']} ms, p99 {s['p99_ms']} ms")  # fmt: skip
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\n{report['machine']}; load average before {report['load_average_before']}, after "
          f"{report['load_average_after']}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
