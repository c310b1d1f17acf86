"""Identity resolution's tables: the identifiers records carry, the graph they form, and the people
it resolves to (schema in ``sql/0005_identity.sql``; the rules in ``signalroom.journeys.identity``).

Resolution is incremental: only records of loads newer than the last resolution are read again,
each raw identifier value is normalised once, and only records whose identifiers changed person
are placed again. The graph itself is clustered whole each time, from the stored edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store

RECORD_KINDS = ("profile", "interaction", "event", "survey")
# The strongest kind first, as signalroom.journeys.identifiers.KINDS.
KIND_RANK_SQL = "CASE {col} WHEN 'id' THEN 0 WHEN 'account' THEN 1 WHEN 'email' THEN 2 WHEN 'phone' THEN 3 ELSE 4 END"
_RECORD_TABLES = (("interaction", "interactions"), ("event", "events"), ("survey", "surveys"))

Normaliser = Callable[[list[str], list[str]], list[str | None]]


def get_state(store: Store, key: str) -> str | None:
    rows = store.connection.execute("SELECT value FROM identity_state WHERE key = ?", [key]).fetchall()
    return str(rows[0][0]) if rows else None


def set_state(store: Store, key: str, value: str) -> None:
    store.connection.execute(
        "INSERT INTO identity_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def last_load_id(store: Store) -> int:
    return int(fetch_one(store.connection, "SELECT coalesce(max(load_id), 0) FROM loads")[0])


def is_stale(store: Store) -> bool:
    """Loads have written records since the last resolution."""
    return int(get_state(store, "resolved_load") or 0) < last_load_id(store)


def forget_derived(store: Store, *, normalisations: bool) -> None:
    """Drop what resolution derived (for a full rebuild); ``normalisations`` too when the rules for
    raw values changed (another phone region). Overrides and person numbers are kept."""
    con = store.connection
    for table in ("record_identifiers", "identifier_persons", "record_persons", "persons"):
        con.execute(f"DELETE FROM {table}")
    if normalisations:
        con.execute("DELETE FROM identity_raw")
    set_state(store, "resolved_load", "0")


# -- the identifiers of new and changed records ---------------------------------------------------


_KINDS = ("id", "account", "email", "phone", "handle")


def sync_records(store: Store, since_load: int, normalise: Normaliser) -> tuple[int, int]:
    """Read the identifiers of records written by loads after ``since_load`` into
    record_identifiers; returns (records read, raw values normalised for the first time).

    Leaves the temp table ``identity_changed`` (the records read) for the people's update."""
    con = store.connection
    params = {"since": since_load}
    kinds_sql = ", ".join(_KINDS)
    rows = " UNION ALL ".join(
        f"SELECT '{kind}' AS record_kind, source, id AS record_id, "
        + ", ".join(f"customer_{k} AS {k}" for k in _KINDS)
        + f" FROM {table} WHERE load_id > $since"
        for kind, table in _RECORD_TABLES
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE identity_changed_rows AS {rows}", params)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE identity_changed_profiles AS SELECT i.source, i.customer_id, i.kind, i.value "
        "FROM customer_identifiers i JOIN customers c ON c.source = i.source AND c.id = i.customer_id "
        "WHERE c.load_id > $since",
        params,
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE identity_changed AS SELECT record_kind, source, record_id "
        "FROM identity_changed_rows UNION ALL SELECT 'profile', source, id FROM customers WHERE load_id > $since",
        params,
    )
    records = int(fetch_one(con, "SELECT count(*) FROM identity_changed")[0])
    if not records:
        return 0, 0
    # 1. Raw values never seen before are normalised (in Python, once each).
    fresh = con.execute(
        f"SELECT DISTINCT r.kind, r.raw FROM (SELECT kind, raw FROM (UNPIVOT identity_changed_rows ON {kinds_sql} "
        "INTO NAME kind VALUE raw) UNION ALL SELECT kind, value FROM identity_changed_profiles) r "
        "ANTI JOIN identity_raw x ON x.kind = r.kind AND x.raw = r.raw"
    ).fetchnumpy()
    kinds, raws = [str(k) for k in fresh["kind"]], [str(r) for r in fresh["raw"]]
    if kinds:
        _add_normalised(store, kinds, raws, normalise(kinds, raws))
    con.execute(
        "DELETE FROM record_identifiers USING identity_changed c WHERE record_identifiers.record_kind = c.record_kind "
        "AND record_identifiers.source = c.source AND record_identifiers.record_id = c.record_id"
    )
    # 2. Each record's nodes (one join per kind and no grouping: a record carries one value of each
    # kind) and its first node — its customer id if it has one, else its smallest node — to which
    # its other identifiers are linked.
    nodes = ", ".join(f"x_{k}.node_id AS {k}" for k in _KINDS)
    joins = " ".join(f"LEFT JOIN identity_raw x_{k} ON x_{k}.kind = '{k}' AND x_{k}.raw = r.{k}" for k in _KINDS)
    con.execute(
        "INSERT INTO record_identifiers SELECT record_kind, source, record_id, kind, node_id, first_node FROM "
        "(UNPIVOT (SELECT record_kind, source, record_id, coalesce(id, least(account, email, phone, handle)) "
        f"AS first_node, {kinds_sql} FROM (SELECT r.record_kind, r.source, r.record_id, {nodes} "
        f"FROM identity_changed_rows r {joins})) ON {kinds_sql} INTO NAME kind VALUE node_id)"
    )
    # Profiles list any number of identifiers of each kind.
    con.execute(
        "INSERT INTO record_identifiers SELECT 'profile', source, customer_id, kind, node_id, "
        "coalesce(min(node_id) FILTER (WHERE kind = 'id') OVER w, min(node_id) OVER w) FROM "
        "(SELECT DISTINCT p.source, p.customer_id, p.kind, x.node_id FROM identity_changed_profiles p "
        "JOIN identity_raw x ON x.kind = p.kind AND x.raw = p.value WHERE x.node_id IS NOT NULL) "
        "WINDOW w AS (PARTITION BY source, customer_id)"
    )
    return records, len(kinds)


