"""Storage of automated QA (tables of ``sql/0009_qa.sql``): the scorecards in use, which
interactions need scoring, what scoring reads of them (in batches, as Arrow), and the results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from signalroom.store.warehouse import Store

Key = tuple[str, str]


@dataclass(frozen=True)
class StoredScorecard:
    scorecard_id: str
    version: int
    content_hash: str
    definition: dict[str, Any]


def scorecards_in_use(store: Store) -> list[StoredScorecard]:
    """The newest version of every scorecard id that is not removed."""
    rows = store.connection.execute(
        "SELECT scorecard_id, version, content_hash, definition FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY scorecard_id ORDER BY loaded_at DESC) AS n FROM qa_scorecards"
        ") WHERE n = 1 AND removed_at IS NULL ORDER BY scorecard_id"
    ).fetchall()
    return [StoredScorecard(r[0], int(r[1]), r[2], orjson.loads(r[3])) for r in rows]


def save_scorecard(store: Store, scorecard_id: str, version: int, content_hash: str, name: str,
                   path: str | None, definition: dict[str, Any]) -> bool:  # fmt: skip
    """Keep this scorecard as the one in use; False when it is already (same content)."""
    current = {s.scorecard_id: s.content_hash for s in scorecards_in_use(store)}
    if current.get(scorecard_id) == content_hash:
        return False
    store.connection.execute(
        "INSERT INTO qa_scorecards VALUES (?, ?, ?, ?, ?, ?, now(), NULL)",
        [scorecard_id, version, content_hash, name, path, orjson.dumps(definition).decode()],
    )
    return True


def remove_scorecard(store: Store, scorecard_id: str) -> bool:
    with store.transaction():
        done = store.connection.execute(
            "UPDATE qa_scorecards SET removed_at = now() WHERE scorecard_id = ? AND removed_at IS NULL RETURNING 1",
            [scorecard_id],
        ).fetchall()
        store.connection.execute("DELETE FROM qa_answers WHERE scorecard_id = ?", [scorecard_id])
        store.connection.execute("DELETE FROM qa_results WHERE scorecard_id = ?", [scorecard_id])
    return bool(done)


# What an interaction's score depends on besides the scorecard: its content and its analysis.
_INPUT_HASH = "a.content_hash || ':' || a.pipeline_hash"


def to_score(store: Store, scorecards: dict[str, str], full: bool = False) -> list[Key]:
    """Analysed interactions without a current result for every scorecard (``scorecards``: id →
    content hash): new, changed or re-analysed, or scored with another version of a scorecard."""
    con = store.connection
    if full or not scorecards:
        everything = con.execute("SELECT source, id FROM interaction_analysis ORDER BY source, id").fetchall()
        return [(str(s), str(i)) for s, i in everything]
    values = ", ".join(f"('{k}', '{h}')" for k, h in scorecards.items() if "'" not in k + h)
    stale = con.execute(
        f"SELECT a.source, a.id FROM interaction_analysis a CROSS JOIN (VALUES {values}) c(scorecard_id, hash) "
        "LEFT JOIN qa_results r ON r.source = a.source AND r.id = a.id AND r.scorecard_id = c.scorecard_id "
        f"AND r.scorecard_hash = c.hash AND r.input_hash = {_INPUT_HASH} "
        "WHERE r.source IS NULL GROUP BY a.source, a.id ORDER BY a.source, a.id"
    ).fetchall()
    return [(str(s), str(i)) for s, i in stale]


def _keys_table(store: Store, keys: Sequence[Key]) -> None:
    table = pa.table({"source": [k[0] for k in keys], "id": [k[1] for k in keys]})
    store.connection.register("qa_batch_keys", table)


@dataclass(frozen=True)
class InputRows:
    """One batch's inputs as Arrow tables (cheap to hand to a worker process): interactions, and
    their turns in order."""

    interactions: pa.Table
    turns: pa.Table


def fetch_inputs(store: Store, keys: Sequence[Key]) -> InputRows:
    con = store.connection
    _keys_table(store, keys)
    try:
        interactions = con.sql(
            "SELECT i.source, i.id, i.channel, i.queue, i.direction, i.parent_id IS NOT NULL AS transferred_in, "
            f"{_INPUT_HASH} AS input_hash, ir.topic_id, m.result AS metrics, s.result AS sentiment "
            "FROM qa_batch_keys k JOIN interactions i ON i.source = k.source AND i.id = k.id "
            "JOIN interaction_analysis a ON a.source = i.source AND a.id = i.id "
            "LEFT JOIN interaction_reasons ir ON ir.source = i.source AND ir.id = i.id "
            "LEFT JOIN stage_results m ON m.source = i.source AND m.id = i.id AND m.stage = 'metrics' "
            "LEFT JOIN stage_results s ON s.source = i.source AND s.id = i.id AND s.stage = 'sentiment' "
            "ORDER BY i.source, i.id"
        ).to_arrow_table()
        # The redacted text where the analysis redacted it (turns redacted at ingest are stored so),
        # and where its marks are: what sensitive-data criteria read.
        turns = con.sql(
            "SELECT t.source, t.interaction_id AS id, t.seq, t.speaker, coalesce(rt.text, t.text) AS text, "
            "t.offset_ms, CAST(coalesce(rt.spans, json_extract(t.attributes, '$.redactions')) AS VARCHAR) AS marks "
            "FROM qa_batch_keys k JOIN turns t ON t.source = k.source AND t.interaction_id = k.id "
            "LEFT JOIN redacted_turns rt ON rt.source = t.source AND rt.interaction_id = t.interaction_id "
            "AND rt.seq = t.seq ORDER BY t.source, t.interaction_id, t.seq"
        ).to_arrow_table()
    finally:
        con.unregister("qa_batch_keys")
    return InputRows(interactions, turns)


def write_results(store: Store, keys: Sequence[Key], results: pa.Table, answers: pa.Table) -> None:
    """Replace the results and answers of these interactions (for the scorecards in ``results``)."""
    con = store.connection
    with store.transaction():
        _keys_table(store, keys)
        try:
            for table in ("qa_answers", "qa_results"):
                con.execute(f"DELETE FROM {table} WHERE (source, id) IN (SELECT source, id FROM qa_batch_keys)")
        finally:
            con.unregister("qa_batch_keys")
        con.register("qa_new_results", results)
        con.register("qa_new_answers", answers)
        try:
            con.execute("INSERT INTO qa_results SELECT *, now() FROM qa_new_results")
            con.execute("INSERT INTO qa_answers SELECT * FROM qa_new_answers")
        finally:
            con.unregister("qa_new_results")
            con.unregister("qa_new_answers")


def result_rows(store: Store, source: str, interaction_id: str) -> Iterator[dict[str, Any]]:
    """An interaction's results with their answers, for `signalroom qa show`."""
    con = store.connection
    cursor = con.execute(
        "SELECT scorecard_id, applies, earned, potential, score, auto_failed, scored_at FROM qa_results "
        "WHERE source = ? AND id = ? ORDER BY scorecard_id",
        [source, interaction_id],
    )
    names = [d[0] for d in cursor.description]
    results = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    for result in results:
        rows = con.execute(
            "SELECT criterion_id, value, confidence, explanation, evidence FROM qa_answers "
            "WHERE source = ? AND id = ? AND scorecard_id = ?",
            [source, interaction_id, result["scorecard_id"]],
        ).fetchall()
        result["answers"] = [
            {"criterion_id": c, "value": v, "confidence": conf, "explanation": e, "evidence": orjson.loads(ev or "[]")}
            for c, v, conf, e, ev in rows
        ]
        yield result


