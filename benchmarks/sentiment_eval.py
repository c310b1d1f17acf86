"""Accuracy and speed of ``signalroom.pipeline.sentiment``.

1. The hand-labelled sets in ``tests/fixtures/sentiment/`` (customer utterances written for this
   project, labelled positive / neutral / negative): ``labelled.jsonl`` (152, the development set
   the domain lexicon was adapted on) and ``heldout.jsonl`` (60, written afterwards and never
   tuned on): per-turn label accuracy, macro-F1 and confusion, for the contact-centre scorer and
   for plain VADER (``vaderSentiment``'s own ``polarity_scores``, compound ±0.05).
2. The demo generator's truth (``signalroom demo generate --customers 300 --days 10``): every
   interaction's true customer mood (start, mid, end, trajectory) and satisfaction against our
   customer end-state, trajectory and overall label.
3. Speed: turns per second on one core, cold (every text new) and warm (the scorer's cache).

    python benchmarks/sentiment_eval.py [--demo DIR] [--json OUT]

Without ``--demo`` a demo set is generated into a temporary folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from signalroom.pipeline.sentiment import SentimentScorer, trajectory
from signalroom.pipeline.views import CallEventView, InteractionView, TurnView

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "fixtures" / "sentiment" / "labelled.jsonl"  # development set
HELDOUT = REPO / "tests" / "fixtures" / "sentiment" / "heldout.jsonl"  # written after tuning, never tuned on
LABELS = ("negative", "neutral", "positive")


def metrics(truth: list[str], pred: list[str], labels: tuple[str, ...] = LABELS) -> dict[str, Any]:
    n = len(truth)
    acc = sum(t == p for t, p in zip(truth, pred, strict=True)) / n if n else 0.0
    f1s = {}
    for c in labels:
        tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
        fp = sum(t != c and p == c for t, p in zip(truth, pred, strict=True))
        fn = sum(t == c and p != c for t, p in zip(truth, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s[c] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    confusion = {t: {p: 0 for p in labels} for t in labels}
    for t, p in zip(truth, pred, strict=True):
        confusion[t][p] += 1
    return {
        "n": n,
        "accuracy": round(acc, 4),
        "macro_f1": round(sum(f1s.values()) / len(labels), 4),
        "f1": {k: round(v, 4) for k, v in f1s.items()},
        "confusion (rows truth, columns predicted)": confusion,
    }


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def labelled_eval(path: Path = LABELLED) -> dict[str, Any]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    rows = load_labelled(path)
    truth = [r["label"] for r in rows]
    ours = SentimentScorer()
    pred = [ours.label(ours.score(r["text"], r.get("speaker", "customer"))) for r in rows]
    vader = SentimentIntensityAnalyzer()

    def plain(text: str) -> str:
        c = vader.polarity_scores(text)["compound"]
        return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"

    by_tag: dict[str, list[bool]] = {}
    for r, p in zip(rows, pred, strict=True):
        for tag in r.get("tags", []):
            by_tag.setdefault(tag, []).append(p == r["label"])
    return {
        "contact_centre": metrics(truth, pred),
        "plain_vader": metrics(truth, [plain(r["text"]) for r in rows]),
        "accuracy_by_tag": {k: [round(sum(v) / len(v), 3), len(v)] for k, v in sorted(by_tag.items())},
        "errors": [
            {"text": r["text"], "label": r["label"], "predicted": p}
            for r, p in zip(rows, pred, strict=True)
            if p != r["label"]
        ],
    }


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def view_of(rec: dict[str, Any]) -> InteractionView:
    turns = tuple(
        TurnView(i, t["speaker"], t.get("text", ""), _dt(t.get("at")), t.get("offset_ms"), t.get("end_ms"))
        for i, t in enumerate(rec.get("turns", []))
    )
    started = _dt(rec["started_at"])
    assert started is not None
    outcome = rec.get("outcome", {})
    return InteractionView(
        source="demo",
        id=rec["id"],
        channel=rec["channel"],
        started_at=started,
        ended_at=_dt(rec.get("ended_at")),
        turns=turns,
        events_in_call=tuple(CallEventView(e["type"], e["offset_ms"]) for e in rec.get("events_in_call", [])),
        resolved=outcome.get("resolved"),
        transferred=outcome.get("transferred"),
        escalated=outcome.get("escalated"),
    )


def mood_label(value: float) -> str:
    """The generator's own bands for what the customer says at the end (``reaction``)."""
    return "positive" if value > 0.25 else "neutral" if value > -0.15 else "negative"