def _add_normalised(store: Store, kinds: list[str], raws: list[str], values: list[str | None]) -> None:
    con = store.connection
    con.register("identity_fresh", pa.table({"kind": kinds, "raw": raws, "value": pa.array(values, pa.string())}))
    try:
        con.execute(
            "INSERT INTO identity_nodes SELECT (SELECT coalesce(max(node_id), 0) FROM identity_nodes) "
            "+ row_number() OVER (ORDER BY kind, value), kind, value FROM (SELECT DISTINCT kind, value "
            "FROM identity_fresh f WHERE value IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM identity_nodes n WHERE n.kind = f.kind AND n.value = f.value))"
        )
        con.execute(
            "INSERT INTO identity_raw SELECT f.kind, f.raw, n.node_id FROM identity_fresh f "
            "LEFT JOIN identity_nodes n ON n.kind = f.kind AND n.value = f.value"
        )
    finally:
        con.unregister("identity_fresh")


# -- the graph ------------------------------------------------------------------------------------

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass
class GraphArrays:
    """The graph and the current assignment, as arrays indexed by node number."""

    size: int  # node numbers are below this
    rank: npt.NDArray[np.int8]  # kind rank per node (0: customer id … 4: handle; 9: no such node)
    present: Bools  # carried by some record
    edges: Ints  # (E, 2)
    id_sources: Ints  # (K, 2): customer-id node, source number
    detached: Ints
    merges: Ints  # (M, 2)
    person: Ints  # the person of each node after the last resolution, -1 for none
    contested: Bools
    was_detached: Bools


def _ints(values: object) -> Ints:
    return np.asarray(values, dtype=np.int64)


def _pairs(found: dict[str, Any], a: str, b: str) -> Ints:
    return np.stack([_ints(found[a]), _ints(found[b])], axis=1) if len(found[a]) else np.zeros((0, 2), np.int64)


