"""The reads behind the handoff context card (``signalroom.journeys.context``), and the cached
next-issue model (table ``next_issue_models`` of ``sql/0008_context.sql``).

Every read is a point lookup: by interaction id, by person, or by a short list of ids. DuckDB uses
an index only for a filter on one indexed column (``col = ?`` or ``col IN (…)``), never for a join,
so the lists are passed as ``IN`` lists and matched to their source here; the single-column indexes
are in the migration. docs/performance.md has the measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from signalroom.store.warehouse import Store

Key = tuple[str, str]  # (source, id)

_INTERACTION_COLUMNS = (
    "source, id, channel, started_at, ended_at, queue, agent_id, agent_name, parent_id, direction, resolved, "
    "disposition, escalated, transferred, customer_name, attributes"
)


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _by_ids(store: Store, sql: str, keys: Iterable[Key]) -> list[dict[str, Any]]:
    """Rows of ``sql`` (its ``{ids}`` the IN list of ids) whose (source, id) is one of ``keys``. The
    statement must filter on nothing else: any other condition beside the IN list, even one on the
    stage, turns DuckDB's index scan into a full scan (18 ms instead of 1.6 at 1M interactions)."""
    wanted = set(keys)
    ids = sorted({ident for _, ident in wanted})
    if not ids:
        return []
    found = _dicts(store.connection.execute(sql.format(ids=_marks(ids)), ids))
    return [row for row in found if (row["source"], row["id"]) in wanted]


def find_interactions(store: Store, interaction_id: str, source: str | None = None) -> list[dict[str, Any]]:
    """The interactions with this id (one per source holding it, or the one of ``source``)."""
    where = "id = ?" + (" AND source = ?" if source is not None else "")
    params = [interaction_id] + ([source] if source is not None else [])
    rows = _dicts(
        store.connection.execute(
            f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE {where} ORDER BY source", params
        )
    )
    for row in rows:
        row["attributes"] = orjson.loads(row["attributes"]) if row["attributes"] else {}
    return rows


