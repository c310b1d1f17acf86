"""Storage of actions (``sql/0013_actions.sql``) and what their impact is measured on: daily rates
from the episode build's ``contacts``. The writes open no transaction: the service wraps each change,
its history row and its webhook event in one (``Store.transaction()`` does not nest)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson

from signalroom.store.warehouse import Store

_COLUMNS = (
    "action_id, signal_id, title, owner_function, owner, due, status, rejected_reason, measure, created_by, "
    "created_at, updated_at, done_at"
)
# The columns an update may set: named here so no caller's text ever becomes SQL.
_UPDATABLE = frozenset({"title", "owner_function", "owner", "due", "status", "rejected_reason", "done_at"})

# A repeat: the person's next inbound contact about the same reason starts within this many days.
REPEAT_WINDOW_DAYS = 7


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def next_action_id(store: Store) -> int:
    return int(store.connection.execute("SELECT nextval('action_ids')").fetchall()[0][0])


def insert_action(
    store: Store, *, action_id: int, signal_id: int | None, title: str, owner_function: str, owner: str | None,
    due: date | None, measure: dict[str, Any], created_by: str, when: datetime,
) -> None:  # fmt: skip
    store.connection.execute(
        "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?, ?, NULL)",
        [action_id, signal_id, title, owner_function, owner, due, orjson.dumps(measure).decode(), created_by,
         when, when],
    )  # fmt: skip


def update_action(store: Store, action_id: int, fields: dict[str, Any], when: datetime) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"actions have no updatable column(s) {', '.join(sorted(unknown))}")
    names = sorted(fields)
    assignments = ", ".join(f"{name} = ?" for name in [*names, "updated_at"])
    store.connection.execute(
        f"UPDATE actions SET {assignments} WHERE action_id = ?", [*(fields[n] for n in names), when, action_id]
    )


def insert_event(store: Store, action_id: int, when: datetime, actor: str, kind: str, detail: dict[str, Any]) -> None:
    store.connection.execute(
        "INSERT INTO action_events VALUES (?, ?, ?, ?, ?)",
        [action_id, when, actor, kind, orjson.dumps(detail).decode()],
    )


def insert_evidence(
    store: Store, action_id: int, source: str, interaction_id: str, note: str | None, by: str, when: datetime
) -> None:
    store.connection.execute(
        "INSERT INTO action_evidence VALUES (?, ?, ?, ?, ?, ?)", [action_id, source, interaction_id, note, by, when]
    )


def _decoded(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    for row in rows:
        row[column] = orjson.loads(row[column])
    return rows


def get_action(store: Store, action_id: int) -> dict[str, Any] | None:
    rows = _dicts(store.connection.execute(f"SELECT {_COLUMNS} FROM actions WHERE action_id = ?", [action_id]))
    return _decoded(rows, "measure")[0] if rows else None


def list_actions(
    store: Store, *, statuses: tuple[str, ...] = (), owner: str | None = None, owner_function: str | None = None,
    due_before: date | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Actions in id order; ``due_before``: only those due before that day."""
    where, params = ["TRUE"], list[Any]()
    if statuses:
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    if owner_function is not None:
        where.append("owner_function = ?")
        params.append(owner_function)
    if due_before is not None:
        where.append("due < ?")
        params.append(due_before)
    cursor = store.connection.execute(
        f"SELECT {_COLUMNS} FROM actions WHERE {' AND '.join(where)} ORDER BY action_id", params
    )
    return _decoded(_dicts(cursor), "measure")


def events(store: Store, action_id: int) -> list[dict[str, Any]]:
    """The action's history, oldest first (insertion order among changes made together)."""
    cursor = store.connection.execute(
        "SELECT happened_at, actor, kind, detail FROM action_events WHERE action_id = ? ORDER BY happened_at, rowid",
        [action_id],
    )
    return _decoded(_dicts(cursor), "detail")


def evidence(store: Store, action_id: int) -> list[dict[str, Any]]:
    return _dicts(
        store.connection.execute(
            "SELECT source, id, note, added_by, added_at FROM action_evidence WHERE action_id = ? "
            "ORDER BY added_at, rowid",
            [action_id],
        )
    )


def interaction_exists(store: Store, source: str, interaction_id: str) -> bool:
    row = store.connection.execute(
        "SELECT count(*) FROM interactions WHERE source = ? AND id = ?", [source, interaction_id]
    ).fetchall()
    return bool(row[0][0])


def known_reasons(store: Store) -> set[int]:
    """Reasons that can be measured: those a contact carries or a reason model names."""
    from signalroom.store.outcome_metrics import reason_labels

    used = store.connection.execute("SELECT DISTINCT topic_id FROM contacts WHERE topic_id IS NOT NULL").fetchall()
    return {int(r[0]) for r in used} | set(reason_labels(store))


# Per rate: (events, contacts) of a day, over inbound contacts; `topic_id IN (…)` is filled in.
_RATE_SQL = {
    "share": ("count(*) FILTER (WHERE {mine})", "count(*)"),
    "repeat_rate": (
        f"count(*) FILTER (WHERE {{mine}} AND person_id IS NOT NULL AND next_same_reason_at IS NOT NULL "
        f"AND next_same_reason_at < started_at + INTERVAL {REPEAT_WINDOW_DAYS} DAY)",
        "count(*) FILTER (WHERE {mine} AND person_id IS NOT NULL)",
    ),
    "negative_sentiment": (
        "count(*) FILTER (WHERE {mine} AND ended_negative)",
        "count(*) FILTER (WHERE {mine} AND ended_negative IS NOT NULL)",
    ),
    "transfer_rate": (
        "count(*) FILTER (WHERE {mine} AND (transferred OR escalated))",
        "count(*) FILTER (WHERE {mine})",
    ),
}
RATES = tuple(_RATE_SQL)


def daily_rates(store: Store, reasons: list[int], rate: str) -> list[tuple[date, int, int]]:
    """(local date, events, contacts) for every day with inbound contacts, in day order. For
    ``repeat_rate`` only the days whose contacts' repeat window has ended by the last day with
    contacts: a later day's repeats are not known yet."""
    if rate not in _RATE_SQL:
        raise ValueError(f"unknown rate {rate!r}; known: {', '.join(RATES)}")
    if not reasons:
        raise ValueError("a rate needs at least one reason")
    mine = f"topic_id IN ({', '.join('?' for _ in reasons)})"
    events_sql, contacts_sql = (part.format(mine=mine) for part in _RATE_SQL[rate])
    params: list[Any] = [*reasons] + ([*reasons] if "{mine}" in _RATE_SQL[rate][1] else [])
    window = ""
    if rate == "repeat_rate":
        last = "(SELECT max(local_date) FROM contacts WHERE inbound)"
        window = f"AND local_date <= {last} - INTERVAL {REPEAT_WINDOW_DAYS} DAY"
    rows = store.connection.execute(
        f"SELECT local_date, {events_sql}, {contacts_sql} FROM contacts WHERE inbound {window} "
        "GROUP BY local_date ORDER BY local_date",
        params,
    ).fetchall()
    return [(d, int(e), int(n)) for d, e, n in rows]