def agent_answer_counts(store: Store) -> list[tuple[str, str | None, str, str, int | None, int, int]]:
    """Per agent, criterion and contact reason: (agent, team, scorecard, criterion, reason, applicable
    answers, failures) — what agent consistency compares with peers handling the same reasons."""
    rows = store.connection.execute(
        "SELECT i.agent_id, any_value(i.agent_team), a.scorecard_id, a.criterion_id, ir.topic_id, "
        "count(*), count(*) FILTER (WHERE a.value = 'fail') "
        "FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id "
        "LEFT JOIN interaction_reasons ir ON ir.source = a.source AND ir.id = a.id "
        "WHERE i.agent_id IS NOT NULL AND a.value IN ('pass', 'fail') "
        "GROUP BY i.agent_id, a.scorecard_id, a.criterion_id, ir.topic_id"
    ).fetchall()
    return [(str(r[0]), r[1], str(r[2]), str(r[3]), r[4], int(r[5]), int(r[6])) for r in rows]


def agent_examples(store: Store, agent_id: str, scorecard_id: str, criterion_id: str, value: str,
                   limit: int = 3) -> list[str]:  # fmt: skip
    rows = store.connection.execute(
        "SELECT a.source || '/' || a.id FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id "
        "WHERE i.agent_id = ? AND a.scorecard_id = ? AND a.criterion_id = ? AND a.value = ? "
        "ORDER BY i.started_at LIMIT ?",
        [agent_id, scorecard_id, criterion_id, value, limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


def agent_scored(store: Store, agent_id: str) -> bool:
    rows = store.connection.execute(
        "SELECT 1 FROM qa_results r JOIN interactions i ON i.source = r.source AND i.id = r.id "
        "WHERE i.agent_id = ? LIMIT 1",
        [agent_id],
    ).fetchall()
    return bool(rows)


_ANSWER = (
    "SELECT a.source, a.id, i.started_at, ir.topic_id, a.value, a.explanation, a.evidence, i.agent_id "
    "FROM qa_answers a JOIN interactions i ON i.source = a.source AND i.id = a.id "
    "LEFT JOIN interaction_reasons ir ON ir.source = a.source AND ir.id = a.id "
)


def _answer_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {"source": s, "id": i, "started_at": at, "topic_id": t, "value": v, "explanation": e,
         "evidence": orjson.loads(ev or "[]"), "agent_id": ag}
        for s, i, at, t, v, e, ev, ag in rows
    ]  # fmt: skip


def agent_answers(store: Store, agent_id: str, scorecard_id: str, criterion_id: str, value: str,
                  limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """The agent's most recent answers of this value, with their evidence."""
    rows = store.connection.execute(
        _ANSWER + "WHERE i.agent_id = ? AND a.scorecard_id = ? AND a.criterion_id = ? AND a.value = ? "
        "ORDER BY i.started_at DESC LIMIT ?",
        [agent_id, scorecard_id, criterion_id, value, limit],
    ).fetchall()
    return _answer_dicts(rows)


def peer_example(store: Store, agent_id: str, scorecard_id: str, criterion_id: str, topic_id: int | None,
                 prefer: str | None = None) -> dict[str, Any] | None:  # fmt: skip
    """A passing answer by another agent, on the same reason when there is one (``prefer``'s first)."""
    rows = store.connection.execute(
        _ANSWER + "WHERE i.agent_id <> ? AND a.scorecard_id = ? AND a.criterion_id = ? AND a.value = 'pass' "
        "AND a.evidence IS NOT NULL "
        "ORDER BY (ir.topic_id IS NOT DISTINCT FROM ?) DESC, (i.agent_id = ?) DESC, i.started_at DESC LIMIT 1",
        [agent_id, scorecard_id, criterion_id, topic_id, prefer],
    ).fetchall()
    found = _answer_dicts(rows)
    return found[0] if found else None