def interactions_by_key(store: Store, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    rows = _by_ids(store, f"SELECT {_INTERACTION_COLUMNS} FROM interactions WHERE id IN ({{ids}})", keys)
    for row in rows:
        row["attributes"] = orjson.loads(row["attributes"]) if row["attributes"] else {}
    return {(r["source"], r["id"]): r for r in rows}


@dataclass(frozen=True)
class Placement:
    """Where the last episode build put an interaction."""

    contact_source: str
    contact_id: str
    episode_id: int
    person_id: int | None
    topic_id: int | None


def placement(store: Store, source: str, interaction_id: str) -> Placement | None:
    rows = store.connection.execute(
        "SELECT contact_source, contact_id, episode_id, person_id, topic_id FROM episode_interactions "
        "WHERE id = ? AND source = ?",
        [interaction_id, source],
    ).fetchall()
    if not rows:
        return None
    cs, ci, episode, person, topic = rows[0]
    return Placement(cs, ci, int(episode), None if person is None else int(person), topic)


def person_of_record(store: Store, kind: str, source: str, record_id: str) -> int | None:
    """The person identity resolution gave a record (for an interaction newer than the episode
    build; a scan of record_persons, which is indexed by person only)."""
    rows = store.connection.execute(
        "SELECT person_id FROM record_persons WHERE record_id = ? AND source = ? AND record_kind = ?",
        [record_id, source, kind],
    ).fetchall()
    return int(rows[0][0]) if rows else None


def person_row(store: Store, person_id: int) -> dict[str, Any] | None:
    """The person: anchor, name, identifier and profile counts, and identifiers by kind."""
    rows = _dicts(
        store.connection.execute(
            "SELECT person_id, anchor_kind, anchor_value, name, identifiers, profiles, shared, "
            "(SELECT list(kind ORDER BY kind) FROM identity_nodes WHERE node_id IN "
            "(SELECT node_id FROM identifier_persons WHERE person_id = ?)) AS kinds FROM persons WHERE person_id = ?",
            [person_id, person_id],
        )
    )
    return rows[0] if rows else None


def person_contacts(store: Store, person_id: int) -> list[dict[str, Any]]:
    """The person's contacts (chains), oldest first."""
    return _dicts(
        store.connection.execute(
            "SELECT contact_source, contact_id, topic_id, episode_id, started_at, ended_at, channel, queue, "
            "resolved, interactions, inbound, self_service_only FROM contacts WHERE person_id = ? "
            "ORDER BY started_at, contact_source, contact_id",
            [person_id],
        )
    )


def person_interaction_contacts(store: Store, person_id: int) -> dict[Key, Key]:
    """Each of the person's interactions → its contact."""
    rows = store.connection.execute(
        "SELECT source, id, contact_source, contact_id FROM episode_interactions WHERE person_id = ?", [person_id]
    ).fetchall()
    return {(s, i): (cs, ci) for s, i, cs, ci in rows}


def chain_interactions(store: Store, contact_source: str, contact_id: str) -> list[Key]:
    """The interactions of a contact without a person (a scan: contacts are indexed by person)."""
    rows = store.connection.execute(
        "SELECT source, id FROM episode_interactions WHERE contact_id = ? AND contact_source = ?",
        [contact_id, contact_source],
    ).fetchall()
    return [(s, i) for s, i in rows]


def contact_rows(store: Store, keys: Iterable[Key]) -> list[dict[str, Any]]:
    """Contacts by their key (for a contact without a person)."""
    rows = []
    for source, ident in keys:
        rows += _dicts(
            store.connection.execute(
                "SELECT contact_source, contact_id, topic_id, episode_id, started_at, ended_at, channel, queue, "
                "resolved, interactions, inbound, self_service_only FROM contacts "
                "WHERE contact_id = ? AND contact_source = ?",
                [ident, source],
            )
        )
    return rows


def conversation_results(store: Store, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    """Per interaction, what the card reads of its sentiment and situation results."""
    found: dict[Key, dict[str, Any]] = {}
    for row in _by_ids(store, "SELECT source, id, stage, result FROM stage_results WHERE id IN ({ids})", keys):
        if row["stage"] not in ("sentiment", "situation"):
            continue
        result = orjson.loads(row["result"])
        entry = found.setdefault((row["source"], row["id"]), {})
        if row["stage"] == "sentiment":
            end = ((result.get("parties") or {}).get("customer") or {}).get("end")
            entry["sentiment"] = {"label": result.get("label"), "customer_end": end}
        else:
            entry["ended"] = result.get("ended")
            entry["likely_next"] = result.get("likely_next") or []
    return found


def person_events(store: Store, person_id: int, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The person's events in [since, until), in time order."""
    keys = [
        (s, i)
        for kind, s, i in store.connection.execute(
            "SELECT record_kind, source, record_id FROM record_persons WHERE person_id = ?", [person_id]
        ).fetchall()
        if kind == "event"
    ]
    rows = _by_ids(
        store, "SELECT source, id, occurred_at, type, channel, properties FROM events WHERE id IN ({ids})", keys
    )
    rows = [r for r in rows if since <= r["occurred_at"] < until]
    for row in rows:
        row["properties"] = orjson.loads(row["properties"]) if row["properties"] else {}
    return sorted(rows, key=lambda r: (r["occurred_at"], r["source"], r["id"]))


def purpose_texts(store: Store, keys: Iterable[Key]) -> dict[Key, str | None]:
    rows = _by_ids(store, "SELECT source, id, purpose_text FROM interaction_analysis WHERE id IN ({ids})", keys)
    return {(r["source"], r["id"]): r["purpose_text"] for r in rows}


def last_turns(store: Store, keys: Iterable[Key], n: int) -> dict[Key, list[dict[str, Any]]]:
    """The last ``n`` turns of each interaction (as stored: redacted at ingest by default)."""
    wanted = set(keys)
    ids = sorted({i for _, i in wanted})
    if not ids:
        return {}
    rows = store.connection.execute(
        f"SELECT source, interaction_id, seq, speaker, text FROM turns WHERE interaction_id IN ({_marks(ids)})", ids
    ).fetchall()
    found: dict[Key, list[dict[str, Any]]] = {}
    for source, ident, seq, speaker, text in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        if (source, ident) in wanted:
            found.setdefault((source, ident), []).append({"seq": int(seq), "speaker": speaker, "text": text})
    return {k: v[-n:] for k, v in found.items()}


# -- the episode build and the cached next-issue model ----------------------------------------------


def latest_build(store: Store) -> tuple[datetime, int] | None:
    """The last episode build: when, and its window in days."""
    rows = store.connection.execute(
        "SELECT built_at, window_days FROM episode_builds ORDER BY built_at DESC LIMIT 1"
    ).fetchall()
    return (rows[0][0], int(rows[0][1])) if rows else None


def history_contacts(store: Store) -> list[tuple[int, int, datetime, bool | None]]:
    """Every inbound contact with a person and a reason: (person, reason, start, resolved)."""
    return [
        (int(p), int(t), at, resolved)
        for p, t, at, resolved in store.connection.execute(
            "SELECT person_id, topic_id, started_at, resolved FROM contacts "
            "WHERE person_id IS NOT NULL AND topic_id IS NOT NULL AND inbound"
        ).fetchall()
    ]


@dataclass(frozen=True)
class CachedModel:
    built_at: datetime
    state: dict[str, Any]
    evaluation: dict[str, Any] | None
    labels: dict[int, str]


def cached_model(store: Store, built_at: datetime) -> CachedModel | None:
    rows = store.connection.execute(
        "SELECT state, evaluation, labels FROM next_issue_models WHERE built_at = ?", [built_at]
    ).fetchall()
    if not rows:
        return None
    state, evaluation, labels = rows[0]
    return CachedModel(
        built_at,
        orjson.loads(state),
        orjson.loads(evaluation) if evaluation else None,
        {int(k): str(v) for k, v in orjson.loads(labels).items()},
    )


def save_model(store: Store, model: CachedModel, window_days: int) -> None:
    """Keep this model, replacing any other (one build, one model)."""
    with store.transaction():
        store.connection.execute("DELETE FROM next_issue_models")
        store.connection.execute(
            "INSERT INTO next_issue_models VALUES (?, now(), ?, ?, ?, ?)",
            [
                model.built_at,
                window_days,
                orjson.dumps(model.state).decode(),
                orjson.dumps(model.evaluation).decode() if model.evaluation is not None else None,
                orjson.dumps({str(k): v for k, v in model.labels.items()}).decode(),
            ],
        )