def satisfaction_label(sat: float) -> str:
    return "positive" if sat >= 3.5 else "negative" if sat < 2.5 else "neutral"


def demo_eval(folder: Path) -> dict[str, Any]:
    truth = {
        r["interaction_id"]: r
        for r in (orjson.loads(x) for x in (folder / ".truth" / "interactions.jsonl").read_bytes().splitlines())
    }
    views = [view_of(orjson.loads(x)) for x in (folder / "interactions.jsonl").read_bytes().splitlines() if x]
    scorer = SentimentScorer()
    end_t, end_p, traj_t, traj_p, sat_t, sat_p = [], [], [], [], [], []
    by_channel: dict[str, Counter[str]] = {}
    for v in views:
        t = truth.get(v.id)
        if t is None or not v.customer_turns():
            continue
        s = trajectory(v, scorer.score_view(v), scorer=scorer)
        end = s.parties["customer"].end
        assert end is not None
        end_t.append(mood_label(t["sentiment"]["end"]))
        end_p.append(scorer.label(end))
        traj_t.append(t["sentiment"]["trajectory"])
        traj_p.append(s.trajectory)
        c = by_channel.setdefault(v.channel, Counter())
        c["n"] += 1
        c["end_correct"] += end_t[-1] == end_p[-1]
        if t.get("satisfaction") is not None:
            sat_t.append(satisfaction_label(t["satisfaction"]))
            sat_p.append(s.label)
    return {
        "interactions": len(end_t),
        "end_state": metrics(end_t, end_p),
        "trajectory": metrics(traj_t, traj_p, ("improving", "flat", "worsening")),
        "overall_label_vs_true_satisfaction": metrics(sat_t, sat_p),
        "end_state_accuracy_by_channel": {
            k: [round(c["end_correct"] / c["n"], 3), c["n"]] for k, c in sorted(by_channel.items())
        },
    }


def speed(folder: Path | None) -> dict[str, Any]:
    texts: list[tuple[str, str]] = []
    if folder is not None:
        for x in (folder / "interactions.jsonl").read_bytes().splitlines():
            rec = orjson.loads(x)
            texts.extend((t["speaker"], t.get("text", "")) for t in rec.get("turns", []))
    texts.extend(("customer", r["text"]) for r in load_labelled())
    n = min(len(texts), 60_000)
    texts = texts[:n]
    cold = SentimentScorer(cache_size=0)
    cold.score("warm up")
    t0 = time.process_time()
    for sp, tx in texts:
        cold._analyse(tx, sp in ("agent", "bot"))
    uncached = n / (time.process_time() - t0)
    warm = SentimentScorer()
    t0 = time.process_time()
    for sp, tx in texts:
        warm.score(tx, sp)
    first = n / (time.process_time() - t0)
    t0 = time.process_time()
    for sp, tx in texts:
        warm.score(tx, sp)
    cached = n / (time.process_time() - t0)
    words = sum(len(tx.split()) for _, tx in texts) / n
    return {
        "turns": n,
        "mean_words_per_turn": round(words, 1),
        "turns_per_s_uncached": round(uncached),
        "turns_per_s_first_pass_with_cache": round(first),
        "turns_per_s_all_cached": round(cached),
        "unique_texts": len(set(texts)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--demo", type=Path, help="a folder written by `signalroom demo generate`")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    out: dict[str, Any] = {"labelled_dev": labelled_eval(LABELLED), "labelled_heldout": labelled_eval(HELDOUT)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.demo
        if folder is None:
            folder = Path(tmp) / "demo"
            subprocess.run(
                [str(Path(sys.executable).with_name("signalroom")), "demo", "generate",
                 "--customers", "300", "--days", "10", "--out", str(folder)],
                check=True,
                capture_output=True,
            )  # fmt: skip
        out["demo_truth"] = demo_eval(folder)
        out["speed"] = speed(folder)
    text = orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
