"""What the command centre's analytics read beyond the metrics and drivers layers: the interactions
behind one driver (the drill-down from a bar of the drivers page), limited to those a user may see.

The driver's condition and the outcome's flag are SQL built by ``signalroom.store.drivers`` from
numbers and quoted values; everything a user sends (dates, teams, agent, paging) is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from signalroom.auth.roles import Scope
from signalroom.store.drivers import OutcomeSql
from signalroom.store.scope_sql import scope_condition
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class DrillRow:
    kind: str  # "interaction", or "event" for the self-service events of the event outcomes
    source: str
    id: str
    started_at: datetime
    channel: str | None
    agent_id: str | None
    agent_team: str | None
    topic_id: int | None
    contact: str  # the contact (or event) the row belongs to, as source/id
    outcome: bool


def _period(column: str, date_from: date | None, date_to: date | None) -> tuple[list[str], list[Any]]:
    where, params = [], list[Any]()
    if date_from is not None:
        where.append(f"{column} >= ?")
        params.append(date_from)
    if date_to is not None:
        where.append(f"{column} <= ?")
        params.append(date_to)
    return where, params


def driver_rows(
    store: Store,
    outcome: OutcomeSql,
    condition: str,
    scope: Scope,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DrillRow], int]:
    """The interactions of the eligible units that have the driver (those with the outcome first,
    then the newest), and how many there are in all. For the event outcomes the units are
    self-service events, which no agent handled: only a reader who sees everything gets them."""
    period, params = _period("b.local_date", date_from, date_to)
    units = " AND ".join([f"({outcome.eligible})", f"({condition})", *period])
    hit = f"CASE WHEN {outcome.hit} THEN TRUE ELSE FALSE END"
    if outcome.unit == "event":
        if not scope.everything:
            return [], 0
        sql = (
            f"SELECT 'event', b.source, b.id, b.occurred_at, b.channel, NULL, NULL, NULL, "
            f"b.source || '/' || b.id, {hit}, count(*) OVER () "
            f"FROM self_service_events b WHERE {units} "
            "ORDER BY 10 DESC, b.occurred_at DESC, b.source, b.id LIMIT ? OFFSET ?"
        )
        rows = store.connection.execute(sql, [*params, int(limit), int(offset)]).fetchall()
    else:
        seen, seen_params = scope_condition(scope, team_column="e.agent_team", agent_column="e.agent_id")
        sql = (
            f"WITH u AS (SELECT b.contact_source, b.contact_id, {hit} AS hit FROM contacts b WHERE {units}) "
            "SELECT 'interaction', e.source, e.id, i.started_at, e.channel, e.agent_id, e.agent_team, e.topic_id, "
            "u.contact_source || '/' || u.contact_id, u.hit, count(*) OVER () "
            "FROM u JOIN episode_interactions e ON e.contact_source = u.contact_source AND e.contact_id = u.contact_id "
            "JOIN interactions i ON i.source = e.source AND i.id = e.id "
            f"WHERE {seen} ORDER BY u.hit DESC, i.started_at DESC, e.source, e.id LIMIT ? OFFSET ?"
        )
        rows = store.connection.execute(sql, [*params, *seen_params, int(limit), int(offset)]).fetchall()
    total = int(rows[0][-1]) if rows else _count_past_end(store, outcome, units, params, scope)
    found = [
        DrillRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            r[3],
            r[4],
            r[5],
            r[6],
            None if r[7] is None else int(r[7]),
            str(r[8]),
            bool(r[9]),
        )
        for r in rows
    ]
    return found, total


def _count_past_end(store: Store, outcome: OutcomeSql, units: str, params: list[Any], scope: Scope) -> int:
    """The total when the page asked for starts past the last row (the window count saw no row)."""
    if outcome.unit == "event":
        sql = f"SELECT count(*) FROM self_service_events b WHERE {units}"
        return int(store.connection.execute(sql, params).fetchall()[0][0])
    seen, seen_params = scope_condition(scope, team_column="e.agent_team", agent_column="e.agent_id")
    sql = (
        f"WITH u AS (SELECT b.contact_source, b.contact_id FROM contacts b WHERE {units}) "
        "SELECT count(*) FROM u JOIN episode_interactions e ON e.contact_source = u.contact_source "
        f"AND e.contact_id = u.contact_id WHERE {seen}"
    )
    return int(store.connection.execute(sql, [*params, *seen_params]).fetchall()[0][0])


def data_days(store: Store) -> tuple[date, date] | None:
    """The first and last local day of the customers' contacts (None before an episode build)."""
    row = store.connection.execute("SELECT min(local_date), max(local_date) FROM contacts").fetchall()[0]
    if row[0] is None:
        return None
    return row[0], row[1]
