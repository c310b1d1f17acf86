"""Writing analysis results: runs, per-interaction markers and each stage's output."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from signalroom.pipeline.base import AnalysisBatch
from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store


def begin_run(store: Store, *, full: bool, pipeline_hash: str, stages: list[dict[str, Any]]) -> int:
    con = store.connection
    con.execute("UPDATE analysis_runs SET status = 'interrupted', finished_at = now() WHERE status = 'running'")
    run_id = int(fetch_one(con, "SELECT nextval('analysis_run_ids')")[0])
    con.execute(
        "INSERT INTO analysis_runs (run_id, started_at, status, full_run, pipeline_hash, stages) "
        "VALUES (?, now(), 'running', ?, ?, ?)",
        [run_id, full, pipeline_hash, orjson.dumps(stages).decode()],
    )
    return run_id


def finish_run(
    store: Store, run_id: int, *, status: str, interactions: int, flagged: int, error: str | None = None
) -> None:
    store.connection.execute(
        "UPDATE analysis_runs SET finished_at = now(), status = ?, interactions = ?, flagged = ?, error = ? "
        "WHERE run_id = ?",
        [status, interactions, flagged, error, run_id],
    )


def _register(store: Store, name: str, columns: dict[str, pa.Array | list[Any]]) -> None:
    store.connection.register(name, pa.table(columns))


def write_batch(store: Store, batch: AnalysisBatch, *, run_id: int, pipeline_hash: str) -> None:
    """Replace the batch's interactions' earlier results with these, in one transaction."""
    if not batch.views:
        return
    con = store.connection
    keys = [batch.key(v) for v in batch.views]
    registered: list[str] = []
    try:
        with store.transaction():
            _register(store, "analysed_keys", {"source": [k[0] for k in keys], "id": [k[1] for k in keys]})
            registered.append("analysed_keys")
            for table, key_column in (
                ("redacted_turns", "interaction_id"),
                ("stage_results", "id"),
                ("interaction_embeddings", "id"),
            ):
                con.execute(
                    f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM analysed_keys k "
                    f"WHERE k.source = t.source AND k.id = t.{key_column})"
                )
            con.execute(
                "DELETE FROM interaction_analysis a WHERE EXISTS "
                "(SELECT 1 FROM analysed_keys k WHERE k.source = a.source AND k.id = a.id)"
            )
            if batch.redacted:
                rows: dict[str, list[Any]] = {"source": [], "interaction_id": [], "seq": [], "text": [], "spans": []}
                for (source, iid), texts in batch.redacted.items():
                    spans = batch.spans.get((source, iid)) or [[] for _ in texts]
                    for seq, (text, marks) in enumerate(zip(texts, spans, strict=True)):
                        rows["source"].append(source)
                        rows["interaction_id"].append(iid)
                        rows["seq"].append(seq)
                        rows["text"].append(text)
                        rows["spans"].append(orjson.dumps(marks).decode() if marks else None)
                rows["seq"] = pa.array(rows["seq"], type=pa.int32())
                rows["spans"] = pa.array(rows["spans"], type=pa.string())
                _register(store, "new_redacted", rows)
                registered.append("new_redacted")
                con.execute("INSERT INTO redacted_turns SELECT * FROM new_redacted")
            results: dict[str, list[Any]] = {"source": [], "id": [], "stage": [], "result": []}
            for stage, by_key in batch.results.items():
                for (source, iid), result in by_key.items():
                    results["source"].append(source)
                    results["id"].append(iid)
                    results["stage"].append(stage)
                    results["result"].append(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode())
            if results["source"]:
                _register(store, "new_results", results)
                registered.append("new_results")
                con.execute("INSERT INTO stage_results SELECT source, id, stage, result, ? FROM new_results", [run_id])
            for tier, matrix in batch.embeddings.items():
                _register(
                    store,
                    "new_vectors",
                    {
                        "source": [k[0] for k in keys],
                        "id": [k[1] for k in keys],
                        "vector": pa.array(list(matrix.astype("float32")), type=pa.list_(pa.float32())),
                    },
                )
                registered.append("new_vectors")
                con.execute(
                    "INSERT INTO interaction_embeddings SELECT source, id, ?, vector, ? FROM new_vectors",
                    [tier, run_id],
                )
                con.unregister("new_vectors")
                registered.remove("new_vectors")
            if batch.reason_model_version is not None:
                # Re-analysed interactions that no longer say why they came lose their old reason.
                con.execute(
                    "DELETE FROM interaction_reasons r WHERE EXISTS "
                    "(SELECT 1 FROM analysed_keys k WHERE k.source = r.source AND k.id = r.id)"
                )
                write_reasons(store, batch.reason_model_version, batch.reason_method, batch.reasons, run_id=run_id)
            _register(
                store,
                "new_markers",
                {
                    "source": [k[0] for k in keys],
                    "id": [k[1] for k in keys],
                    "purpose": pa.array([batch.purpose.get(k) for k in keys], type=pa.string()),
                    "flags": pa.array([batch.flags.get(k, []) for k in keys], type=pa.list_(pa.string())),
                },
            )
            registered.append("new_markers")
            con.execute(
                "INSERT INTO interaction_analysis SELECT m.source, m.id, i.content_hash, ?, ?, now(), m.purpose, "
                "m.flags FROM new_markers m JOIN interactions i ON i.source = m.source AND i.id = m.id",
                [pipeline_hash, run_id],
            )
    finally:
        for name in registered:
            con.unregister(name)


# The run id of reasons reassigned by a user's edit (rename/merge/split, seeding a taxonomy)
# rather than by an analysis run.
EDIT_RUN = 0


def write_reasons(store: Store, model_version: int, method: str, assignments: dict[Any, Any], *, run_id: int) -> None:
    """Replace the reason of each interaction keyed in ``assignments`` (objects with topic_id,
    sub_topic_id, confidence, unexplained). Runs inside the caller's transaction if there is one."""
    if not assignments:
        return
    keys = list(assignments)
    found = [assignments[k] for k in keys]
    con = store.connection
    con.register(
        "new_reasons",
        pa.table(
            {
                "source": [k[0] for k in keys],
                "id": [k[1] for k in keys],
                "topic_id": pa.array([None if a.unexplained else a.topic_id for a in found], type=pa.int32()),
                "sub_topic_id": pa.array(
                    [None if a.unexplained or a.sub_topic_id < 0 else a.sub_topic_id for a in found], type=pa.int32()
                ),
                "confidence": pa.array([float(a.confidence) for a in found], type=pa.float64()),
                "unexplained": [bool(a.unexplained) for a in found],
            }
        ),
    )
    try:
        con.execute(
            "DELETE FROM interaction_reasons r WHERE EXISTS "
            "(SELECT 1 FROM new_reasons n WHERE n.source = r.source AND n.id = r.id)"
        )
        con.execute(
            "INSERT INTO interaction_reasons SELECT source, id, ?, ?, topic_id, sub_topic_id, confidence, "
            "unexplained, ? FROM new_reasons",
            [model_version, method, run_id],
        )
    finally:
        con.unregister("new_reasons")
