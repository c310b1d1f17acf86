"""Read queries over the warehouse: warehouse statistics, loads and the quarantine.

Plain, portable SQL; each function returns typed results, never cursors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any

import orjson
import pyarrow as pa

from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store

# The local calendar day of a moment, in the offset the record was written in.
_LOCAL_DAY = "CAST(({col} AT TIME ZONE 'UTC') + to_minutes(utc_offset_minutes) AS DATE)"


@dataclass(frozen=True)
class LoadInfo:
    load_id: int
    source: str
    format: str
    paths: list[str]
    started_at: datetime
    finished_at: datetime | None
    status: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    reasons: dict[str, int]
    error: str | None


@dataclass(frozen=True)
class Stats:
    schema_version: int
    interactions: int
    turns: int
    call_events: int
    events: int
    surveys: int
    customer_profiles: int
    customer_identifiers: dict[str, int]
    agents: int
    teams: int
    first_contact: datetime | None
    last_contact: datetime | None
    by_channel: dict[str, int]
    by_day: list[dict[str, Any]]
    events_by_type: dict[str, int]
    sources: dict[str, int]
    loads: int
    last_load: LoadInfo | None
    quarantine_pending: int
    quarantine_resolved: int
    quarantine_by_reason: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(store: Store, sql: str, params: list[Any] | None = None) -> int:
    return int(fetch_one(store.connection, sql, params)[0] or 0)


def _pairs(store: Store, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in store.connection.execute(sql).fetchall()}


def _load_info(row: tuple[Any, ...]) -> LoadInfo:
    (load_id, source, fmt, paths, started, finished, status, read, ins, upd, unch, quar, reasons, error) = row
    return LoadInfo(
        int(load_id),
        source,
        fmt,
        list(paths),
        started,
        finished,
        status,
        int(read),
        int(ins),
        int(upd),
        int(unch),
        int(quar),
        orjson.loads(reasons) if reasons else {},
        error,
    )


_LOAD_COLUMNS = (
    "load_id, source, format, paths, started_at, finished_at, status, records_read, inserted, "
    "updated, unchanged, quarantined, reasons, error"
)


def list_loads(store: Store, limit: int = 20) -> list[LoadInfo]:
    rows = store.connection.execute(
        f"SELECT {_LOAD_COLUMNS} FROM loads ORDER BY load_id DESC LIMIT ?", [limit]
    ).fetchall()
    return [_load_info(r) for r in rows]


_IDENTIFIER_KINDS = ("id", "email", "phone", "handle", "account")


def _identifier_counts(store: Store) -> dict[str, int]:
    """Distinct identifier values seen, per kind, across records and profiles (before stitching)."""
    parts = [
        f"SELECT '{kind}' AS kind, customer_{kind} AS value FROM {table} WHERE customer_{kind} IS NOT NULL"
        for table in ("interactions", "events", "surveys")
        for kind in _IDENTIFIER_KINDS
    ]
    parts.append("SELECT kind, value FROM customer_identifiers")
    found = _pairs(store, f"SELECT kind, count(DISTINCT value) FROM ({' UNION ALL '.join(parts)}) GROUP BY kind")
    return {kind: found.get(kind, 0) for kind in _IDENTIFIER_KINDS}


def load_paths(store: Store, load_ids: set[int]) -> list[str]:
    """Every path the given loads read, in load order, each once."""
    if not load_ids:
        return []
    marks = ", ".join("?" for _ in load_ids)
    found = store.connection.execute(
        f"SELECT DISTINCT unnest(paths) AS path, load_id FROM loads WHERE load_id IN ({marks}) ORDER BY load_id",
        sorted(load_ids),
    ).fetchall()
    return list(dict.fromkeys(path for path, _ in found))


def warehouse_stats(store: Store) -> Stats:
    con = store.connection
    day = _LOCAL_DAY.format(col="started_at")
    by_day: dict[date, dict[str, Any]] = {}
    for local_day, channel, count in con.execute(
        f"SELECT {day} AS d, channel, count(*) FROM interactions GROUP BY d, channel ORDER BY d, channel"
    ).fetchall():
        entry = by_day.setdefault(local_day, {"date": local_day.isoformat(), "total": 0})
        entry[channel] = int(count)
        entry["total"] += int(count)
    first, last = fetch_one(con, "SELECT min(started_at), max(started_at) FROM interactions")
    loads = list_loads(store, 1)
    return Stats(
        schema_version=store.schema_version(),
        interactions=_count(store, "SELECT count(*) FROM interactions"),
        turns=_count(store, "SELECT count(*) FROM turns"),
        call_events=_count(store, "SELECT count(*) FROM call_events"),
        events=_count(store, "SELECT count(*) FROM events"),
        surveys=_count(store, "SELECT count(*) FROM surveys"),
        customer_profiles=_count(store, "SELECT count(*) FROM customers"),
        customer_identifiers=_identifier_counts(store),
        agents=_count(store, "SELECT count(*) FROM agents"),
        teams=_count(store, "SELECT count(DISTINCT team) FROM agents"),
        first_contact=first,
        last_contact=last,
        by_channel=_pairs(store, "SELECT channel, count(*) FROM interactions GROUP BY channel ORDER BY 2 DESC, 1"),
        by_day=list(by_day.values()),
        events_by_type=_pairs(store, "SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC, 1"),
        sources=_pairs(
            store,
            "SELECT source, count(*) FROM interactions GROUP BY source ORDER BY 2 DESC, 1",
        ),
        loads=_count(store, "SELECT count(*) FROM loads"),
        last_load=loads[0] if loads else None,
        quarantine_pending=_count(store, "SELECT count(*) FROM quarantine WHERE status = 'pending'"),
        quarantine_resolved=_count(store, "SELECT count(*) FROM quarantine WHERE status = 'resolved'"),
        quarantine_by_reason=_pairs(
            store,
            "SELECT reason_code, count(*) FROM quarantine WHERE status = 'pending' "
            "GROUP BY reason_code ORDER BY 2 DESC, 1",
        ),
    )


# -- quarantine ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    load_id: int
    source: str
    format: str
    file: str
    line: int | None
    location: str
    reason_code: str
    field: str | None
    reason: str
    raw: str
    raw_bytes: int
    raw_truncated: bool
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    resolved_by: str | None
    turns_redacted: bool = False  # the original load redacted turn texts: a retry does too
    options: dict[str, Any] = dataclass_field(default_factory=dict)

    def to_dict(self, *, with_raw: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not with_raw:
            data.pop("raw")
        return data


_Q_COLUMNS = (
    "q.id, q.load_id, q.source, q.format, q.file, q.line, q.location, q.reason_code, q.field, "
    "q.reason, q.raw, q.raw_bytes, q.raw_truncated, q.status, q.attempts, q.created_at, "
    "q.updated_at, q.resolved_by, l.turns_redacted, l.options"
)


def _entry(row: tuple[Any, ...]) -> QuarantineEntry:
    *values, options = row
    names = [f.name for f in fields(QuarantineEntry) if f.name != "options"]
    return QuarantineEntry(**dict(zip(names, values, strict=True)), options=orjson.loads(options) if options else {})


@dataclass(frozen=True)
class QuarantineFilter:
    status: str | None = "pending"  # None: every status
    source: str | None = None
    reason_code: str | None = None
    file: str | None = None
    ids: tuple[int, ...] = ()


def _where(flt: QuarantineFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("q.status", flt.status),
        ("q.source", flt.source),
        ("q.reason_code", flt.reason_code),
        ("q.file", flt.file),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if flt.ids:
        clauses.append(f"q.id IN ({', '.join('?' for _ in flt.ids)})")
        params.extend(flt.ids)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_quarantine(store: Store, flt: QuarantineFilter, limit: int | None = 50) -> list[QuarantineEntry]:
    where, params = _where(flt)
    sql = f"SELECT {_Q_COLUMNS} FROM quarantine q JOIN loads l USING (load_id){where} ORDER BY q.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_entry(r) for r in store.connection.execute(sql, params).fetchall()]


def count_quarantine(store: Store, flt: QuarantineFilter) -> int:
    where, params = _where(flt)
    return _count(store, f"SELECT count(*) FROM quarantine q{where}", params)


def get_quarantine(store: Store, entry_id: int) -> QuarantineEntry | None:
    found = list_quarantine(store, QuarantineFilter(status=None, ids=(entry_id,)), limit=1)
    return found[0] if found else None


def resolve_quarantine(store: Store, entry_ids: list[int], resolved_by: str) -> None:
    """Mark entries resolved (their records were loaded), counting the attempt."""
    if not entry_ids:
        return
    store.connection.execute(
        "UPDATE quarantine SET status = 'resolved', resolved_by = ?, attempts = attempts + 1, "
        "updated_at = now() WHERE id IN (SELECT unnest(?::BIGINT[]))",
        [resolved_by, entry_ids],
    )


def fail_quarantine(store: Store, failures: list[tuple[int, str, str, str | None]]) -> None:
    """Record a failed attempt for each (entry id, reason code, reason, field)."""
    if not failures:
        return
    rows = pa.table(
        {
            "id": pa.array([f[0] for f in failures], type=pa.int64()),
            "reason_code": [f[1] for f in failures],
            "reason": [f[2] for f in failures],
            "field": pa.array([f[3] for f in failures], type=pa.string()),
        }
    )
    con = store.connection
    con.register("failed_retries", rows)
    try:
        con.execute(
            "UPDATE quarantine SET reason_code = f.reason_code, reason = f.reason, field = f.field, "
            "attempts = attempts + 1, updated_at = now() FROM failed_retries f WHERE quarantine.id = f.id"
        )
    finally:
        con.unregister("failed_retries")
