"""What the emerging-signal detectors read (docs/signals.md): daily inbound contacts by reason, from
the episode build's ``contacts`` (the first interaction's local date and the contact's reason)."""

from __future__ import annotations

from datetime import date

import orjson

from signalroom.store.warehouse import Store


def daily_reason_counts(store: Store) -> list[tuple[int | None, date, int]]:
    """(reason or None, local date, inbound contacts)."""
    rows = store.connection.execute(
        "SELECT topic_id, local_date, count(*) FROM contacts WHERE inbound GROUP BY topic_id, local_date"
    ).fetchall()
    return [(None if t is None else int(t), d, int(n)) for t, d, n in rows]


def contact_examples(store: Store, topics: list[int], day: date, limit: int = 3) -> list[str]:
    """Contacts of these reasons on that day, as evidence (source/id, in id order)."""
    if not topics:
        return []
    marks = ", ".join("?" for _ in topics)
    rows = store.connection.execute(
        f"SELECT contact_source || '/' || contact_id FROM contacts WHERE inbound AND local_date = ? "
        f"AND topic_id IN ({marks}) ORDER BY contact_id LIMIT ?",
        [day, *topics, limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


_SIGNAL_COLUMNS = (
    "signal_id, fingerprint, title, kind, reasons, detectors, first_detected, last_detected, rank, score, support, "
    "affected_customers, extra_contacts, extra_repeat_contacts, cost, advisor_flags, owner_function, owner, "
    "routing_rule, findings, series, evidence, created_at, updated_at"
)
_JSON_COLUMNS = ("findings", "series", "evidence")


def _signal_rows(store: Store, where: str = "", params: list[object] | None = None) -> list[dict[str, object]]:
    cursor = store.connection.execute(
        f"SELECT {_SIGNAL_COLUMNS} FROM signals {where} ORDER BY rank NULLS LAST, signal_id", params or []
    )
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        for column in _JSON_COLUMNS:
            record[column] = orjson.loads(record[column])
        out.append(record)
    return out


def get_signal(store: Store, signal_id: int) -> dict[str, object] | None:
    """One stored signal as a dict of its columns (JSON columns decoded), or None."""
    rows = _signal_rows(store, "WHERE signal_id = ?", [signal_id])
    return rows[0] if rows else None


def ranked_signals(store: Store, *, include_inactive: bool = False) -> list[dict[str, object]]:
    """The latest ranked list (rank order); with ``include_inactive`` also signals no longer in it."""
    return _signal_rows(store, "" if include_inactive else "WHERE rank IS NOT NULL")


def contact_people(store: Store, topics: list[int], days: list[date]) -> tuple[int, int]:
    """(inbound contacts, distinct persons) of these reasons on these days."""
    if not topics or not days:
        return 0, 0
    row = store.connection.execute(
        f"SELECT count(*), count(DISTINCT person_id) FROM contacts WHERE inbound "
        f"AND topic_id IN ({', '.join('?' for _ in topics)}) AND local_date IN ({', '.join('?' for _ in days)})",
        [*topics, *days],
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def first_detected_by_fingerprint(store: Store) -> dict[str, tuple[int, date]]:
    """Stored signals' (id, first detected day) by fingerprint."""
    rows = store.connection.execute("SELECT fingerprint, signal_id, first_detected FROM signals").fetchall()
    return {str(f): (int(i), d) for f, i, d in rows}


# What subscribers hear about; a signal whose other numbers moved is not announced again.
_ANNOUNCED = ("title", "rank", "first_detected", "detectors", "owner_function", "owner")


def _announced_values(row: dict[str, object], first: date) -> tuple[object, ...]:
    return tuple(first if k == "first_detected" else row[k] for k in _ANNOUNCED)


def save_ranked(store: Store, rows: list[dict[str, object]], *, as_of: date, since: date,
                config: dict[str, object]) -> list[tuple[int, str]]:  # fmt: skip
    """Write the latest ranked list in one transaction: signals already stored (same fingerprint)
    are updated and keep their id and first-detected day, new ones get an id, those not in the list
    any more keep their row with rank NULL. Each new or changed signal is announced to webhook
    subscribers in the same transaction — changed in what they hear about (title, rank, first day,
    detectors, owner), not in every number. Returns (id, 'created' | 'updated' | 'unchanged') per row."""
    from signalroom.store.webhooks import emit

    con = store.connection
    known = first_detected_by_fingerprint(store)
    announced = {
        str(r[0]): r[1:] for r in con.execute(f"SELECT fingerprint, {', '.join(_ANNOUNCED)} FROM signals").fetchall()
    }
    out: list[tuple[int, str]] = []
    with store.transaction():
        con.execute("UPDATE signals SET rank = NULL WHERE rank IS NOT NULL")
        for row in rows:
            fingerprint = str(row["fingerprint"])
            values = [
                row["title"], row["kind"], row["reasons"], row["detectors"], row["first_detected"],
                row["last_detected"], row["rank"], row["score"], row["support"], row["affected_customers"],
                row["extra_contacts"], row["extra_repeat_contacts"], row["cost"], row["advisor_flags"],
                row["owner_function"], row["owner"], row["routing_rule"], orjson.dumps(row["findings"]).decode(),
                orjson.dumps(row["series"]).decode(), orjson.dumps(row["evidence"]).decode(),
            ]  # fmt: skip
            if fingerprint in known:
                signal_id, first = known[fingerprint]
                first = min(first, date.fromisoformat(str(row["first_detected"])))
                con.execute(
                    "UPDATE signals SET title = ?, kind = ?, reasons = ?, detectors = ?, first_detected = ?, "
                    "last_detected = ?, rank = ?, score = ?, support = ?, affected_customers = ?, extra_contacts = ?, "
                    "extra_repeat_contacts = ?, cost = ?, advisor_flags = ?, owner_function = ?, owner = ?, "
                    "routing_rule = ?, findings = ?, series = ?, evidence = ?, updated_at = now() "
                    "WHERE signal_id = ?",
                    [*values[:4], first, *values[5:], signal_id],
                )
                change = "updated" if announced[fingerprint] != _announced_values(row, first) else "unchanged"
            else:
                signal_id = int(con.execute("SELECT nextval('signal_ids')").fetchall()[0][0])
                con.execute(
                    f"INSERT INTO signals VALUES (?, ?, {', '.join('?' for _ in values)}, now(), now())",
                    [signal_id, fingerprint, *values],
                )
                change = "created"
            if change != "unchanged":
                summary = {k: row[k] for k in ("title", "kind", "rank", "first_detected", "owner_function", "owner")}
                emit(store, f"signal.{change}", {"signal_id": signal_id, **summary, "detectors": row["detectors"],
                                                 "extra_contacts": row["extra_contacts"]})  # fmt: skip
            out.append((signal_id, change))
        con.execute(
            "INSERT INTO signal_runs VALUES (now(), ?, ?, ?, ?)",
            [as_of, since, len(rows), orjson.dumps(config).decode()],
        )
    return out


def routing_yaml(store: Store) -> tuple[int, str] | None:
    """The routing rules in use (version, YAML), or None: the shipped defaults."""
    rows = store.connection.execute(
        "SELECT version, source_yaml FROM routing_rules ORDER BY version DESC LIMIT 1"
    ).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def set_routing_yaml(store: Store, text: str, by: str) -> int:
    con = store.connection
    with store.transaction():
        version = int(con.execute("SELECT coalesce(max(version), 0) + 1 FROM routing_rules").fetchall()[0][0])
        con.execute("INSERT INTO routing_rules VALUES (?, now(), ?, ?)", [version, by, text])
    return version


def set_route(store: Store, signal_id: int, owner_function: str, owner: str | None, rule: str) -> None:
    store.connection.execute(
        "UPDATE signals SET owner_function = ?, owner = ?, routing_rule = ?, updated_at = now() WHERE signal_id = ?",
        [owner_function, owner, rule, signal_id],
    )