def graph_arrays(store: Store) -> GraphArrays:
    con = store.connection
    size = int(fetch_one(con, "SELECT coalesce(max(node_id), 0) + 1 FROM identity_nodes")[0])
    found = con.execute(f"SELECT node_id, {KIND_RANK_SQL.format(col='kind')} AS rank FROM identity_nodes").fetchnumpy()
    rank = np.full(size, 9, dtype=np.int8)
    rank[_ints(found["node_id"])] = np.asarray(found["rank"], dtype=np.int8)
    # Plain scans into masks: cheaper than DISTINCT in SQL.
    present = np.zeros(size, dtype=bool)
    present[_ints(con.execute("SELECT node_id FROM record_identifiers").fetchnumpy()["node_id"])] = True
    edges = _pairs(
        con.execute(
            "SELECT DISTINCT first_node, node_id FROM record_identifiers WHERE node_id <> first_node"
        ).fetchnumpy(),
        "first_node",
        "node_id",
    )
    id_sources = _pairs(
        con.execute(
            "SELECT DISTINCT r.node_id, s.number FROM record_identifiers r JOIN (SELECT name, "
            "row_number() OVER (ORDER BY name) AS number FROM sources) s ON s.name = r.source WHERE r.kind = 'id'"
        ).fetchnumpy(),
        "node_id",
        "number",
    )
    detached = _ints(
        con.execute(
            "SELECT n.node_id FROM identity_overrides o JOIN identity_nodes n ON n.kind = o.kind "
            "AND n.value = o.value WHERE o.action = 'split'"
        ).fetchnumpy()["node_id"]
    )
    merges = _pairs(
        con.execute(
            "SELECT a.node_id AS a, b.node_id AS b FROM identity_overrides o "
            "JOIN identity_nodes a ON a.kind = o.kind AND a.value = o.value "
            "JOIN identity_nodes b ON b.kind = o.other_kind AND b.value = o.other_value WHERE o.action = 'merge'"
        ).fetchnumpy(),
        "a",
        "b",
    )
    found = con.execute("SELECT node_id, person_id, contested, detached FROM identifier_persons").fetchnumpy()
    nodes = _ints(found["node_id"])
    person = np.full(size, -1, dtype=np.int64)
    person[nodes] = _ints(found["person_id"])
    contested = np.zeros(size, dtype=bool)
    contested[nodes] = np.asarray(found["contested"], dtype=bool)
    was_detached = np.zeros(size, dtype=bool)
    was_detached[nodes] = np.asarray(found["detached"], dtype=bool)
    return GraphArrays(size, rank, present, edges, id_sources, detached, merges, person, contested, was_detached)


# -- manual overrides -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    override_id: int
    action: str  # merge | split
    kind: str
    value: str
    other_kind: str | None
    other_value: str | None
    note: str | None
    created_at: datetime
    active: bool  # every identifier it names is still carried by some record

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def add_override(
    store: Store,
    action: str,
    identifier: tuple[str, str],
    other: tuple[str, str] | None = None,
    note: str | None = None,
) -> tuple[int, list[int]]:
    """Store a merge or a split; returns its id and, for a split, the ids of the earlier merges
    naming that identifier, which it removes (the latest word wins)."""
    con = store.connection
    removed: list[int] = []
    if action == "split":
        removed = [
            int(r[0])
            for r in con.execute(
                "DELETE FROM identity_overrides WHERE action = 'merge' AND ((kind = ? AND value = ?) "
                "OR (other_kind = ? AND other_value = ?)) RETURNING override_id",
                [*identifier, *identifier],
            ).fetchall()
        ]
    override_id = int(fetch_one(con, "SELECT nextval('identity_override_ids')")[0])
    con.execute(
        "INSERT INTO identity_overrides VALUES (?, ?, ?, ?, ?, ?, ?, now())",
        [override_id, action, *identifier, *(other or (None, None)), note],
    )
    return override_id, sorted(removed)


def remove_override(store: Store, override_id: int) -> bool:
    found = store.connection.execute(
        "DELETE FROM identity_overrides WHERE override_id = ? RETURNING override_id", [override_id]
    ).fetchall()
    return bool(found)


def list_overrides(store: Store) -> list[Override]:
    rows = store.connection.execute(
        "SELECT o.override_id, o.action, o.kind, o.value, o.other_kind, o.other_value, o.note, o.created_at, "
        "EXISTS (SELECT 1 FROM identity_nodes n JOIN identifier_persons p USING (node_id) "
        "WHERE n.kind = o.kind AND n.value = o.value) AND (o.other_kind IS NULL OR EXISTS (SELECT 1 FROM "
        "identity_nodes n JOIN identifier_persons p USING (node_id) WHERE n.kind = o.other_kind "
        "AND n.value = o.other_value)) FROM identity_overrides o ORDER BY o.override_id"
    ).fetchall()
    return [Override(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6], r[7], bool(r[8])) for r in rows]
