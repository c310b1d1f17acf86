"""Outcome metrics computed from the demo generator's truth (``.truth/interactions.jsonl``: each
interaction's true customer, chain and resolution), with the definitions of docs/metrics.md."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

SELF_SERVICE = ("bot", "ivr")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def load(out: Path) -> tuple[list[dict[str, Any]], datetime]:
    """The truth lines, and the end of the data (the latest interaction or event)."""
    lines = [orjson.loads(line) for line in (out / ".truth" / "interactions.jsonl").open("rb")]
    ends = [_at(x["started_at"]) for x in lines]
    with (out / "events.jsonl").open("rb") as handle:
        ends += [_at(orjson.loads(line)["at"]) for line in handle]
    return lines, max(ends)


def repeat_contact_rate(lines: list[dict[str, Any]], until: datetime, days: int = 7) -> tuple[int, int]:
    """Contacts (chain roots) of a customer followed by another within ``days``: (hits, contacts)."""
    window = timedelta(days=days)
    roots = [x for x in lines if not x["parent_id"]]
    starts: dict[str, list[datetime]] = defaultdict(list)
    for x in roots:
        starts[x["customer_id"]].append(_at(x["started_at"]))
    for values in starts.values():
        values.sort()
    hits = total = 0
    for x in roots:
        t = _at(x["started_at"])
        if t + window > until:
            continue
        total += 1
        mine = starts[x["customer_id"]]
        later = mine[bisect_right(mine, t) :]
        hits += bool(later and later[0] <= t + window)
    return hits, total


def bot_containment(lines: list[dict[str, Any]], until: datetime, hours: int = 24) -> tuple[int, int]:
    """Bot sessions with no handoff and no assisted interaction of the customer within ``hours``."""
    window = timedelta(hours=hours)
    assisted: dict[str, list[datetime]] = defaultdict(list)
    for x in lines:
        if x["channel"] not in SELF_SERVICE:
            assisted[x["customer_id"]].append(_at(x["started_at"]))
    parents = {x["parent_id"] for x in lines if x["parent_id"]}
    hits = total = 0
    for x in lines:
        t = _at(x["started_at"])
        if x["channel"] != "bot" or x["parent_id"] or t + window > until:
            continue
        total += 1
        human = any(t <= u <= t + window for u in assisted[x["customer_id"]])
        hits += x["interaction_id"] not in parents and not human
    return hits, total
