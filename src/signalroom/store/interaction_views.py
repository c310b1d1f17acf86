"""Reading interactions as :class:`InteractionView` batches for the analysis pipeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pyarrow as pa

from signalroom.pipeline.views import CallEventView, InteractionView, JourneyEvent, TurnView
from signalroom.store.warehouse import Store

# How far back the customer's self-service events are attached to an interaction.
EVENTS_BEFORE = timedelta(hours=24)

_IDENTIFIERS = ("id", "email", "phone", "handle", "account")


def _json(value: str | None) -> dict[str, Any]:
    return orjson.loads(value) if value else {}


def pending_keys(store: Store, pipeline_hash: str, *, full: bool) -> list[tuple[str, str]]:
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


def load_views(store: Store, keys: list[tuple[str, str]]) -> list[InteractionView]:
    """The interactions with these keys, with their turns, in-call events and the same customer's
    self-service events of the 24 hours before (matched on any identifier the records share)."""
    if not keys:
        return []
    con = store.connection
    wanted = pa.table({"source": [k[0] for k in keys], "id": [k[1] for k in keys]})
    con.register("wanted_views", wanted)
    try:
        base = con.execute(
            "SELECT i.source, i.id, i.channel, i.started_at, i.ended_at, i.queue, i.direction, i.language, "
            "i.agent_id, i.agent_team, i.parent_id, i.customer_name, i.resolved, i.disposition, "
            "i.transferred, i.escalated, i.attributes "
            "FROM interactions i SEMI JOIN wanted_views w ON w.source = i.source AND w.id = i.id"
        ).fetchall()
        turns: dict[tuple[str, str], list[TurnView]] = defaultdict(list)
        for source, iid, seq, speaker, text, at, offset, end in con.execute(
            "SELECT t.source, t.interaction_id, t.seq, t.speaker, t.text, t.occurred_at, t.offset_ms, t.end_ms "
            "FROM turns t SEMI JOIN wanted_views w ON w.source = t.source AND w.id = t.interaction_id "
            "ORDER BY t.source, t.interaction_id, t.seq"
        ).fetchall():
            turns[(source, iid)].append(TurnView(seq, speaker, text, at, offset, end))
        call_events: dict[tuple[str, str], list[CallEventView]] = defaultdict(list)
        for source, iid, kind, offset in con.execute(
            "SELECT c.source, c.interaction_id, c.type, c.offset_ms FROM call_events c "
            "SEMI JOIN wanted_views w ON w.source = c.source AND w.id = c.interaction_id "
            "ORDER BY c.source, c.interaction_id, c.seq"
        ).fetchall():
            call_events[(source, iid)].append(CallEventView(kind, offset))
        before = _events_before(store)
    finally:
        con.unregister("wanted_views")
    order = {key: n for n, key in enumerate(keys)}
    views = []
    for row in base:
        (
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
        ) = row
        key = (source, iid)
        views.append(
            InteractionView(
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
            )
        )
    views.sort(key=lambda v: order[(v.source, v.id)])
    return views


def _events_before(store: Store) -> dict[tuple[str, str], list[JourneyEvent]]:
    """Self-service events of the wanted interactions' customers in the window before each,
    matched on any identifier the interaction and the event share (one equi-join per kind)."""
    joins = " UNION ".join(
        "SELECT i.source, i.id, e.source AS e_source, e.id AS e_id, e.type, e.occurred_at, e.channel, "
        "e.properties FROM interactions i SEMI JOIN wanted_views w ON w.source = i.source AND w.id = i.id "
        f"JOIN events e ON e.customer_{kind} = i.customer_{kind} "
        "WHERE e.occurred_at <= i.started_at AND e.occurred_at >= i.started_at - ?::INTERVAL"
        for kind in _IDENTIFIERS
    )
    window = f"{int(EVENTS_BEFORE.total_seconds())} seconds"
    found: dict[tuple[str, str], list[JourneyEvent]] = defaultdict(list)
    for source, iid, kind, at, channel, properties in store.connection.execute(
        f"SELECT source, id, type, occurred_at, channel, properties FROM ({joins}) "
        "ORDER BY source, id, occurred_at, e_id",
        [window] * len(_IDENTIFIERS),
    ).fetchall():
        found[(source, iid)].append(JourneyEvent(kind, at, channel, _json(properties)))
    return found


def iter_view_batches(store: Store, keys: list[tuple[str, str]], batch_size: int) -> Iterator[list[InteractionView]]:
    for start in range(0, len(keys), batch_size):
        yield load_views(store, keys[start : start + batch_size])
