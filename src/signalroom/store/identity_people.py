"""Storing the outcome of a resolution: person numbers, each identifier's and each record's person,
the people and the conflicts. Only what moved is written: an identifier whose person changed, the
records carrying it or read anew, and the people those touch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from signalroom.store.identity import KIND_RANK_SQL
from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def person_numbers(store: Store, anchors: Ints, order: Ints) -> Ints:
    """The person number of each anchor node; anchors seen for the first time get the next
    numbers, in ``order`` (so a fresh warehouse numbers its people alike for the same data)."""
    con = store.connection
    con.register("identity_anchors", pa.table({"n": np.arange(anchors.size), "node_id": anchors, "ordering": order}))
    try:
        con.execute(
            "INSERT INTO person_anchors SELECT (SELECT coalesce(max(person_id), 0) FROM person_anchors) "
            "+ row_number() OVER (ORDER BY a.ordering), a.node_id, now() FROM identity_anchors a "
            "ANTI JOIN person_anchors p USING (node_id)"
        )
        found = con.execute(
            "SELECT a.n, p.person_id FROM identity_anchors a JOIN person_anchors p USING (node_id)"
        ).fetchnumpy()
    finally:
        con.unregister("identity_anchors")
    numbers = np.zeros(anchors.size, dtype=np.int64)
    numbers[np.asarray(found["n"], dtype=np.int64)] = np.asarray(found["person_id"], dtype=np.int64)
    return numbers


@dataclass(frozen=True)
class Moves:
    """Identifiers whose person (or flags) changed, with the people they left; identifiers no
    record carries any more."""

    nodes: Ints
    persons: Ints
    contested: Bools
    detached: Bools
    left: Ints  # the people the moved and gone identifiers belonged to
    gone: Ints


def write_moves(store: Store, moves: Moves) -> int:
    """Update identifier_persons, record_persons and persons; returns how many records were placed."""
    con = store.connection
    con.register(
        "identity_moved",
        pa.table(
            {
                "node_id": moves.nodes,
                "person_id": moves.persons,
                "contested": moves.contested,
                "detached": moves.detached,
            }
        ),
    )
    con.register("identity_gone", pa.table({"node_id": moves.gone}))
    try:
        con.execute(
            "DELETE FROM identifier_persons WHERE node_id IN (SELECT node_id FROM identity_moved "
            "UNION ALL SELECT node_id FROM identity_gone)"
        )
        con.execute("INSERT INTO identifier_persons SELECT * FROM identity_moved")
        # Records to place again: those just read, and those carrying an identifier that moved.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE identity_affected AS SELECT record_kind, source, record_id "
            "FROM identity_changed UNION ALL SELECT r.record_kind, r.source, r.record_id "
            "FROM record_identifiers r SEMI JOIN identity_moved m ON m.node_id = r.node_id "
            "ANTI JOIN identity_changed c ON c.record_kind = r.record_kind AND c.source = r.source "
            "AND c.record_id = r.record_id"
        )
        placed = _place_records(store)
        # The people to summarise again: those identifiers joined or left, and those of changed profiles.
        con.register("identity_left", pa.table({"person_id": moves.left}))
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE identity_touched AS SELECT DISTINCT person_id FROM "
                "(SELECT person_id FROM identity_moved UNION ALL SELECT person_id FROM identity_left "
                "UNION ALL SELECT p.person_id FROM record_persons p SEMI JOIN identity_changed c "
                "ON c.record_kind = p.record_kind AND c.source = p.source AND c.record_id = p.record_id "
                "WHERE p.record_kind = 'profile')"
            )
        finally:
            con.unregister("identity_left")
    finally:
        con.unregister("identity_moved")
        con.unregister("identity_gone")
    _write_persons(store)
    return placed


def _place_records(store: Store) -> int:
    """A record belongs to the person of its customer id; without one, of its strongest identifier
    that is neither shared nor split off. Those are linked (the record joined them), so its first
    node answers unless that one is shared or split off: only then is there a choice to make."""
    con = store.connection
    con.execute(
        "DELETE FROM record_persons USING identity_affected a WHERE record_persons.record_kind = a.record_kind "
        "AND record_persons.source = a.source AND record_persons.record_id = a.record_id"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE identity_place AS SELECT r.record_kind, r.source, r.record_id, "
        "p.person_id, p.contested OR p.detached AS flagged FROM record_identifiers r "
        "SEMI JOIN identity_affected a ON a.record_kind = r.record_kind AND a.source = r.source "
        "AND a.record_id = r.record_id JOIN identifier_persons p ON p.node_id = r.first_node "
        "WHERE r.node_id = r.first_node"
    )
    con.execute(
        "INSERT INTO record_persons SELECT record_kind, source, record_id, person_id FROM identity_place "
        "WHERE NOT flagged"
    )
    rank = KIND_RANK_SQL.format(col="r.kind")
    con.execute(
        "INSERT INTO record_persons SELECT r.record_kind, r.source, r.record_id, "
        f"arg_min(p.person_id, (r.kind <> 'id', p.contested OR p.detached, {rank}, r.node_id)) "
        "FROM record_identifiers r SEMI JOIN (SELECT * FROM identity_place WHERE flagged) f "
        "ON f.record_kind = r.record_kind AND f.source = r.source AND f.record_id = r.record_id "
        "JOIN identifier_persons p ON p.node_id = r.node_id GROUP BY r.record_kind, r.source, r.record_id"
    )
    return int(fetch_one(con, "SELECT count(*) FROM identity_place")[0])


def _write_persons(store: Store) -> None:
    """The summary row of each touched person: anchor, name (of a profile), identifiers, profiles."""
    con = store.connection
    con.execute("DELETE FROM persons WHERE person_id IN (SELECT person_id FROM identity_touched)")
    con.execute(
        "INSERT INTO persons SELECT p.person_id, n.kind, n.value, pr.name, p.identifiers, "
        "coalesce(pr.profiles, 0), p.shared FROM (SELECT person_id, count(*) AS identifiers, "
        "bool_or(contested) AS shared FROM identifier_persons SEMI JOIN identity_touched USING (person_id) "
        "GROUP BY person_id) p JOIN person_anchors a USING (person_id) JOIN identity_nodes n "
        "ON n.node_id = a.node_id LEFT JOIN (SELECT rp.person_id, count(*) AS profiles, "
        "arg_min(c.name, (c.name IS NULL, c.source, c.id)) AS name FROM record_persons rp "
        "SEMI JOIN identity_touched t ON t.person_id = rp.person_id "
        "JOIN customers c ON c.source = rp.source AND c.id = rp.record_id WHERE rp.record_kind = 'profile' "
        "GROUP BY rp.person_id) pr USING (person_id)"
    )


def write_conflicts(store: Store, conflicts: list[tuple[Ints, Ints]]) -> None:
    """Replace the conflicts: (shared identifiers, customer ids they sit beside), numbered in the
    order of the people the shared identifiers form, for a stable listing."""
    con = store.connection
    con.execute("DELETE FROM identity_conflicts")
    con.execute("DELETE FROM identity_conflict_nodes")
    if not conflicts:
        return
    numbers: list[int] = []
    nodes: list[int] = []
    roles: list[str] = []
    for number, (shared, customers) in enumerate(conflicts, start=1):
        for role, members in (("shared", shared), ("customer", customers)):
            numbers.extend([number] * members.size)
            nodes.extend(members.tolist())
            roles.extend([role] * members.size)
    con.register("identity_conflicts_found", pa.table({"number": numbers, "node_id": nodes, "role": roles}))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE identity_conflict_order AS SELECT number, "
            "row_number() OVER (ORDER BY person_id, number) AS conflict_id, person_id FROM (SELECT f.number, "
            "min(p.person_id) AS person_id FROM identity_conflicts_found f JOIN identifier_persons p USING (node_id) "
            "WHERE f.role = 'shared' GROUP BY f.number)"
        )
        con.execute("INSERT INTO identity_conflicts SELECT conflict_id, person_id FROM identity_conflict_order")
        con.execute(
            "INSERT INTO identity_conflict_nodes SELECT o.conflict_id, f.node_id, f.role "
            "FROM identity_conflicts_found f JOIN identity_conflict_order o USING (number)"
        )
    finally:
        con.unregister("identity_conflicts_found")
