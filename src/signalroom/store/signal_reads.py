"""What the phrase and within-need detectors read (docs/signals.md): inbound contacts of a span of
local dates from the episode build's ``contacts``, with what their customers said (the redacted
customer turns of every interaction of the contact) or with their handling flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class ContactText:
    key: str  # 'source/id' of the contact's first interaction
    day: date
    person: int | None
    topic: int | None
    text: str  # the customer's turns, one a line, redacted


def customer_texts(store: Store, first: date, last: date) -> list[ContactText]:
    """Every inbound contact from ``first`` to ``last`` (local dates) whose customer said anything,
    in date then key order. The redacted copy of a turn where the analysis made one; turns redacted
    at ingest are stored redacted."""
    rows = store.connection.execute(
        "SELECT c.contact_source || '/' || c.contact_id, c.local_date, c.person_id, c.topic_id, "
        "string_agg(coalesce(r.text, t.text), chr(10) ORDER BY e.source, e.id, t.seq) "
        "FROM contacts c "
        "JOIN episode_interactions e ON e.contact_source = c.contact_source AND e.contact_id = c.contact_id "
        "JOIN turns t ON t.source = e.source AND t.interaction_id = e.id AND t.speaker = 'customer' "
        "LEFT JOIN redacted_turns r ON r.source = t.source AND r.interaction_id = t.interaction_id AND r.seq = t.seq "
        "WHERE c.inbound AND c.local_date BETWEEN ? AND ? "
        "GROUP BY c.contact_source, c.contact_id, c.local_date, c.person_id, c.topic_id "
        "ORDER BY c.local_date, 1",
        [first, last],
    ).fetchall()
    return [
        ContactText(str(k), d, None if p is None else int(p), None if t is None else int(t), str(text))
        for k, d, p, t, text in rows
    ]


# Each measure: which contacts count (eligible) and which of them have it (affected). A repeat is
# a contact whose person's previous inbound contact started within the window before it — known on
# the contact's own day, so replaying a day never looks ahead.
_MEASURES = {
    "negative_sentiment": ("c.ended_negative IS NOT NULL", "c.ended_negative"),
    "repeat_rate": (
        "c.person_id IS NOT NULL",
        "c.previous_contact_at IS NOT NULL AND c.started_at - c.previous_contact_at <= to_days(CAST(? AS INTEGER))",
    ),
    "transfer_rate": ("TRUE", "coalesce(c.transferred, FALSE) OR coalesce(c.escalated, FALSE)"),
}
MEASURES: tuple[str, ...] = tuple(_MEASURES)


def daily_rates(
    store: Store, measure: str, first: date, last: date, repeat_days: int
) -> list[tuple[int | None, date, int, int]]:
    """(reason or None, local date, eligible inbound contacts, affected) for one measure."""
    eligible, affected = _measure(measure)
    params: list[object] = [repeat_days] if "?" in affected else []
    rows = store.connection.execute(
        f"SELECT c.topic_id, c.local_date, count(*), count(*) FILTER (WHERE {affected}) FROM contacts c "
        f"WHERE c.inbound AND c.local_date BETWEEN ? AND ? AND {eligible} GROUP BY ALL",
        [*params, first, last],
    ).fetchall()
    return [(None if t is None else int(t), d, int(n), int(k)) for t, d, n, k in rows]


def affected_contacts(
    store: Store, measure: str, topics: list[int], days: list[date], repeat_days: int
) -> list[tuple[str, date, int | None]]:
    """The affected contacts ('source/id', local date, person) of these reasons on these days."""
    if not topics or not days:
        return []
    eligible, affected = _measure(measure)
    params: list[object] = [repeat_days] if "?" in affected else []
    rows = store.connection.execute(
        f"SELECT c.contact_source || '/' || c.contact_id, c.local_date, c.person_id FROM contacts c "
        f"WHERE c.inbound AND {eligible} AND ({affected}) AND list_contains(?, c.topic_id) "
        f"AND list_contains(?, c.local_date) ORDER BY c.local_date, 1",
        [*params, topics, days],
    ).fetchall()
    return [(str(k), d, None if p is None else int(p)) for k, d, p in rows]


def _measure(measure: str) -> tuple[str, str]:
    if measure not in _MEASURES:
        raise ValueError(f"unknown measure {measure!r}; known: {', '.join(_MEASURES)}")
    return _MEASURES[measure]


def first_contact_day(store: Store) -> date | None:
    """The local date of the first inbound contact: what is known of anyone's history starts there."""
    row = store.connection.execute("SELECT min(local_date) FROM contacts WHERE inbound").fetchone()
    return None if row is None or row[0] is None else row[0]
