"""Writing analysis results: runs, per-interaction markers and each stage's output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
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


@dataclass
class ResultRows:
    """A batch's results laid out as the tables they go to (Arrow: cheap to send between processes).

    Built by :func:`result_rows` where the stages ran, written by :func:`write_rows` where the
    warehouse is open."""

    keys: pa.Table  # source, id
    markers: pa.Table  # source, id, purpose, flags
    redacted: pa.Table | None = None
    results: pa.Table | None = None
    embeddings: dict[str, pa.Table] = field(default_factory=dict)  # tier -> source, id, vector
    reasons: pa.Table | None = None
    reason_model_version: int | None = None
    reason_method: str = "discovered"
    flags: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.keys.num_rows)

    @staticmethod
    def concat(parts: list[ResultRows]) -> ResultRows:
        """The parts of one batch, analysed apart, as one."""

        def tables(found: list[pa.Table | None]) -> pa.Table | None:
            present = [t for t in found if t is not None]
            return pa.concat_tables(present) if present else None

        merged = ResultRows(
            keys=pa.concat_tables([p.keys for p in parts]),
            markers=pa.concat_tables([p.markers for p in parts]),
            redacted=tables([p.redacted for p in parts]),
            results=tables([p.results for p in parts]),
            reasons=tables([p.reasons for p in parts]),
        )
        for tier in parts[0].embeddings:
            merged.embeddings[tier] = pa.concat_tables([p.embeddings[tier] for p in parts])
        for part in parts:
            merged.reason_model_version = merged.reason_model_version or part.reason_model_version
            merged.reason_method = part.reason_method
            merged.flags.update(part.flags)
        return merged


def result_rows(batch: AnalysisBatch) -> ResultRows:
    """The batch's results as the rows to write (no database needed)."""
    keys = [batch.key(v) for v in batch.views]
    sources, ids = [k[0] for k in keys], [k[1] for k in keys]
    rows = ResultRows(
        keys=pa.table({"source": sources, "id": ids}),
        markers=pa.table(
            {
                "source": sources,
                "id": ids,
                "purpose": pa.array([batch.purpose.get(k) for k in keys], type=pa.string()),
                "flags": pa.array([batch.flags.get(k, []) for k in keys], type=pa.list_(pa.string())),
            }
        ),
        reason_model_version=batch.reason_model_version,
        reason_method=batch.reason_method,
        flags={k: v for k, v in batch.flags.items() if v},
    )
    redacted: dict[str, list[Any]] = {"source": [], "interaction_id": [], "seq": [], "text": [], "spans": []}
    for (source, iid), texts in batch.redacted.items():
        if (source, iid) in batch.redacted_at_ingest:
            continue  # the stored turns are the redacted text
        spans = batch.spans.get((source, iid)) or [[] for _ in texts]
        for seq, (text, marks) in enumerate(zip(texts, spans, strict=True)):
            redacted["source"].append(source)
            redacted["interaction_id"].append(iid)
            redacted["seq"].append(seq)
            redacted["text"].append(text)
            redacted["spans"].append(orjson.dumps(marks).decode() if marks else None)
    if redacted["source"]:
        redacted["seq"] = pa.array(redacted["seq"], type=pa.int32())
        redacted["spans"] = pa.array(redacted["spans"], type=pa.string())
        rows.redacted = pa.table(redacted)
    results: dict[str, list[Any]] = {"source": [], "id": [], "stage": [], "result": []}
    for stage, by_key in batch.results.items():
        for (source, iid), result in by_key.items():
            results["source"].append(source)
            results["id"].append(iid)
            results["stage"].append(stage)
            results["result"].append(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode())
    if results["source"]:
        rows.results = pa.table(results)
    for tier, matrix in batch.embeddings.items():
        rows.embeddings[tier] = pa.table({"source": sources, "id": ids, "vector": _vector_column(matrix)})
    if batch.reason_model_version is not None:
        rows.reasons = _reason_table(batch.reasons)
    return rows


def _vector_column(matrix: np.ndarray) -> pa.ListArray:
    """One float32 list per row, without a Python object per number."""
    vectors = np.ascontiguousarray(matrix, dtype=np.float32)
    rows, dim = vectors.shape
    offsets = pa.array(np.arange(rows + 1, dtype=np.int32) * dim)
    return pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1)))


