"""The SQL of outcome drivers (docs/drivers.md): each outcome is a flag over a unit — a customer
contact, or a self-service event — and each candidate driver a value of a family (the contact's
reason, queue, channel path, prior self-service failure, an attribute…). One query counts units and
outcomes for every value of every family (GROUPING SETS over the unit's rows); one more fetches,
for a short list of candidates, which units they hold, to tell overlapping drivers apart.

Everything reads the tables of the episode build (contacts, contact_attributes,
self_service_events), so a driver query is a scan of one narrow table. Plain SQL throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import orjson
from numpy.typing import NDArray

from signalroom.store.outcome_metrics import FilterValue, filter_conditions
from signalroom.store.warehouse import Store

Unit = Literal["contact", "event"]


@dataclass(frozen=True)
class OutcomeSql:
    name: str
    unit: Unit
    eligible: str  # which units can have the outcome
    hit: str  # the outcome
    description: str
    excludes: tuple[str, ...] = ()  # flag candidates that are the outcome itself


@dataclass(frozen=True)
class OutcomeParams:
    window_days: int = 7
    churn_days: int = 30
    contact_hours: int = 24  # self-service event → contact
    low_csat_max: int = 2
    observed_until: datetime | None = None


def _closed(column: str, seconds: int, p: OutcomeParams) -> str:
    if p.observed_until is None:
        return "FALSE"
    return f"{column} + {int(seconds)} * INTERVAL '1 second' <= TIMESTAMPTZ '{p.observed_until.isoformat()}'"


def _within(later: str, column: str, seconds: int) -> str:
    return f"coalesce({later} <= {column} + {int(seconds)} * INTERVAL '1 second', FALSE)"


def outcomes(p: OutcomeParams) -> dict[str, OutcomeSql]:
    """The outcomes, with the SQL of who is eligible and who has it (formulas: docs/drivers.md)."""
    w, c, h = int(p.window_days) * 86400, int(p.churn_days) * 86400, int(p.contact_hours) * 3600
    person = "person_id IS NOT NULL AND inbound"
    # Ending unresolved or negative is an outcome of its own and the way most of these outcomes
    # come about: as candidates they would stand in front of the reasons that cause them.
    # For the repeat outcomes, being a repeat marks the customers who contact often, not a cause.
    later = ("unresolved", "negative_end")
    repeats = (*later, "a repeat contact")
    return {
        o.name: o
        for o in (
            OutcomeSql(
                "repeat_contact", "contact", f"{person} AND {_closed('started_at', w, p)}",
                _within("next_contact_at", "started_at", w),
                f"the same customer contacts again within {p.window_days} days (any reason)", repeats,
            ),
            OutcomeSql(
                "unresolved", "contact", "resolved IS NOT NULL", "NOT resolved",
                "the contact ended unresolved (its last interaction)", ("unresolved", "negative_end"),
            ),
            OutcomeSql(
                "negative_end", "contact", "ended_negative IS NOT NULL", "ended_negative",
                "the customer ended the conversation negative", ("negative_end",),
            ),
            OutcomeSql(
                "low_csat", "contact", "csat_min IS NOT NULL", f"csat_min <= {int(p.low_csat_max)}",
                f"a CSAT answer of {p.low_csat_max} or less about the contact",
            ),
            OutcomeSql(
                "churn", "contact", f"{person} AND {_closed('started_at', c, p)}",
                _within("churn_at", "started_at", c),
                f"the customer closes an account within {p.churn_days} days", later,
            ),
            OutcomeSql(
                "transfer", "contact", "NOT self_service_only", "coalesce(transferred, FALSE)",
                "the contact was transferred (any of its interactions)", ("transferred",),
            ),
            OutcomeSql(
                "next_issue", "contact", f"topic_id IS NOT NULL AND {person} AND {_closed('started_at', w, p)}",
                _within("next_other_reason_at", "started_at", w),
                f"the customer contacts about a different reason within {p.window_days} days", repeats,
            ),
            OutcomeSql(
                "contact", "event", f"person_id IS NOT NULL AND {_closed('occurred_at', h, p)}",
                _within("next_contact_at", "occurred_at", h),
                f"a self-service event followed by a contact of the same customer within {p.contact_hours} h",
            ),
        )
    }  # fmt: skip


@dataclass(frozen=True)
class FamilySql:
    name: str
    unit: Unit
    expression: str  # the value of a unit (NULL: none) — or, for flags, unused
    flags: tuple[tuple[str, str], ...] = ()  # (value, condition): a unit may have several


def families(p: OutcomeParams) -> tuple[FamilySql, ...]:
    """The candidate families of each unit. Reasons are counted per reason (the tree of related
    reasons is scanned from these counts); attributes come from their own table."""
    w = int(p.window_days) * 86400
    return (
        FamilySql("reason", "contact", "CAST(topic_id AS VARCHAR)"),
        FamilySql("sub_reason", "contact", "CAST(sub_topic_id AS VARCHAR)"),
        FamilySql("prior_failure", "contact", "prior_failure || ' (' || coalesce(prior_failure_channel, '?') || ')'"),
        FamilySql("path", "contact", "CASE WHEN contains(path, ' → ') THEN path END"),
        FamilySql("channel", "contact", "channel"),
        FamilySql("queue", "contact", "queue"),
        FamilySql("team", "contact", "agent_team"),
        FamilySql(
            "handling", "contact", "",
            (
                ("transferred", "coalesce(transferred, FALSE)"),
                ("escalated", "coalesce(escalated, FALSE)"),
                ("unresolved", "coalesce(NOT resolved, FALSE)"),
                ("negative_end", "coalesce(ended_negative, FALSE)"),
                ("a repeat contact", f"coalesce(previous_contact_at >= started_at - {w} * INTERVAL '1 second', FALSE)"),
            ),
        ),
        FamilySql("event", "event", "type || ' (' || coalesce(channel, '?') || ')'"),
        FamilySql("event_type", "event", "type"),
        FamilySql("failed", "event", "", (("failed", "failed"),)),
    )  # fmt: skip


_RELATIONS: dict[str, str] = {"contact": "contacts", "event": "self_service_events"}
_KEYS: dict[str, tuple[str, str]] = {"contact": ("contact_source", "contact_id"), "event": ("source", "id")}


# The column of each common filter in a unit's table: the column its candidate family reads (the
# contact's channel, reason, last queue, team and agent). Self-service events have only a channel.
FILTER_COLUMNS: dict[str, dict[str, str]] = {
    "contact": {"channel": "channel", "reason": "topic_id", "queue": "queue", "team": "agent_team",
                "agent": "agent_id"},
    "event": {"channel": "channel"},
}  # fmt: skip
Filters = Mapping[str, FilterValue | None]


def filter_condition(unit: Unit, filters: Filters | None) -> str:
    """The SQL condition that a unit passes ``filters`` (TRUE without any); a filter the unit has
    no column for is a ValueError."""
    columns = FILTER_COLUMNS[unit]
    missing = [name for name, value in (filters or {}).items() if value is not None and name not in columns]
    if missing:
        raise ValueError(f"{unit}s have no {', '.join(missing)}")
    return " AND ".join(filter_conditions(filters or {}, columns)) or "TRUE"


def _scope(outcome: OutcomeSql, date_from: str | None, date_to: str | None, filters: Filters | None = None) -> str:
    parts = [f"({outcome.eligible})"]
    if date_from:
        parts.append(f"local_date >= DATE '{date_from}'")
    if date_to:
        parts.append(f"local_date <= DATE '{date_to}'")
    if filters:
        parts.append(filter_condition(outcome.unit, filters))
    return " AND ".join(parts)


@dataclass(frozen=True)
class Counts:
    family: str
    value: str
    units: int
    hits: int


def count_candidates(
    store: Store,
    outcome: OutcomeSql,
    fams: Sequence[FamilySql],
    *,
    attributes: bool = True,
    date_from: str | None = None,
    date_to: str | None = None,
    filters: Filters | None = None,
) -> tuple[int, int, list[Counts]]:
    """The eligible units that pass ``filters`` and their outcomes, and per candidate value the
    same two counts."""
    con = store.connection
    rel, scope = _RELATIONS[outcome.unit], _scope(outcome, date_from, date_to, filters)
    base = f"SELECT *, CASE WHEN {outcome.hit} THEN 1 ELSE 0 END AS hit FROM {rel} WHERE {scope}"
    total = con.execute(f"SELECT count(*), coalesce(sum(hit), 0) FROM ({base}) b").fetchall()[0]
    out: list[Counts] = []
    grouped = [f for f in fams if f.unit == outcome.unit and not f.flags]
    if grouped:
        cols = ", ".join(f"{f.expression} AS f{i}" for i, f in enumerate(grouped))
        sets = ", ".join(f"(f{i})" for i in range(len(grouped)))
        grouping = ", ".join(f"f{i}" for i in range(len(grouped)))
        values = ", ".join(f"f{i}" for i in range(len(grouped)))
        sql = (
            f"SELECT GROUPING_ID({grouping}) AS g, {values}, count(*), sum(hit) "
            f"FROM (SELECT hit, {cols} FROM ({base}) b) x GROUP BY GROUPING SETS ({sets})"
        )
        k = len(grouped)
        for row in con.execute(sql).fetchall():
            # GROUPING_ID sets a bit for every column not grouped: the one clear bit is the family.
            index = next(i for i in range(k) if not (int(row[0]) >> (k - 1 - i)) & 1)
            value = row[1 + index]
            if value is not None:
                out.append(Counts(grouped[index].name, str(value), int(row[-2]), int(row[-1])))
    for fam in (f for f in fams if f.unit == outcome.unit and f.flags):
        sums = ", ".join(f"count(*) FILTER (WHERE {cond}), sum(hit) FILTER (WHERE {cond})" for _, cond in fam.flags)
        row = con.execute(f"SELECT {sums} FROM ({base}) b").fetchall()[0]
        for i, (value, _) in enumerate(fam.flags):
            if value not in outcome.excludes:
                out.append(Counts(fam.name, value, int(row[2 * i] or 0), int(row[2 * i + 1] or 0)))
    if attributes and outcome.unit == "contact":
        sql = (
            f"SELECT a.key || ' = ' || a.value, count(*), sum(b.hit) FROM ({base}) b "
            "JOIN contact_attributes a ON a.contact_source = b.contact_source AND a.contact_id = b.contact_id "
            "GROUP BY a.key, a.value"
        )
        out.extend(Counts("attribute", str(v), int(n), int(y)) for v, n, y in con.execute(sql).fetchall())
    return int(total[0]), int(total[1]), out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def candidate_condition(family: FamilySql | None, value: str, *, attribute: bool = False) -> str:
    """The SQL condition that a unit has a candidate value."""
    quoted = _literal(value)
    if attribute:
        key, _, val = value.partition(" = ")
        return (
            "EXISTS (SELECT 1 FROM contact_attributes a WHERE a.contact_source = b.contact_source "
            f"AND a.contact_id = b.contact_id AND a.key = {_literal(key)} AND a.value = {_literal(val)})"
        )
    assert family is not None
    if family.flags:
        return dict(family.flags)[value]
    return f"coalesce(({family.expression}) = {quoted}, FALSE)"


MAX_OVERLAP_CANDIDATES = 62  # one bit each in a BIGINT


def overlaps(
    store: Store,
    outcome: OutcomeSql,
    conditions: Sequence[str],
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    filters: Filters | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Which combinations of ``conditions`` the eligible units meet — a bit per condition — with
    how many units and outcomes each combination has: enough to count every pairwise overlap of
    candidate drivers without moving a row per unit."""
    if len(conditions) > MAX_OVERLAP_CANDIDATES:
        raise ValueError(f"at most {MAX_OVERLAP_CANDIDATES} candidates at once")
    rel, scope = _RELATIONS[outcome.unit], _scope(outcome, date_from, date_to, filters)
    bits = " + ".join(f"(CASE WHEN {c} THEN {1 << i} ELSE 0 END)" for i, c in enumerate(conditions)) or "0"
    sql = (
        f"SELECT CAST({bits} AS BIGINT) AS mask, count(*), sum(CASE WHEN {outcome.hit} THEN 1 ELSE 0 END) "
        f"FROM {rel} b WHERE {scope} GROUP BY mask"
    )
    rows = store.connection.execute(sql).fetchall()
    masks = np.array([r[0] for r in rows], dtype=np.int64)
    return masks, np.array([r[1] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float)


def examples(
    store: Store,
    outcome: OutcomeSql,
    conditions: Sequence[str],
    limit: int,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    filters: Filters | None = None,
) -> list[list[str]]:
    """Up to ``limit`` units (source/id, in id order) with the outcome, for each condition."""
    if limit <= 0 or not conditions:
        return [[] for _ in conditions]
    rel, scope = _RELATIONS[outcome.unit], _scope(outcome, date_from, date_to, filters)
    src, ident = _KEYS[outcome.unit]
    parts = [
        f"(SELECT {i} AS k, {src} AS s, {ident} AS i FROM {rel} b WHERE {scope} AND ({outcome.hit}) AND ({c}) "
        f"ORDER BY {src}, {ident} LIMIT {int(limit)})"
        for i, c in enumerate(conditions)
    ]
    found: list[list[str]] = [[] for _ in conditions]
    for k, source, ident_value in store.connection.execute(" UNION ALL ".join(parts)).fetchall():
        found[int(k)].append(f"{source}/{ident_value}")
    return [sorted(f) for f in found]


def reason_tree_inputs(store: Store) -> tuple[dict[int, str], dict[int, Any], dict[int, int]] | None:
    """Names, encoded centroids and sizes of the reasons of the discovered model most contacts were
    assigned with (None: reasons come from a taxonomy, or none were assigned)."""
    rows = store.connection.execute(
        "SELECT model_version, count(*) FROM interaction_reasons WHERE method = 'discovered' "
        "GROUP BY model_version ORDER BY 2 DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    state = store.connection.execute("SELECT state FROM reason_models WHERE version = ?", [rows[0][0]]).fetchall()
    if not state:
        return None
    topics: list[dict[str, Any]] = orjson.loads(state[0][0]).get("topics", [])
    names = {int(t["id"]): str(t["name"]) for t in topics}
    centroids = {int(t["id"]): t["centroid"] for t in topics}
    sizes = {int(t["id"]): int(t.get("size", 0)) for t in topics}
    return names, centroids, sizes
