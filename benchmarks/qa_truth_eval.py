"""Auto-QA against the demo generator's truth, per criterion that has a counterpart in it.

Usage:
    python benchmarks/qa_truth_eval.py [--tier quality] [--keep PATH]

Generates the default demo month (2,000 customers, 30 days, seed 7), loads it, analyses it (the
demo's quality tier) and scores it with the shipped scorecards, then compares each answer with the
truth (`.truth/interactions.jsonl`) where the truth says the same thing:

- recording-disclosure ↔ `disclosure_given` (the agent said the disclosure);
- empathy-after-negative ↔ `empathy_phrases` > 0 (the agent said an empathy phrase — anywhere in
  the conversation, while the criterion asks for one after the customer's first negative moment:
  an approximate counterpart);
- customer-not-left-negative ↔ the customer's true closing mood `sentiment.end` > 0.

Reports, over the interactions where the criterion applied: percent agreement, Cohen's kappa, and
the counts of the 2×2 table. Written to `benchmarks/results/qa-truth-<time>.json`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sklearn.metrics import cohen_kappa_score

from signalroom.demo import DemoConfig, generate
from signalroom.ingest.loader import Loader
from signalroom.pipeline.analyze import analyze
from signalroom.qa.run import score
from signalroom.store import Store

RESULTS = Path(__file__).resolve().parent / "results"
COUNTERPARTS: dict[str, Callable[[dict[str, Any]], bool | None]] = {
    "recording-disclosure": lambda t: t["disclosure_given"],
    "empathy-after-negative": lambda t: (t["empathy_phrases"] or 0) > 0 if t["agent_id"] else None,
    "customer-not-left-negative": lambda t: t["sentiment"]["end"] > 0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tier", default="quality")
    parser.add_argument("--keep", type=Path, help="work folder to keep (and reuse)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp())
    out, db = work / "demo", work / "qa-truth.duckdb"
    if not db.exists():
        generate(DemoConfig(out=out))
        with Store.open(db) as store:
            Loader(store, resolve_identities=True).ingest([out], fmt="jsonl", source="demo")
            analyze(store, tier=args.tier)
    with Store.open(db) as store:
        score(store)
        answers = store.connection.execute(
            "SELECT id, criterion_id, value FROM qa_answers WHERE value <> 'na'"
        ).fetchall()
    truth = {
        row["interaction_id"]: row for row in map(orjson.loads, (out / ".truth" / "interactions.jsonl").open("rb"))
    }
    report: dict[str, Any] = {}
    for criterion, counterpart in COUNTERPARTS.items():
        pairs = []
        for ident, crit, value in answers:
            if crit != criterion or ident not in truth:
                continue
            expected = counterpart(truth[ident])
            if expected is not None:
                pairs.append((value == "pass", bool(expected)))
        auto, real = [a for a, _ in pairs], [t for _, t in pairs]
        table = {
            f"auto_{'pass' if a else 'fail'}_truth_{'yes' if t else 'no'}": 0
            for a in (True, False)
            for t in (True, False)
        }
        for a, t in pairs:
            table[f"auto_{'pass' if a else 'fail'}_truth_{'yes' if t else 'no'}"] += 1
        report[criterion] = {
            "interactions": len(pairs),
            "agreement": round(sum(a == t for a, t in pairs) / len(pairs), 4) if pairs else None,
            "cohen_kappa": round(float(cohen_kappa_score(auto, real)), 4) if len(set(auto + real)) > 1 else None,
            **table,
        }
        print(criterion, report[criterion], flush=True)
    result = {"benchmark": "qa_truth_eval", "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "tier": args.tier, "criteria": report}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"qa-truth-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
