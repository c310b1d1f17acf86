"""Storing the ranked list (store/signals.py): ids and the earliest first-detected day kept from run
to run, signals out of the list kept without a rank, webhook events in the same transaction."""

from __future__ import annotations

from typing import Any

import orjson

from signalroom.store import Store
from signalroom.store import signals as signal_store
from support import rows


def row(fingerprint: str, rank: int, first: str, **kw: Any) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint, "title": fingerprint.split(":", 1)[1], "kind": "need", "reasons": [1, 2],
        "detectors": ["volume"], "first_detected": first, "last_detected": "2026-03-20", "rank": rank,
        "score": 10.0, "support": 20, "affected_customers": 18, "extra_contacts": 10.0,
        "extra_repeat_contacts": 0.0, "cost": None, "advisor_flags": 0, "owner_function": "product",
        "owner": None, "routing_rule": "default", "findings": [], "series": [], "evidence": ["d/1"], **kw,
    }  # fmt: skip


def test_runs_keep_ids_and_first_detected_and_announce_changes(store: Store) -> None:
    from datetime import date

    store.connection.execute(
        "INSERT INTO webhook_subscriptions VALUES (1, 'http://127.0.0.1:9/x', 'a-secret-of-16-chars', ['*'], true, "
        "now())"
    )
    first = signal_store.save_ranked(
        store, [row("need:app", 1, "2026-03-18"), row("need:refund", 2, "2026-03-19")],
        as_of=date(2026, 3, 20), since=date(2026, 3, 14), config={"days": 7},
    )  # fmt: skip
    assert first == [(1, "created"), (2, "created")]
    again = signal_store.save_ranked(
        store, [row("need:refund", 1, "2026-03-21", score=30.0), row("phrase:new", 2, "2026-03-21")],
        as_of=date(2026, 3, 21), since=date(2026, 3, 15), config={"days": 7},
    )  # fmt: skip
    assert again == [(2, "updated"), (3, "created")]
    # The same list again, with other numbers: stored, but nothing for subscribers to hear.
    same = signal_store.save_ranked(
        store, [row("need:refund", 1, "2026-03-21", score=31.0, support=22), row("phrase:new", 2, "2026-03-21")],
        as_of=date(2026, 3, 21), since=date(2026, 3, 15), config={"days": 7},
    )  # fmt: skip
    assert same == [(2, "unchanged"), (3, "unchanged")]
    assert signal_store.get_signal(store, 2)["support"] == 22  # type: ignore[index]
    listed = signal_store.ranked_signals(store)
    assert [(s["signal_id"], s["rank"], s["first_detected"]) for s in listed] == [
        (2, 1, date(2026, 3, 19)),  # the earlier first-detected day stays
        (3, 2, date(2026, 3, 21)),
    ]
    everything = signal_store.ranked_signals(store, include_inactive=True)
    assert [(s["signal_id"], s["rank"]) for s in everything] == [(2, 1), (3, 2), (1, None)]
    assert signal_store.get_signal(store, 1)["evidence"] == ["d/1"]  # type: ignore[index]
    assert signal_store.get_signal(store, 99) is None
    events = [
        (t, orjson.loads(p)["signal_id"])
        for t, p in rows(store, "SELECT event_type, payload FROM webhook_events ORDER BY event_id")
    ]
    assert events == [("signal.created", 1), ("signal.created", 2), ("signal.updated", 2), ("signal.created", 3)]
    assert rows(store, "SELECT count(*) FROM signal_runs")[0][0] == 3
