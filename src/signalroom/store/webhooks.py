"""Storage of outbound webhooks (``sql/0014_webhooks.sql``): a transactional outbox.

The announcing code calls :func:`emit` inside its own transaction; the dispatcher
(``signalroom.actions.webhooks``) reads what is due with :func:`due_heads` and records each attempt's
outcome, one short transaction per attempt, so a crash loses no recorded result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from signalroom.store.warehouse import Store

# What the rest of signalroom announces; a subscription filters on these (or '*', all of them).
EVENT_TYPES = ("signal.created", "signal.updated", "action.created", "action.updated", "flag.created")
ALL_EVENTS = "*"


class WebhookError(ValueError):
    """Bad webhook input: an unknown event type, subscription or delivery, a bad URL or secret."""


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime
    pending: int
    delivered: int
    dead: int

    def to_dict(self) -> dict[str, Any]:
        # The secret is never read back out of the warehouse.
        return {
            "subscription_id": self.subscription_id,
            "url": self.url,
            "events": list(self.events),
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "pending": self.pending,
            "delivered": self.delivered,
            "dead": self.dead,
        }


@dataclass(frozen=True)
class DueDelivery:
    """A delivery to attempt now, with what it takes to sign and send it."""

    delivery_id: int
    subscription_id: int
    url: str
    secret: str
    attempts: int
    event_key: str
    event_type: str
    payload: str  # the event's data, as stored JSON text
    created_at: datetime


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    event_id: int
    event_key: str
    event_type: str
    subscription_id: int
    url: str
    dead_at: datetime
    attempts: int
    last_error: str | None
    replayed_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "event_id": self.event_id,
            "event_key": self.event_key,
            "event_type": self.event_type,
            "subscription_id": self.subscription_id,
            "url": self.url,
            "dead_at": self.dead_at.isoformat(),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "replayed_at": None if self.replayed_at is None else self.replayed_at.isoformat(),
        }


def emit(store: Store, event_type: str, payload: dict[str, Any]) -> int | None:
    """Record an event for every active subscription that wants ``event_type``. Opens no transaction
    of its own: call it inside the transaction of the change it announces, so the change and its
    announcement commit together or not at all. The event's id, or None when nobody subscribes."""
    if event_type not in EVENT_TYPES:
        raise WebhookError(f"unknown webhook event type {event_type!r}: expected one of {', '.join(EVENT_TYPES)}")
    con = store.connection
    subscribers = [
        int(r[0])
        for r in con.execute(
            "SELECT subscription_id FROM webhook_subscriptions WHERE active "
            "AND (list_contains(events, ?) OR list_contains(events, '*')) ORDER BY subscription_id",
            [event_type],
        ).fetchall()
    ]
    if not subscribers:
        return None
    event_id = int(con.execute("SELECT nextval('webhook_event_ids')").fetchall()[0][0])
    con.execute(
        "INSERT INTO webhook_events (event_id, event_key, event_type, payload, created_at) VALUES (?, ?, ?, ?, now())",
        [event_id, str(uuid.uuid4()), event_type, orjson.dumps(payload).decode()],
    )
    con.executemany(
        "INSERT INTO webhook_deliveries (event_id, subscription_id, status, attempts, next_attempt_at) "
        "VALUES (?, ?, 'pending', 0, now())",
        [[event_id, s] for s in subscribers],
    )
    return event_id


# -- subscriptions -------------------------------------------------------------------------------


def add_subscription(store: Store, url: str, secret: str, events: list[str], *, now: datetime) -> int:
    """Store a subscription (validated by the caller); its id."""
    with store.transaction():
        con = store.connection
        sub_id = int(con.execute("SELECT nextval('webhook_subscription_ids')").fetchall()[0][0])
        con.execute(
            "INSERT INTO webhook_subscriptions VALUES (?, ?, ?, ?, true, ?)",
            [sub_id, url, secret, events, now],
        )
    return sub_id


def list_subscriptions(store: Store) -> list[Subscription]:
    rows = store.connection.execute(
        "SELECT s.subscription_id, s.url, s.events, s.active, s.created_at, "
        "count(d.delivery_id) FILTER (WHERE d.status = 'pending'), "
        "count(d.delivery_id) FILTER (WHERE d.status = 'delivered'), "
        "count(d.delivery_id) FILTER (WHERE d.status = 'dead') "
        "FROM webhook_subscriptions s LEFT JOIN webhook_deliveries d USING (subscription_id) "
        "GROUP BY ALL ORDER BY s.subscription_id"
    ).fetchall()
    return [
        Subscription(int(i), str(u), tuple(e), bool(a), c, int(p), int(dl), int(dd))
        for i, u, e, a, c, p, dl, dd in rows
    ]


def disable_subscription(store: Store, subscription_id: int) -> bool:
    """Stop sending to a subscription; False when it was already disabled. Its pending deliveries
    are kept (nothing is dropped) but no longer sent, and it matches no new events."""
    con = store.connection
    found = con.execute(
        "SELECT active FROM webhook_subscriptions WHERE subscription_id = ?", [subscription_id]
    ).fetchall()
    if not found:
        raise WebhookError(f"no webhook subscription {subscription_id}: see `signalroom webhooks list`")
    if not found[0][0]:
        return False
    con.execute("UPDATE webhook_subscriptions SET active = false WHERE subscription_id = ?", [subscription_id])
    return True


# -- the dispatcher's reads and writes ----------------------------------------------------------


