"""Lists of interactions for the command centre: filtered, scoped to who asks, paged, exported;
an interaction's owner and disputes; people found by name. Plain SQL; typed or plain results."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from signalroom.auth.roles import Scope
from signalroom.store import analysis_reads
from signalroom.store.analysis_reads import topic_names
from signalroom.store.common_filters import Filters
from signalroom.store.scope_sql import scope_condition
from signalroom.store.warehouse import Store

Key = tuple[str, str]
EXPORT_FORMATS = ("jsonl", "csv")


@dataclass(frozen=True, kw_only=True)
class InteractionQuery(Filters):
    """Which interactions: the common filters and the asker's scope."""

    scope: Scope = field(default_factory=Scope)


def _where(q: InteractionQuery) -> tuple[str, list[Any]]:
    clauses, params = q.conditions()
    if not q.scope.everything:
        visible, visible_params = scope_condition(q.scope)
        clauses.append(visible)
        params.extend(visible_params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


_FROM = "FROM interactions i LEFT JOIN interaction_reasons r ON r.source = i.source AND r.id = i.id"


def _keys_table(keys: list[Any]) -> pa.Table:
    return pa.table(
        {"source": pa.array([k[0] for k in keys], pa.string()), "id": pa.array([k[1] for k in keys], pa.string())}
    )


def _labels(store: Store, known: dict[tuple[int, str], dict[int, str]], model: Any, method: Any) -> dict[int, str]:
    """The reason labels of a model, read once per call (reading them parses the model)."""
    key = (int(model), str(method))
    if key not in known:
        known[key] = topic_names(store, *key)
    return known[key]


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def list_interactions(
    store: Store, q: InteractionQuery, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The newest interactions first, each with its reason's label and sentiment, and how many match."""
    where, params = _where(q)
    con = store.connection
    total = count_interactions(store, q)
    rows = _dicts(
        con.execute(
            "SELECT i.source, i.id, i.channel, i.started_at, i.ended_at, i.queue, i.direction, i.agent_id, "
            "i.agent_name, i.agent_team, i.turn_count, i.resolved, i.disposition, r.model_version, r.method, "
            "r.topic_id, json_extract_string(s.result, '$.label') AS sentiment, "
            f"(SELECT avg(q.score) FROM qa_results q WHERE q.source = i.source AND q.id = i.id "
            f"AND q.applies AND q.score IS NOT NULL) AS qa_score {_FROM} "
            "LEFT JOIN stage_results s ON s.source = i.source AND s.id = i.id AND s.stage = 'sentiment'"
            f"{where} ORDER BY i.started_at DESC, i.source, i.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    labels: dict[tuple[int, str], dict[int, str]] = {}
    for row in rows:
        model, method, topic = row.pop("model_version"), row.pop("method"), row.pop("topic_id")
        row["reason"] = None
        if model is not None and topic is not None:
            names = _labels(store, labels, model, method)
            row["reason"] = {"topic_id": int(topic), "label": names.get(int(topic), f"reason {topic}")}
        if row["qa_score"] is not None:
            row["qa_score"] = round(float(row["qa_score"]), 4)
    return rows, total


def count_interactions(store: Store, q: InteractionQuery) -> int:
    where, params = _where(q)
    return int(store.connection.execute(f"SELECT count(*) {_FROM}{where}", params).fetchall()[0][0])


def export_interactions(store: Store, q: InteractionQuery, out: Path, fmt: str) -> int:
    """Write the matching interactions with their derived fields (as `signalroom export`, one JSON
    column per stage) to ``out``; how many were written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    where, params = _where(q)
    # COPY takes no parameters: the matching keys go through a registered table instead.
    keys = store.connection.execute(f"SELECT i.source, i.id {_FROM}{where}", params).fetchall()
    store.connection.register("export_keys", _keys_table(keys))
    try:
        return analysis_reads.export_interactions(store, out, fmt, within="export_keys")
    finally:
        store.connection.unregister("export_keys")


def interaction_owner(store: Store, source: str, interaction_id: str) -> tuple[str | None, str | None] | None:
    """(agent id, team) of an interaction; None when there is no such interaction."""
    rows = store.connection.execute(
        "SELECT agent_id, agent_team FROM interactions WHERE source = ? AND id = ?", [source, interaction_id]
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def interaction_owners(store: Store, keys: Iterable[Key]) -> dict[Key, tuple[str | None, str | None]]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    con = store.connection
    con.register("owner_keys", _keys_table(wanted))
    try:
        rows = con.execute(
            "SELECT i.source, i.id, i.agent_id, i.agent_team FROM interactions i "
            "SEMI JOIN owner_keys k ON k.source = i.source AND k.id = i.id"
        ).fetchall()
    finally:
        con.unregister("owner_keys")
    return {(s, i): (a, t) for s, i, a, t in rows}


def interaction_disputes(store: Store, source: str, interaction_id: str) -> list[dict[str, Any]]:
    """The QA disputes raised on an interaction's answers, oldest first."""
    return _dicts(
        store.connection.execute(
            "SELECT dispute_id, scorecard_id, criterion_id, status, original_value, corrected_value, raised_by, "
            "raised_at, comment, reviewer, review_comment, reviewed_at FROM qa_disputes "
            "WHERE source = ? AND id = ? ORDER BY dispute_id",
            [source, interaction_id],
        )
    )


def people_named(store: Store, text: str, limit: int = 20) -> list[int]:
    """People whose profile or records carry a name containing ``text`` (any case)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = store.connection.execute(
        "SELECT person_id FROM (SELECT person_id FROM persons WHERE name ILIKE ? ESCAPE '\\' "
        "UNION SELECT r.person_id FROM record_persons r JOIN interactions i ON i.source = r.source "
        "AND i.id = r.record_id WHERE r.record_kind = 'interaction' AND i.customer_name ILIKE ? ESCAPE '\\') "
        "ORDER BY person_id LIMIT ?",
        [pattern, pattern, limit],
    ).fetchall()
    return [int(r[0]) for r in rows]


def filter_options(store: Store, q: InteractionQuery) -> dict[str, list[Any]]:
    """What the filters can choose among the interactions in scope: channels, queues, teams,
    agents and reasons (id and label)."""
    where, params = _where(InteractionQuery(scope=q.scope))
    con = store.connection
    options: dict[str, list[Any]] = {}
    for name, column in (("channels", "i.channel"), ("queues", "i.queue"), ("teams", "i.agent_team"),
                         ("agents", "i.agent_id")):  # fmt: skip
        rows = con.execute(
            f"SELECT DISTINCT {column} {_FROM}{where}{' AND' if where else ' WHERE'} {column} IS NOT NULL ORDER BY 1",
            params,
        ).fetchall()
        options[name] = [r[0] for r in rows]
    reasons = con.execute(
        f"SELECT DISTINCT r.model_version, r.method, r.topic_id {_FROM}{where}"
        f"{' AND' if where else ' WHERE'} r.topic_id IS NOT NULL ORDER BY 3",
        params,
    ).fetchall()
    labels: dict[tuple[int, str], dict[int, str]] = {}
    options["reasons"] = []
    for model, method, topic in reasons:
        names = _labels(store, labels, model, method)
        options["reasons"].append({"topic_id": int(topic), "label": names.get(int(topic), f"reason {topic}")})
    return options
