"""Reading analysis results: one interaction in full, runs, and exports with every derived field."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from signalroom.store.taxonomies import taxonomy_state
from signalroom.store.warehouse import Store

EXPORT_FORMATS = ("parquet", "jsonl", "csv")
# A seeded taxonomy's reason ids start here (as signalroom.pipeline.reasons.taxonomy.TAXONOMY_ID_BASE,
# in the same order: reasons in the file's order, each followed by its children).
TAXONOMY_ID_BASE = 100_000


def _json(value: str | None) -> Any:
    return orjson.loads(value) if value else None


@dataclass(frozen=True)
class TurnDetail:
    seq: int
    speaker: str
    text: str  # redacted when the interaction was analysed (or redacted at ingest)
    occurred_at: datetime | None
    offset_ms: int | None
    end_ms: int | None
    redactions: list[dict[str, Any]]


@dataclass(frozen=True)
class InteractionDetail:
    source: str
    id: str
    record: dict[str, Any]  # the interaction's stored columns
    turns: list[TurnDetail]
    analysed: dict[str, Any] | None  # run, pipeline, flags, purpose text; None if not analysed yet
    reason: dict[str, Any] | None
    results: dict[str, Any]  # stage -> result

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def topic_names(store: Store, model_version: int, method: str = "discovered") -> dict[int, str]:
    """Reason and sub-reason names by id: of a stored discovered model (``method`` discovered), or
    of a seeded taxonomy (``method`` taxonomy: ``model_version`` is then the taxonomy's version)."""
    if method == "taxonomy":
        stored = taxonomy_state(store, model_version)
        if stored is None:
            return {}
        ids = TAXONOMY_ID_BASE
        names: dict[int, str] = {}
        for reason in orjson.loads(stored)["reasons"]:
            for spec in (reason, *reason.get("children", [])):
                names[ids + len(names)] = str(spec["name"])
        return names
    rows = store.connection.execute("SELECT state FROM reason_models WHERE version = ?", [model_version]).fetchall()
    if not rows:
        return {}
    state = orjson.loads(rows[0][0])
    return {int(t["id"]): str(t["name"]) for key in ("topics", "sub_topics") for t in state.get(key, [])}


def find_interaction_sources(store: Store, interaction_id: str) -> list[str]:
    return [
        r[0]
        for r in store.connection.execute(
            "SELECT source FROM interactions WHERE id = ? ORDER BY source", [interaction_id]
        ).fetchall()
    ]


def interaction_detail(store: Store, source: str, interaction_id: str) -> InteractionDetail | None:
    con = store.connection
    cursor = con.execute("SELECT * FROM interactions WHERE source = ? AND id = ?", [source, interaction_id])
    names = [d[0] for d in cursor.description]
    found = cursor.fetchall()
    if not found:
        return None
    record = dict(zip(names, found[0], strict=True))
    record["attributes"] = _json(record["attributes"]) or {}
    # Turns redacted at ingest have no redacted copy: their text is the redacted text, and the
    # loader kept the marks in the turn's attributes.
    turns = [
        TurnDetail(
            seq,
            speaker,
            redacted if redacted is not None else text,
            at,
            offset,
            end,
            _json(spans if redacted is not None else marks) or [],
        )
        for seq, speaker, text, at, offset, end, redacted, spans, marks in con.execute(
            "SELECT t.seq, t.speaker, t.text, t.occurred_at, t.offset_ms, t.end_ms, r.text, r.spans, "
            "json_extract_string(t.attributes, '$.redactions') FROM turns t "
            "LEFT JOIN redacted_turns r ON r.source = t.source AND r.interaction_id = t.interaction_id "
            "AND r.seq = t.seq WHERE t.source = ? AND t.interaction_id = ? ORDER BY t.seq",
            [source, interaction_id],
        ).fetchall()
    ]
    analysed = None
    for run_id, analysed_at, digest, purpose, flags, stale in con.execute(
        "SELECT a.run_id, a.analysed_at, a.pipeline_hash, a.purpose_text, a.flags, "
        "a.content_hash <> i.content_hash FROM interaction_analysis a JOIN interactions i "
        "ON i.source = a.source AND i.id = a.id WHERE a.source = ? AND a.id = ?",
        [source, interaction_id],
    ).fetchall():
        analysed = {
            "run_id": run_id,
            "analysed_at": analysed_at,
            "pipeline_hash": digest,
            "purpose_text": purpose,
            "flags": list(flags),
            "stale": bool(stale),
        }
    reason = None
    for model, method, topic, sub, confidence, unexplained in con.execute(
        "SELECT model_version, method, topic_id, sub_topic_id, confidence, unexplained FROM interaction_reasons "
        "WHERE source = ? AND id = ?",
        [source, interaction_id],
    ).fetchall():
        labels = topic_names(store, int(model), str(method))
        reason = {
            "model_version": model,
            "method": method,
            "topic_id": topic,
            "sub_topic_id": sub,
            "label": labels.get(topic) if topic is not None else None,
            "sub_label": labels.get(sub) if sub is not None else None,
            "confidence": confidence,
            "unexplained": unexplained,
        }
    results = {
        stage: _json(result)
        for stage, result in con.execute(
            "SELECT stage, result FROM stage_results WHERE source = ? AND id = ? ORDER BY stage",
            [source, interaction_id],
        ).fetchall()
    }
    return InteractionDetail(source, interaction_id, record, turns, analysed, reason, results)


def export_interactions(store: Store, out: Path, fmt: str, *, within: str | None = None) -> int:
    """Write the interactions with their derived fields (one column per stage, as JSON) to a file;
    how many were written. ``within``: a registered table of (source, id) keys to write only those."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    con = store.connection
    stages = [r[0] for r in con.execute("SELECT DISTINCT stage FROM stage_results ORDER BY stage").fetchall()]
    stage_columns = "".join(
        f", (SELECT s.result FROM stage_results s WHERE s.source = i.source AND s.id = i.id "
        f"AND s.stage = '{stage}') AS \"{stage}\""
        for stage in stages
        if stage.replace("_", "").isalnum()
    )
    only = f"SEMI JOIN {within} k ON k.source = i.source AND k.id = i.id " if within else ""
    query = (
        "SELECT i.*, a.analysed_at, a.run_id AS analysis_run, a.purpose_text, a.flags AS analysis_flags, "
        "r.method AS reason_method, r.topic_id AS reason_topic, r.sub_topic_id AS reason_sub_topic, "
        "r.confidence AS reason_confidence, r.unexplained AS reason_unexplained"
        f"{stage_columns} FROM interactions i "
        "LEFT JOIN interaction_analysis a ON a.source = i.source AND a.id = i.id "
        "LEFT JOIN interaction_reasons r ON r.source = i.source AND r.id = i.id "
        f"{only}ORDER BY i.started_at, i.source, i.id"
    )
    options = {"parquet": "FORMAT parquet", "jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER"}[fmt]
    target = str(out).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{target}' ({options})")
    return int(con.execute(f"SELECT count(*) FROM interactions i {only}").fetchall()[0][0])
