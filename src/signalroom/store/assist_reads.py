"""What real-time assist learns from the warehouse (docs/assist.md): each analysed interaction's
opening words with its contact reason, and the conversations that ended resolved."""

from __future__ import annotations

from typing import Any

import orjson

from signalroom.store.warehouse import Store

# The customer's first turns are what a live session has seen when the reason matters most.
OPENING_TURNS = 3


def reason_examples(store: Store, *, limit: int) -> list[tuple[str, int]]:
    """(the customer's opening words, reason id) of the latest ``limit`` interactions with a
    reason that explains them."""
    rows = store.connection.execute(
        """
        WITH picked AS (
            SELECT r.source, r.id, r.topic_id, i.started_at
            FROM interaction_reasons r JOIN interactions i USING (source, id)
            WHERE r.topic_id IS NOT NULL AND NOT coalesce(r.unexplained, false)
            ORDER BY i.started_at DESC, r.source, r.id
            LIMIT ?
        ), opening AS (
            SELECT t.source, t.interaction_id AS id, t.seq, t.text,
                   row_number() OVER (PARTITION BY t.source, t.interaction_id ORDER BY t.seq) AS n
            FROM turns t JOIN picked p ON t.source = p.source AND t.interaction_id = p.id
            WHERE t.speaker = 'customer'
        )
        SELECT string_agg(o.text, ' ' ORDER BY o.seq), p.topic_id
        FROM picked p JOIN opening o USING (source, id)
        WHERE o.n <= ?
        GROUP BY p.source, p.id, p.topic_id, p.started_at
        ORDER BY p.started_at, p.source, p.id
        """,
        [limit, OPENING_TURNS],
    ).fetchall()
    return [(str(text), int(topic)) for text, topic in rows if text]


def resolved_conversations(store: Store, *, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` conversations that ended resolved (the situation's ending) and were not
    followed by another contact about it (their episode, when built, is resolved): each with its
    turns, reason and queue, and the situation's evidence of how it ended."""
    rows = store.connection.execute(
        """
        WITH ended AS (
            SELECT s.source, s.id, s.result
            FROM stage_results s
            WHERE s.stage = 'situation' AND json_extract_string(s.result, '$.ended.status') = 'resolved'
        ), picked AS (
            SELECT e.source, e.id, e.result, i.started_at, i.queue, r.topic_id
            FROM ended e
            JOIN interactions i USING (source, id)
            LEFT JOIN interaction_reasons r USING (source, id)
            LEFT JOIN episode_interactions ei USING (source, id)
            LEFT JOIN episodes ep ON ep.episode_id = ei.episode_id
            WHERE coalesce(ep.resolved, true) AND i.turn_count > 1
            ORDER BY i.started_at DESC, e.source, e.id
            LIMIT ?
        )
        SELECT p.source, p.id, p.result, p.queue, p.topic_id,
               list(struct_pack(seq := t.seq, speaker := t.speaker, text := t.text) ORDER BY t.seq)
        FROM picked p JOIN turns t ON t.source = p.source AND t.interaction_id = p.id
        GROUP BY p.source, p.id, p.result, p.queue, p.topic_id, p.started_at
        ORDER BY p.started_at, p.source, p.id
        """,
        [limit],
    ).fetchall()
    return [
        {
            "source": source,
            "id": id_,
            "ended": orjson.loads(result).get("ended") or {},
            "queue": queue,
            "topic_id": None if topic is None else int(topic),
            "turns": turns,
        }
        for source, id_, result, queue, topic, turns in rows
    ]


def interaction_turns(store: Store, source: str, interaction_id: str) -> list[dict[str, Any]]:
    """One stored interaction's turns in order: speaker, text, when."""
    rows = store.connection.execute(
        "SELECT speaker, text, occurred_at FROM turns WHERE source = ? AND interaction_id = ? ORDER BY seq",
        [source, interaction_id],
    ).fetchall()
    return [{"speaker": speaker, "text": text, "at": at} for speaker, text, at in rows]


def latest_interaction_of(store: Store, person_id: int) -> tuple[str, str] | None:
    """The person's latest stored interaction (source, id)."""
    row = store.connection.execute(
        """
        SELECT i.source, i.id FROM record_persons p JOIN interactions i ON i.source = p.source AND i.id = p.record_id
        WHERE p.record_kind = 'interaction' AND p.person_id = ?
        ORDER BY i.started_at DESC, i.source, i.id LIMIT 1
        """,
        [person_id],
    ).fetchall()
    return (str(row[0][0]), str(row[0][1])) if row else None
