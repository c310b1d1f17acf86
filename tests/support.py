"""Helpers the tests share: records to write, rows to read back. Imported as `support` (every test
folder may have its own conftest.py, so `import conftest` would be ambiguous)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from signalroom.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def interaction(id: str = "c-1", **overrides: Any) -> dict[str, Any]:
    """A valid interchange interaction; overrides replace top-level fields."""
    record: dict[str, Any] = {
        "kind": "interaction",
        "id": id,
        "channel": "voice",
        "started_at": "2026-03-02T09:15:00+01:00",
        "ended_at": "2026-03-02T09:22:30+01:00",
        "customer": {"id": "cus-1", "phone": "+447700900123", "name": "Ann Lee"},
        "agent": {"id": "ag-7", "name": "Sam", "team": "Cards", "site": "Leeds"},
        "queue": "cards",
        "direction": "inbound",
        "language": "en-GB",
        "turns": [
            {
                "speaker": "agent",
                "text": "Thanks for calling, this call may be recorded.",
                "offset_ms": 0,
                "end_ms": 2500,
            },
            {
                "speaker": "customer",
                "text": "My card was declined in Spain.",
                "offset_ms": 2600,
                "end_ms": 5000,
            },
            {"speaker": "agent", "text": "Let me check that for you.", "offset_ms": 5200, "end_ms": 7000},
        ],
        "events_in_call": [
            {"type": "hold_start", "offset_ms": 7100},
            {"type": "hold_end", "offset_ms": 37100},
        ],
        "outcome": {"resolved": True, "disposition": "card_unblocked"},
        "survey": {"csat": 4, "comment": "quick"},
        "attributes": {"crm_case": "K-1"},
    }
    record.update(copy.deepcopy(overrides))
    return record


def write_jsonl(path: Path, records: list[dict[str, Any] | str | bytes]) -> Path:
    with path.open("wb") as handle:
        for record in records:
            if isinstance(record, bytes):
                handle.write(record + b"\n")
            elif isinstance(record, str):
                handle.write(record.encode() + b"\n")
            else:
                handle.write(orjson.dumps(record) + b"\n")
    return path


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.connection.execute(sql, params or []).fetchall()


def count(store: Store, table: str) -> int:
    return int(rows(store, f"SELECT count(*) FROM {table}")[0][0])


def table_counts(store: Store) -> dict[str, int]:
    tables = [
        "interactions",
        "turns",
        "call_events",
        "events",
        "surveys",
        "customers",
        "customer_identifiers",
        "agents",
        "quarantine",
    ]
    return {t: count(store, t) for t in tables}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def stored_interaction(store: Store, ident: str) -> dict[str, Any]:
    """One stored interaction as a dict of its columns, attributes parsed."""
    cursor = store.connection.execute("SELECT * FROM interactions WHERE id = ?", [ident])
    names = [d[0] for d in cursor.description]
    found = cursor.fetchall()
    assert len(found) == 1, f"{len(found)} interactions with id {ident}"
    record = dict(zip(names, found[0], strict=True))
    record["attributes"] = orjson.loads(record["attributes"]) if record["attributes"] else {}
    return record


def stored_turns(store: Store, ident: str) -> list[tuple[Any, ...]]:
    """speaker, text, occurred_at, offset_ms, end_ms, attributes of one interaction's turns, in order."""
    return rows(
        store,
        "SELECT speaker, text, occurred_at, offset_ms, end_ms, attributes FROM turns "
        "WHERE interaction_id = ? ORDER BY seq",
        [ident],
    )