def due_heads(store: Store, now: datetime) -> list[DueDelivery]:
    """Per active subscription, its oldest pending delivery, when that one is due at ``now``.

    Only the head of each subscription's queue is ever due, so a later event never overtakes an
    earlier one still waiting (dead deliveries do not hold the queue up)."""
    rows = store.connection.execute(
        "WITH heads AS (SELECT * FROM webhook_deliveries WHERE status = 'pending' "
        "QUALIFY row_number() OVER (PARTITION BY subscription_id ORDER BY event_id) = 1) "
        "SELECT h.delivery_id, h.subscription_id, s.url, s.secret, h.attempts, "
        "e.event_key, e.event_type, e.payload, e.created_at "
        "FROM heads h JOIN webhook_subscriptions s USING (subscription_id) JOIN webhook_events e USING (event_id) "
        "WHERE s.active AND h.next_attempt_at <= ? ORDER BY h.next_attempt_at, h.delivery_id",
        [now],
    ).fetchall()
    return [
        DueDelivery(int(d), int(s), str(u), str(sec), int(a), str(k), str(t), str(p), c)
        for d, s, u, sec, a, k, t, p, c in rows
    ]


def record_delivered(store: Store, delivery_id: int, *, now: datetime) -> None:
    with store.transaction():
        store.connection.execute(
            "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, "
            "delivered_at = ? WHERE delivery_id = ?",
            [now, now, delivery_id],
        )


def record_failed(store: Store, delivery_id: int, error: str, *, now: datetime, retry_at: datetime | None) -> None:
    """A failed attempt: retried at ``retry_at``, or, when None, dead and copied to the dead letters."""
    with store.transaction():
        con = store.connection
        if retry_at is not None:
            con.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?, "
                "next_attempt_at = ? WHERE delivery_id = ?",
                [now, error, retry_at, delivery_id],
            )
            return
        con.execute(
            "UPDATE webhook_deliveries SET status = 'dead', attempts = attempts + 1, last_attempt_at = ?, "
            "last_error = ? WHERE delivery_id = ?",
            [now, error, delivery_id],
        )
        con.execute(
            "INSERT INTO webhook_dead_letters SELECT delivery_id, event_id, subscription_id, ?, attempts, last_error, "
            "NULL FROM webhook_deliveries WHERE delivery_id = ?",
            [now, delivery_id],
        )


# -- dead letters and replay --------------------------------------------------------------------


def dead_letters(store: Store, *, include_replayed: bool = False) -> list[DeadLetter]:
    where = "" if include_replayed else "WHERE l.replayed_at IS NULL"
    rows = store.connection.execute(
        "SELECT l.delivery_id, l.event_id, e.event_key, e.event_type, l.subscription_id, s.url, l.dead_at, "
        "l.attempts, l.last_error, l.replayed_at FROM webhook_dead_letters l "
        "JOIN webhook_events e USING (event_id) JOIN webhook_subscriptions s USING (subscription_id) "
        f"{where} ORDER BY l.dead_at, l.delivery_id"
    ).fetchall()
    return [
        DeadLetter(int(d), int(ev), str(k), str(t), int(s), str(u), da, int(a), err, r)
        for d, ev, k, t, s, u, da, a, err, r in rows
    ]


def replay(store: Store, delivery_ids: list[int] | None, *, now: datetime) -> list[int]:
    """Put dead deliveries back in their queue with fresh attempts and the same event key; None
    replays every dead one. The ids replayed. A delivery that does not exist or is not dead is an
    error, and then nothing is replayed."""
    with store.transaction():
        con = store.connection
        if delivery_ids is None:
            ids = [int(r[0]) for r in con.execute(
                "SELECT delivery_id FROM webhook_deliveries WHERE status = 'dead' ORDER BY delivery_id"
            ).fetchall()]  # fmt: skip
        else:
            ids = list(dict.fromkeys(delivery_ids))
            marks = ", ".join("?" for _ in ids)
            found = dict(
                con.execute(
                    f"SELECT delivery_id, status FROM webhook_deliveries WHERE delivery_id IN ({marks})", ids
                ).fetchall()
            ) if ids else {}  # fmt: skip
            for i in ids:
                if i not in found:
                    raise WebhookError(f"no webhook delivery {i}: see `signalroom webhooks dead-letters`")
                if found[i] != "dead":
                    raise WebhookError(f"webhook delivery {i} is {found[i]}, not dead: only dead letters are replayed")
        if ids:
            marks = ", ".join("?" for _ in ids)
            con.execute(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, replayed_at = ? "
                f"WHERE delivery_id IN ({marks})",
                [now, now, *ids],
            )
            con.execute(
                "UPDATE webhook_dead_letters SET replayed_at = ? "
                f"WHERE replayed_at IS NULL AND delivery_id IN ({marks})",
                [now, *ids],
            )
    return ids


def delivery_states(store: Store) -> list[tuple[int, int, str, str, int, str | None]]:
    """(delivery id, subscription id, event key, status, attempts, last error) of every delivery, in
    order; for reports and tests."""
    rows = store.connection.execute(
        "SELECT d.delivery_id, d.subscription_id, e.event_key, d.status, d.attempts, d.last_error "
        "FROM webhook_deliveries d JOIN webhook_events e USING (event_id) ORDER BY d.delivery_id"
    ).fetchall()
    return [(int(d), int(s), str(k), str(st), int(a), err) for d, s, k, st, a, err in rows]
