"""Reading interactions as :class:`InteractionView` batches for the analysis pipeline.

Two halves, so the expensive one can run in a worker process: :func:`fetch_view_rows` is the SQL
(run where the warehouse is open) and returns Arrow tables; :func:`build_views` turns them into
views without touching the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pyarrow as pa

from signalroom.pipeline.views import CallEventView, InteractionView, JourneyEvent, TurnView
from signalroom.store.warehouse import Store

# How far back the customer's self-service events are attached to an interaction.
EVENTS_BEFORE = timedelta(hours=24)

_IDENTIFIERS = ("id", "email", "phone", "handle", "account")

Key = tuple[str, str]


def _json(value: str | None) -> dict[str, Any]:
    return orjson.loads(value) if value else {}


def pending_keys(store: Store, pipeline_hash: str, *, full: bool) -> list[Key]:
    """Interactions to analyse: all with ``full``, else those new, changed since their analysis,
    or analysed by a pipeline with other stages or parameters."""
    where = "" if full else ("WHERE a.id IS NULL OR a.content_hash <> i.content_hash OR a.pipeline_hash <> ?")
    params = [] if full else [pipeline_hash]
    rows = store.connection.execute(
        "SELECT i.source, i.id FROM interactions i LEFT JOIN interaction_analysis a "
        f"ON a.source = i.source AND a.id = i.id {where} ORDER BY i.started_at, i.source, i.id",
        params,
    ).fetchall()
    return [(str(s), str(i)) for s, i in rows]


@dataclass
class ViewRows:
    """The rows behind a batch of views, as Arrow tables (cheap to send to another process)."""

    keys: list[Key]
    interactions: pa.Table
    turns: pa.Table
    call_events: pa.Table
    events_before: pa.Table


def fetch_view_rows(store: Store, keys: list[Key]) -> ViewRows:
    """The interactions with these keys, their turns, in-call events and the same customer's
    self-service events of the 24 hours before (matched on any identifier the records share)."""
    con = store.connection
    con.register("wanted_views", pa.table({"source": [k[0] for k in keys], "id": [k[1] for k in keys]}))
    try:
        interactions = _arrow(
            store,
            "SELECT i.source, i.id, i.channel, i.started_at, i.ended_at, i.queue, i.direction, i.language, "
            "i.agent_id, i.agent_team, i.parent_id, i.customer_name, i.resolved, i.disposition, "
            "i.transferred, i.escalated, i.attributes::VARCHAR AS attributes, l.turns_redacted "
            "FROM interactions i SEMI JOIN wanted_views w ON w.source = i.source AND w.id = i.id "
            "JOIN loads l ON l.load_id = i.load_id",
        )
        turns = _arrow(
            store,
            "SELECT t.source, t.interaction_id, t.seq, t.speaker, t.text, t.occurred_at, t.offset_ms, t.end_ms "
            "FROM turns t SEMI JOIN wanted_views w ON w.source = t.source AND w.id = t.interaction_id "
            "ORDER BY t.source, t.interaction_id, t.seq",
        )
        call_events = _arrow(
            store,
            "SELECT c.source, c.interaction_id, c.type, c.offset_ms FROM call_events c "
            "SEMI JOIN wanted_views w ON w.source = c.source AND w.id = c.interaction_id "
            "ORDER BY c.source, c.interaction_id, c.seq",
        )
        joins = " UNION ".join(
            "SELECT i.source, i.id, e.source AS e_source, e.id AS e_id, e.type, e.occurred_at, e.channel, "
            "e.properties FROM interactions i SEMI JOIN wanted_views w ON w.source = i.source AND w.id = i.id "
            f"JOIN events e ON e.customer_{kind} = i.customer_{kind} "
            "WHERE e.occurred_at <= i.started_at AND e.occurred_at >= i.started_at - ?::INTERVAL"
            for kind in _IDENTIFIERS
        )
        window = f"{int(EVENTS_BEFORE.total_seconds())} seconds"
        events_before = _arrow(
            store,
            f"SELECT source, id, type, occurred_at, channel, properties::VARCHAR AS properties FROM ({joins}) "
            "ORDER BY source, id, occurred_at, e_id",
            [window] * len(_IDENTIFIERS),
        )
    finally:
        con.unregister("wanted_views")
    return ViewRows(keys, interactions, turns, call_events, events_before)


def _arrow(store: Store, query: str, params: list[Any] | None = None) -> pa.Table:
    return store.connection.sql(query, params=params).to_arrow_table()


def _columns(table: pa.Table) -> list[list[Any]]:
    return [column.to_pylist() for column in table.columns]


def build_views(rows: ViewRows) -> list[InteractionView]:
    """The views, in the order of ``rows.keys``."""
    turns: dict[Key, list[TurnView]] = defaultdict(list)
    for source, iid, seq, speaker, text, at, offset, end in zip(*_columns(rows.turns), strict=True):
        turns[(source, iid)].append(TurnView(seq, speaker, text, at, offset, end))
    call_events: dict[Key, list[CallEventView]] = defaultdict(list)
    for source, iid, kind, offset in zip(*_columns(rows.call_events), strict=True):
        call_events[(source, iid)].append(CallEventView(kind, offset))
    before: dict[Key, list[JourneyEvent]] = defaultdict(list)
    for source, iid, kind, at, channel, properties in zip(*_columns(rows.events_before), strict=True):
        before[(source, iid)].append(JourneyEvent(kind, at, channel, _json(properties)))
    found: dict[Key, InteractionView] = {}
    for (
        source,
        iid,
        channel,
        started,
        ended,
        queue,
        direction,
        language,
        agent_id,
        agent_team,
        parent_id,
        name,
        resolved,
        disposition,
        transferred,
        escalated,
        attributes,
        redacted_at_ingest,
    ) in zip(*_columns(rows.interactions), strict=True):
        key = (source, iid)
        found[key] = InteractionView(
            source=source,
            id=iid,
            channel=channel,
            started_at=started,
            ended_at=ended,
            turns=tuple(turns.get(key, ())),
            events_in_call=tuple(call_events.get(key, ())),
            queue=queue,
            direction=direction,
            language=language,
            agent_id=agent_id,
            agent_team=agent_team,
            parent_id=parent_id,
            customer_name=name,
            resolved=resolved,
            disposition=disposition,
            transferred=transferred,
            escalated=escalated,
            attributes=_json(attributes),
            events_before=tuple(before.get(key, ())),
            redacted_at_ingest=bool(redacted_at_ingest),
        )
    return [found[key] for key in rows.keys if key in found]