def write_rows(store: Store, rows: ResultRows, *, run_id: int, pipeline_hash: str) -> None:
    """Replace the batch's interactions' earlier results with these, in one transaction."""
    if not len(rows):
        return
    con = store.connection
    registered: list[str] = []

    def register(name: str, table: pa.Table) -> None:
        con.register(name, table)
        registered.append(name)

    try:
        with store.transaction():
            register("analysed_keys", rows.keys)
            for table, key_column in (
                ("redacted_turns", "interaction_id"),
                ("stage_results", "id"),
                ("interaction_embeddings", "id"),
                ("interaction_analysis", "id"),
            ):
                con.execute(
                    f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM analysed_keys k "
                    f"WHERE k.source = t.source AND k.id = t.{key_column})"
                )
            if rows.redacted is not None:
                register("new_redacted", rows.redacted)
                con.execute("INSERT INTO redacted_turns SELECT * FROM new_redacted")
            if rows.results is not None:
                register("new_results", rows.results)
                con.execute("INSERT INTO stage_results SELECT source, id, stage, result, ? FROM new_results", [run_id])
            for tier, vectors in rows.embeddings.items():
                name = f"new_vectors_{tier}"
                register(name, vectors)
                con.execute(
                    f"INSERT INTO interaction_embeddings SELECT source, id, ?, vector, ? FROM {name}", [tier, run_id]
                )
            if rows.reason_model_version is not None:
                # Re-analysed interactions that no longer say why they came lose their old reason.
                con.execute(
                    "DELETE FROM interaction_reasons r WHERE EXISTS "
                    "(SELECT 1 FROM analysed_keys k WHERE k.source = r.source AND k.id = r.id)"
                )
                if rows.reasons is not None and rows.reasons.num_rows:
                    _insert_reasons(
                        store, rows.reasons, rows.reason_model_version, rows.reason_method, run_id, replace=False
                    )
            register("new_markers", rows.markers)
            con.execute(
                "INSERT INTO interaction_analysis SELECT m.source, m.id, i.content_hash, ?, ?, now(), m.purpose, "
                "m.flags FROM new_markers m JOIN interactions i ON i.source = m.source AND i.id = m.id",
                [pipeline_hash, run_id],
            )
    finally:
        for name in registered:
            con.unregister(name)


def write_batch(store: Store, batch: AnalysisBatch, *, run_id: int, pipeline_hash: str) -> None:
    """Replace the batch's interactions' earlier results with these, in one transaction."""
    write_rows(store, result_rows(batch), run_id=run_id, pipeline_hash=pipeline_hash)


# The run id of reasons reassigned by a user's edit (rename/merge/split, seeding a taxonomy)
# rather than by an analysis run.
EDIT_RUN = 0


def _reason_table(assignments: dict[Any, Any]) -> pa.Table:
    keys = list(assignments)
    found = [assignments[k] for k in keys]
    return pa.table(
        {
            "source": [k[0] for k in keys],
            "id": [k[1] for k in keys],
            "topic_id": pa.array([None if a.unexplained else a.topic_id for a in found], type=pa.int32()),
            "sub_topic_id": pa.array(
                [None if a.unexplained or a.sub_topic_id < 0 else a.sub_topic_id for a in found], type=pa.int32()
            ),
            "confidence": pa.array([float(a.confidence) for a in found], type=pa.float64()),
            "unexplained": pa.array([bool(a.unexplained) for a in found], type=pa.bool_()),
        }
    )


def _insert_reasons(
    store: Store, reasons: pa.Table, model_version: int, method: str, run_id: int, *, replace: bool
) -> None:
    """Insert the reasons; with ``replace``, first delete those interactions' earlier reasons."""
    con = store.connection
    con.register("new_reasons", reasons)
    try:
        if replace:
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


def write_reasons(store: Store, model_version: int, method: str, assignments: dict[Any, Any], *, run_id: int) -> None:
    """Replace the reason of each interaction keyed in ``assignments`` (objects with topic_id,
    sub_topic_id, confidence, unexplained). Runs inside the caller's transaction if there is one."""
    if assignments:
        _insert_reasons(store, _reason_table(assignments), model_version, method, run_id, replace=True)
