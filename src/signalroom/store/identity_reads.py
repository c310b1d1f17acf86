"""Reading resolved identities: one person in full with their cross-channel timeline, the people,
the conflicts. Plain SQL over the tables of ``sql/0005_identity.sql``; typed results."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from signalroom.store.analysis_reads import topic_names
from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class IdentifierRef:
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class PersonRef:
    identifier: IdentifierRef  # the identifier asked for, or the person's anchor
    person_id: int
    identifiers_in_person: int


def find_identifiers(store: Store, pairs: list[tuple[str, str]]) -> list[PersonRef]:
    """The stored identifiers among the (kind, normalised value) pairs given, each with its
    person, in the order given."""
    if not pairs:
        return []
    con = store.connection
    con.register(
        "identity_asked",
        pa.table({"n": list(range(len(pairs))), "kind": [p[0] for p in pairs], "value": [p[1] for p in pairs]}),
    )
    try:
        rows = con.execute(
            "SELECT a.kind, a.value, p.person_id, (SELECT count(*) FROM identifier_persons q "
            "WHERE q.person_id = p.person_id) FROM identity_asked a JOIN identity_nodes n "
            "ON n.kind = a.kind AND n.value = a.value JOIN identifier_persons p USING (node_id) ORDER BY a.n"
        ).fetchall()
    finally:
        con.unregister("identity_asked")
    return [PersonRef(IdentifierRef(k, v), int(p), int(c)) for k, v, p, c in rows]


def person_by_number(store: Store, number: int) -> PersonRef | None:
    """The person now holding the anchor of person ``number`` (itself, or the one it merged into)."""
    rows = store.connection.execute(
        "SELECT n.kind, n.value, p.person_id, (SELECT count(*) FROM identifier_persons q "
        "WHERE q.person_id = p.person_id) FROM person_anchors a JOIN identity_nodes n USING (node_id) "
        "JOIN identifier_persons p USING (node_id) WHERE a.person_id = ?",
        [number],
    ).fetchall()
    if not rows:
        return None
    kind, value, person, count = rows[0]
    return PersonRef(IdentifierRef(kind, value), int(person), int(count))


def identity_counts(store: Store) -> dict[str, int]:
    con = store.connection
    row = fetch_one(
        con,
        "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM identifier_persons), "
        "(SELECT count(*) FROM record_persons), (SELECT count(*) FROM identity_conflicts), "
        "(SELECT count(*) FROM identity_overrides), (SELECT count(*) FROM interactions) + "
        "(SELECT count(*) FROM events) + (SELECT count(*) FROM surveys) + (SELECT count(*) FROM customers), "
        "(SELECT count(*) FROM persons WHERE profiles > 0)",
    )
    people, identifiers, records, conflicts, overrides, total, profiled = (int(v) for v in row)
    return {
        "people": people,
        "people_with_profile": profiled,
        "identifiers": identifiers,
        "records": records,
        "unplaced": max(0, total - records),
        "conflicts": conflicts,
        "overrides": overrides,
    }


# -- one person -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDetail:
    person_id: int
    anchor: str
    names: list[dict[str, Any]]  # {name, records, in_profile}: profiles' names first, then most used
    profiles: list[dict[str, Any]]
    identifiers: list[dict[str, Any]]  # {kind, value, records, in_profile, contested, detached}
    counts: dict[str, int]  # interactions, events, surveys
    channels: dict[str, int]
    conflicts: list[int]  # the conflicts this person is part of
    overrides: list[int]  # the manual merges and splits naming one of their identifiers
    timeline: list[dict[str, Any]]  # time order; the most recent ``limit`` entries
    timeline_total: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["person_id"] = f"P{self.person_id}"
        return data


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def person_detail(store: Store, person_id: int, limit: int | None = 200) -> PersonDetail | None:
    con = store.connection
    anchor = con.execute(
        "SELECT n.kind || ':' || n.value FROM person_anchors a JOIN identity_nodes n USING (node_id) "
        "WHERE a.person_id = ?",
        [person_id],
    ).fetchall()
    if not anchor:
        return None
    con.execute(
        "CREATE OR REPLACE TEMP TABLE person_records AS SELECT record_kind, source, record_id "
        "FROM record_persons WHERE person_id = ?",
        [person_id],
    )
    identifiers = _dicts(
        con.execute(
            "SELECT n.kind, n.value, count(DISTINCT (r.record_kind, r.source, r.record_id)) "
            "FILTER (WHERE r.record_kind <> 'profile') AS records, bool_or(r.record_kind = 'profile') AS in_profile, "
            "p.contested, p.detached FROM identifier_persons p JOIN identity_nodes n USING (node_id) "
            "LEFT JOIN record_identifiers r ON r.node_id = p.node_id WHERE p.person_id = ? "
            "GROUP BY n.kind, n.value, p.contested, p.detached "
            "ORDER BY CASE n.kind WHEN 'id' THEN 0 WHEN 'account' THEN 1 WHEN 'email' THEN 2 WHEN 'phone' THEN 3 "
            "ELSE 4 END, n.value",
            [person_id],
        )
    )
    for entry in identifiers:
        entry["in_profile"] = bool(entry["in_profile"])
    profiles = _dicts(
        con.execute(
            "SELECT c.source, c.id, c.name, c.segment, c.value FROM person_records r JOIN customers c "
            "ON c.source = r.source AND c.id = r.record_id WHERE r.record_kind = 'profile' ORDER BY c.source, c.id"
        )
    )
    names = [
        {"name": name, "records": int(n), "in_profile": bool(profiled)}
        for name, n, profiled in con.execute(
            "SELECT name, count(*) AS n, bool_or(profile) AS profiled FROM (SELECT c.name, true AS profile "
            "FROM person_records r JOIN customers c ON c.source = r.source AND c.id = r.record_id "
            "WHERE r.record_kind = 'profile' UNION ALL SELECT i.customer_name, false FROM person_records r "
            "JOIN interactions i ON i.source = r.source AND i.id = r.record_id WHERE r.record_kind = 'interaction' "
            "UNION ALL SELECT e.customer_name, false FROM person_records r JOIN events e ON e.source = r.source "
            "AND e.id = r.record_id WHERE r.record_kind = 'event' UNION ALL SELECT s.customer_name, false "
            "FROM person_records r JOIN surveys s ON s.source = r.source AND s.id = r.record_id "
            "WHERE r.record_kind = 'survey') WHERE name IS NOT NULL GROUP BY name ORDER BY profiled DESC, n DESC, name"
        ).fetchall()
    ]
    timeline, total, counts, channels = _timeline(store, limit)
    conflicts = [
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT c.conflict_id FROM identity_conflict_nodes c JOIN identifier_persons p USING (node_id) "
            "WHERE p.person_id = ? ORDER BY 1",
            [person_id],
        ).fetchall()
    ]
    overrides = [
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT o.override_id FROM identity_overrides o JOIN identity_nodes n "
            "ON (n.kind = o.kind AND n.value = o.value) OR (n.kind = o.other_kind AND n.value = o.other_value) "
            "JOIN identifier_persons p USING (node_id) WHERE p.person_id = ? ORDER BY 1",
            [person_id],
        ).fetchall()
    ]
    con.execute("DROP TABLE person_records")
    return PersonDetail(
        person_id=person_id,
        anchor=str(anchor[0][0]),
        names=names,
        profiles=profiles,
        identifiers=identifiers,
        counts=counts,
        channels=channels,
        conflicts=conflicts,
        overrides=overrides,
        timeline=timeline,
        timeline_total=total,
    )


def _timeline(store: Store, limit: int | None) -> tuple[list[dict[str, Any]], int, dict[str, int], dict[str, int]]:
    """The person's interactions, events and surveys (from the temp table ``person_records``),
    in time order: the most recent ``limit`` of them."""
    con = store.connection
    via = (
        "(SELECT list(n.kind || ':' || n.value ORDER BY n.kind, n.value) FROM record_identifiers ri "
        "JOIN identity_nodes n USING (node_id) WHERE ri.record_kind = r.record_kind AND ri.source = r.source "
        "AND ri.record_id = r.record_id)"
    )
    interactions = _dicts(
        con.execute(
            "SELECT 'interaction' AS record, i.started_at AS at, i.source, i.id, i.channel, i.queue, i.agent_id, "
            "i.agent_name, i.resolved, i.disposition, i.parent_id, x.model_version, x.method, x.topic_id, "
            f"x.sub_topic_id, {via} AS via FROM person_records r JOIN interactions i ON i.source = r.source "
            "AND i.id = r.record_id LEFT JOIN interaction_reasons x ON x.source = i.source AND x.id = i.id "
            "WHERE r.record_kind = 'interaction'"
        )
    )
    events = _dicts(
        con.execute(
            "SELECT 'event' AS record, e.occurred_at AS at, e.source, e.id, e.channel, e.type, "
            f"{via} AS via FROM person_records r JOIN events e ON e.source = r.source AND e.id = r.record_id "
            "WHERE r.record_kind = 'event'"
        )
    )
    surveys = _dicts(
        con.execute(
            "SELECT 'survey' AS record, s.occurred_at AS at, s.source, s.id, NULL AS channel, s.interaction_id, "
            f"s.embedded, s.csat, s.nps, s.ces, s.comment, {via} AS via FROM person_records r JOIN surveys s "
            "ON s.source = r.source AND s.id = r.record_id WHERE r.record_kind = 'survey'"
        )
    )
    labels: dict[tuple[int, str], dict[int, str]] = {}
    for entry in interactions:
        model, method = entry.pop("model_version"), entry.pop("method")
        topic, sub = entry.pop("topic_id"), entry.pop("sub_topic_id")
        entry["reason"] = None
        if model is not None and topic is not None:
            key = (int(model), str(method))
            if key not in labels:
                labels[key] = topic_names(store, *key)
            names = labels[key]
            entry["reason"] = names.get(int(topic), f"topic {topic}")
            if sub is not None and names.get(int(sub)):
                entry["reason"] += f" › {names[int(sub)]}"
    channels: dict[str, int] = {}
    for entry in interactions:
        channels[entry["channel"]] = channels.get(entry["channel"], 0) + 1
    merged = sorted(interactions + events + surveys, key=lambda e: (e["at"], e["record"], e["source"], e["id"]))
    total = len(merged)
    if limit:
        merged = merged[-limit:]
    counts = {"interactions": len(interactions), "events": len(events), "surveys": len(surveys)}
    return merged, total, counts, dict(sorted(channels.items(), key=lambda kv: (-kv[1], kv[0])))


# -- many people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSummary:
    person_id: int
    name: str | None
    anchor: str
    identifiers: int
    profiles: int
    shared: bool
    interactions: int
    channels: list[str]
    first_contact: datetime | None
    last_contact: datetime | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["person_id"] = f"P{self.person_id}"
        return data


def _summaries(store: Store, person_ids: list[int] | None, tail: str = "") -> list[PersonSummary]:
    """Summaries of these people (None: everyone), ``tail`` ordering and limiting them."""

    def among(column: str) -> str:
        return "TRUE" if person_ids is None else f"list_contains(?::BIGINT[], {column})"

    params = [] if person_ids is None else [list(person_ids)] * 2
    rows = store.connection.execute(
        "SELECT p.person_id, p.name, p.anchor_kind || ':' || p.anchor_value, p.identifiers, p.profiles, p.shared, "
        "coalesce(c.interactions, 0), coalesce(c.channels, []), c.first_contact, c.last_contact FROM persons p "
        "LEFT JOIN (SELECT r.person_id, count(*) AS interactions, list(DISTINCT i.channel ORDER BY i.channel) "
        "AS channels, min(i.started_at) AS first_contact, max(i.started_at) AS last_contact "
        "FROM record_persons r JOIN interactions i ON i.source = r.source AND i.id = r.record_id "
        f"WHERE r.record_kind = 'interaction' AND {among('r.person_id')} GROUP BY r.person_id) c "
        f"USING (person_id) WHERE {among('p.person_id')} {tail}",
        params,
    ).fetchall()
    return [
        PersonSummary(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), bool(r[5]), int(r[6]), list(r[7]), r[8], r[9])
        for r in rows
    ]


def list_people(store: Store, limit: int = 20) -> list[PersonSummary]:
    """The people with the most interactions first."""
    return _summaries(store, None, f"ORDER BY coalesce(c.interactions, 0) DESC, p.person_id LIMIT {int(limit)}")


def person_summaries(store: Store, person_ids: list[int]) -> list[PersonSummary]:
    """These people (as `customers list` shows them), in the order given."""
    if not person_ids:
        return []
    found = {summary.person_id: summary for summary in _summaries(store, person_ids)}
    return [found[p] for p in person_ids if p in found]


def channel_mix(store: Store) -> dict[str, int]:
    """How many people reached us on one channel, two, three or more."""
    rows = store.connection.execute(
        "SELECT least(n, 3) AS k, count(*) FROM (SELECT r.person_id, count(DISTINCT i.channel) AS n "
        "FROM record_persons r JOIN interactions i ON i.source = r.source AND i.id = r.record_id "
        "WHERE r.record_kind = 'interaction' GROUP BY r.person_id) GROUP BY k ORDER BY k"
    ).fetchall()
    names = {1: "one channel", 2: "two channels", 3: "three or more"}
    return {names[int(k)]: int(n) for k, n in rows}


@dataclass(frozen=True)
class ConflictInfo:
    conflict_id: int
    person_id: int  # the person the shared identifiers form
    shared: list[str]  # kind:value
    customers: list[dict[str, Any]]  # {id, person_id, sources}
    records: int  # records carrying a shared identifier
    examples: list[dict[str, str]]  # a few of those records: {record, source, id}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["person_id"] = f"P{self.person_id}"
        for customer in data["customers"]:
            customer["person_id"] = f"P{customer['person_id']}"
        return data


def list_conflicts(store: Store, limit: int | None = 50, only: list[int] | None = None) -> list[ConflictInfo]:
    con = store.connection
    where = f"WHERE c.conflict_id IN ({', '.join(str(int(i)) for i in only)})" if only else ""
    found = con.execute(
        f"SELECT c.conflict_id, c.person_id FROM identity_conflicts c {where} ORDER BY c.conflict_id"
        + (f" LIMIT {int(limit)}" if limit else "")
    ).fetchall()
    result = []
    for conflict_id, person_id in found:
        members = con.execute(
            "SELECT m.role, n.kind || ':' || n.value, n.value, p.person_id, n.node_id FROM identity_conflict_nodes m "
            "JOIN identity_nodes n USING (node_id) JOIN identifier_persons p USING (node_id) "
            "WHERE m.conflict_id = ? ORDER BY m.role, n.kind, n.value",
            [conflict_id],
        ).fetchall()
        shared = [label for role, label, _, _, _ in members if role == "shared"]
        customers = []
        for role, _, value, person, node in members:
            if role != "customer":
                continue
            sources = [
                str(r[0])
                for r in con.execute(
                    "SELECT DISTINCT source FROM record_identifiers WHERE node_id = ? ORDER BY 1", [node]
                ).fetchall()
            ]
            customers.append({"id": value, "person_id": int(person), "sources": sources})
        shared_nodes = [node for role, _, _, _, node in members if role == "shared"]
        records, examples = _records_carrying(store, shared_nodes)
        result.append(ConflictInfo(int(conflict_id), int(person_id), shared, customers, records, examples))
    return result


def _records_carrying(store: Store, nodes: list[int], examples: int = 5) -> tuple[int, list[dict[str, str]]]:
    marks = ", ".join(str(int(n)) for n in nodes) or "NULL"
    con = store.connection
    total = int(
        fetch_one(
            con,
            "SELECT count(*) FROM (SELECT DISTINCT record_kind, source, record_id FROM record_identifiers "
            f"WHERE node_id IN ({marks}))",
        )[0]
    )
    rows = con.execute(
        "SELECT DISTINCT record_kind, source, record_id FROM record_identifiers "
        f"WHERE node_id IN ({marks}) ORDER BY record_kind, source, record_id LIMIT {int(examples)}"
    ).fetchall()
    return total, [{"record": k, "source": s, "id": i} for k, s, i in rows]
