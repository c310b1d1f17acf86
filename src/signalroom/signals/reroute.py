"""Routing the stored signals again when the rules change (docs/routing.md), so that what the list
shows is what the rules in use say."""

from __future__ import annotations

from signalroom.actions.routing import RoutingRules, Subject, route
from signalroom.store import signals as signal_store
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store


def reroute(store: Store, rules: RoutingRules) -> int:
    """Route every stored signal with ``rules``; returns how many changed owner or rule."""
    names = reason_labels(store)
    changed = 0
    with store.transaction():
        for row in signal_store.ranked_signals(store, include_inactive=True):
            findings = row["findings"]
            assert isinstance(findings, list)
            subject = Subject(
                title=str(row["title"]), kind=str(row["kind"]), detectors=list(row["detectors"]),  # type: ignore[call-overload]
                phrases=[f["phrase"] for f in findings if f.get("phrase")],
                reason_labels=[names.get(int(r), "") for r in row["reasons"]],  # type: ignore[attr-defined]
            )  # fmt: skip
            new = route(rules, subject)
            if (new.owner_function, new.owner, new.rule) != (row["owner_function"], row["owner"], row["routing_rule"]):
                signal_store.set_route(store, int(row["signal_id"]), new.owner_function, new.owner, new.rule)  # type: ignore[call-overload]
                changed += 1
    return changed
