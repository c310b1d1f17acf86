"""What the emerging-signal detectors read (docs/signals.md): daily inbound contacts by reason, from
the episode build's ``contacts`` (the first interaction's local date and the contact's reason)."""

from __future__ import annotations

from datetime import date

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
