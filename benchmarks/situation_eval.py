"""Check the situation record against the demo's truth sidecar, and time it.

Usage:
    signalroom demo generate --customers 400 --days 14 --out /tmp/sit
    python benchmarks/situation_eval.py /tmp/sit [--window-hours 24] [--repeat 5] [--json OUT]

Builds an ``InteractionView`` per interchange interaction, with ``events_before``: the same
customer's events up to ``--window-hours`` before the start. Channels know customers by different
identifiers (phone, email, handle, account number, customer id), so the script resolves both the
interactions' and the events' identifiers to a customer through ``.truth/customers.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.pipeline.situation import Situation, SituationExtractor
from signalroom.pipeline.views import CallEventView, InteractionView, JourneyEvent, TurnView

FAILURES = {"password_reset_failed", "payment_failed", "login_failed", "form_error", "app_error"}


def _lines(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def identity_index(truth_customers: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    index: dict[tuple[str, str], str] = {}
    for c in truth_customers:
        cid = c["customer_id"]
        index[("id", cid)] = cid
        for key, kind in (("phone", "phone"), ("alt_phone", "phone"), ("email", "email"), ("alt_email", "email")):
            if c.get(key):
                index[(kind, c[key].lower())] = cid
        if c.get("handle"):
            index[("handle", c["handle"].lower())] = cid
        for acc in c.get("accounts") or ():
            index[("account", acc.lower())] = cid
    return index


def resolve(ref: dict[str, Any], index: dict[tuple[str, str], str]) -> str | None:
    for key in ("id", "phone", "email", "handle", "account"):
        if ref.get(key):
            value = ref[key] if key == "id" else str(ref[key]).lower()
            if (key, value) in index:
                return index[(key, value)]
    return None


def build_views(root: Path, window: timedelta) -> tuple[list[InteractionView], dict[str, dict[str, Any]]]:
    index = identity_index(_lines(root / ".truth" / "customers.jsonl"))
    events: dict[str, list[tuple[datetime, str, JourneyEvent]]] = defaultdict(list)
    for e in _lines(root / "events.jsonl"):
        cid = resolve(e["customer"], index)
        if cid is None:
            continue
        at = datetime.fromisoformat(e["at"])
        events[cid].append((at, e["id"], JourneyEvent(e["type"], at, e.get("channel"), e.get("properties") or {})))
    for rows in events.values():
        rows.sort(key=lambda r: (r[0], r[1]))
    times = {cid: [r[0] for r in rows] for cid, rows in events.items()}
    truth = {t["interaction_id"]: t for t in _lines(root / ".truth" / "interactions.jsonl")}
    views = []
    for r in _lines(root / "interactions.jsonl"):
        started = datetime.fromisoformat(r["started_at"])
        cid = resolve(r["customer"], index)
        before: tuple[JourneyEvent, ...] = ()
        if cid in events:
            lo = bisect_left(times[cid], started - window)
            hi = bisect_left(times[cid], started)
            before = tuple(row[2] for row in events[cid][lo:hi])
        turns = tuple(
            TurnView(
                i,
                t["speaker"],
                t.get("text") or "",
                datetime.fromisoformat(t["at"]) if t.get("at") else None,
                t.get("offset_ms"),
                t.get("end_ms"),
            )
            for i, t in enumerate(r.get("turns") or ())
        )
        outcome = r.get("outcome") or {}
        agent = r.get("agent") or {}
        views.append(
            InteractionView(
                source="demo",
                id=r["id"],
                channel=r["channel"],
                started_at=started,
                ended_at=datetime.fromisoformat(r["ended_at"]) if r.get("ended_at") else None,
                turns=turns,
                events_in_call=tuple(CallEventView(e["type"], e["offset_ms"]) for e in r.get("events_in_call") or ()),
                queue=r.get("queue"),
                direction=r.get("direction"),
                language=r.get("language"),
                agent_id=agent.get("id"),
                agent_team=agent.get("team"),
                parent_id=r.get("parent_id"),
                resolved=outcome.get("resolved"),
                disposition=outcome.get("disposition"),
                transferred=outcome.get("transferred"),
                escalated=outcome.get("escalated"),
                attributes=r.get("attributes") or {},
                events_before=before,
            )
        )
    return views, truth


def prf(pred: set[str], gold: set[str]) -> dict[str, float | int]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return {"tp": tp, "pred": len(pred), "gold": len(gold), "precision": round(p, 3), "recall": round(r, 3)}


def kinds(s: Situation) -> set[str]:
    return {t.kind for t in ((s.trigger,) if s.trigger else ()) + s.other_triggers}


def details(s: Situation) -> set[str]:
    return {t.detail for t in ((s.trigger,) if s.trigger else ()) + s.other_triggers}


def evaluate(
    views: list[InteractionView], truth: dict[str, dict[str, Any]], event_types: dict[str, str]
) -> dict[str, Any]:
    text_only = SituationExtractor(use_outcome_fields=False)
    default = SituationExtractor()
    sits = {v.id: text_only.extract(v) for v in views}
    sits_f = {v.id: default.extract(v) for v in views}
    ids = set(sits)
    gold_fail = {i for i in ids if any(event_types.get(e) in FAILURES for e in truth[i]["trigger_events"])}
    gold_tagged = {i for i in ids if "self_service_failure" in truth[i]["tags"]}
    gold_prev = {i for i in ids if truth[i]["repeat_index"] > 0}
    gold_update = {i for i in ids if truth[i]["variant"] == "app_update"}
    gold_campaign = {i for i in ids if "campaign" in truth[i]["tags"]}
    pred = {k: {i for i, s in sits.items() if k in kinds(s)} for k in ("self_service_failure", "previous_contact")}
    pred_primary_fail = {i for i, s in sits.items() if s.trigger and s.trigger.kind == "self_service_failure"}
    pred_update = {i for i, s in sits.items() if "app_or_product_update" in details(s)}
    pred_comm = {i for i, s in sits.items() if "communication_received" in kinds(s)}
    planted = gold_fail | gold_prev | gold_update | gold_campaign
    quiet = ids - planted
    ending: dict[str, Any] = {}
    for name, table in (("text_only", sits), ("with_outcome_fields", sits_f)):
        confusion: Counter[str] = Counter()
        right = known = 0
        for i, s in table.items():
            gold = truth[i]["resolved"]
            confusion[f"{s.ended.status}|truth_resolved={gold}"] += 1
            if s.ended.status == "unknown" or gold is None:
                continue
            known += 1
            right += (s.ended.status == "resolved") == gold
        ending[name] = {
            "coverage": round(known / len(table), 3),
            "accuracy_resolved_vs_not": round(right / known, 3) if known else 0.0,
            "confusion": dict(sorted(confusion.items())),
        }
    promised = [s for s in sits.values() if s.ended.status == "follow_up_promised"]
    return {
        "interactions": len(views),
        "with_events_before": sum(1 for v in views if v.events_before),
        "trigger": {
            "self_service_failure (any)": prf(pred["self_service_failure"], gold_fail),
            "self_service_failure (primary)": prf(pred_primary_fail, gold_fail),
            "self_service_failure, recall on reset-outage contacts": prf(pred["self_service_failure"], gold_tagged)[
                "recall"
            ],
            "previous_contact": prf(pred["previous_contact"], gold_prev),
            "change: app update": prf(pred_update, gold_update),
            "communication_received, recall on campaign contacts": prf(pred_comm, gold_campaign)["recall"],
            "no trigger on interactions with nothing planted": round(
                sum(1 for i in quiet if sits[i].trigger is None) / len(quiet), 3
            )
            if quiet
            else None,
            "primary kinds": dict(Counter(s.trigger.kind if s.trigger else "none" for s in sits.values())),
        },
        "wants_coverage": round(sum(1 for s in sits.values() if s.wants) / len(sits), 3),
        "friction_coverage": round(sum(1 for s in sits.values() if s.friction_start) / len(sits), 3),
        "ended": ending,
        "follow_up_with_due_by": f"{sum(1 for s in promised if s.ended.due_by)}/{len(promised)}",
        "likely_next_rules": dict(Counter(n.rule for s in sits.values() for n in s.likely_next).most_common()),
        "flags": dict(Counter(f for s in sits_f.values() for f in s.flags)),
    }


def timing(views: list[InteractionView], repeat: int) -> dict[str, float]:
    out = {}
    for name, ex in (("default", SituationExtractor()), ("text_only", SituationExtractor(use_outcome_fields=False))):
        best = float("inf")
        for _ in range(repeat):
            began = time.perf_counter()
            for v in views:
                ex.extract(v)
            best = min(best, time.perf_counter() - began)
        out[f"{name}_us_per_interaction"] = round(best / len(views) * 1e6, 1)
    turns = sum(len(v.turns) for v in views) / len(views)
    out["mean_turns"] = round(turns, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path)
    parser.add_argument("--window-hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--show", type=int, default=0, help="print this many situation records")
    args = parser.parse_args()
    views, truth = build_views(args.root, timedelta(hours=args.window_hours))
    event_types = {e["id"]: e["type"] for e in _lines(args.root / "events.jsonl")}
    report = evaluate(views, truth, event_types)
    report["timing"] = timing(views, args.repeat)
    ex = SituationExtractor()
    for v in views[: args.show]:
        print(json.dumps(ex.extract(v).to_dict(), indent=1, default=str))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
