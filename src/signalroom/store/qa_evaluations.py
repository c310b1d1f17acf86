"""Storage of human QA evaluations and calibrations (tables of ``sql/0010_qa_evaluations.sql``):
which interactions exist, replacing evaluations, the agreed answers, and what agreement and
calibration read (the auto-QA answers and the analysis they were scored from)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from signalroom.store.warehouse import Store

# Interaction × scorecard × criterion: what an answer is about.
ItemKey = tuple[str, str, str, str]

EVALUATION_SCHEMA = pa.schema([("source", pa.string()), ("interaction_id", pa.string()),
                               ("scorecard_id", pa.string()), ("criterion_id", pa.string()),
                               ("evaluator", pa.string()), ("answer", pa.string()), ("comment", pa.string()),
                               ("evaluated_at", pa.timestamp("us", tz="UTC")), ("file", pa.string()),
                               ("line", pa.int32())])  # fmt: skip
_KEY = "source, interaction_id, scorecard_id, criterion_id, evaluator"


def interaction_sources(store: Store, ids: Iterable[str]) -> dict[str, list[str]]:
    """The sources holding each of these interaction ids (an id not stored is absent)."""
    con = store.connection
    con.register("qa_eval_ids", pa.table({"id": sorted(set(ids))}, schema=pa.schema([("id", pa.string())])))
    try:
        rows = con.execute(
            "SELECT i.id, i.source FROM qa_eval_ids k JOIN interactions i ON i.id = k.id ORDER BY i.id, i.source"
        ).fetchall()
    finally:
        con.unregister("qa_eval_ids")
    found: dict[str, list[str]] = {}
    for ident, source in rows:
        found.setdefault(str(ident), []).append(str(source))
    return found


def replace_evaluations(store: Store, table: pa.Table) -> int:
    """Store these evaluations (``EVALUATION_SCHEMA``), replacing any of the same evaluator,
    interaction, scorecard and criterion; returns how many stored ones were replaced."""
    con = store.connection
    with store.transaction():
        con.register("qa_new_evaluations", table)
        try:
            row = con.execute(
                f"SELECT count(*) FROM qa_evaluations WHERE ({_KEY}) IN (SELECT {_KEY} FROM qa_new_evaluations)"
            ).fetchone()
            con.execute(f"DELETE FROM qa_evaluations WHERE ({_KEY}) IN (SELECT {_KEY} FROM qa_new_evaluations)")
            con.execute(
                "INSERT INTO qa_evaluations SELECT source, interaction_id, scorecard_id, criterion_id, evaluator, "
                "answer, comment, evaluated_at, now(), file, line FROM qa_new_evaluations"
            )
        finally:
            con.unregister("qa_new_evaluations")
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Evaluation:
    key: ItemKey
    evaluator: str
    answer: str
    comment: str | None
    evaluated_at: datetime | None


def _filter(scorecard_id: str | None, criterion_id: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, value in (("scorecard_id", scorecard_id), ("criterion_id", criterion_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def evaluations(store: Store, scorecard_id: str | None = None, criterion_id: str | None = None) -> list[Evaluation]:
    where, params = _filter(scorecard_id, criterion_id)
    rows = store.connection.execute(
        "SELECT source, interaction_id, scorecard_id, criterion_id, evaluator, answer, comment, evaluated_at "
        f"FROM qa_evaluations{where} ORDER BY source, interaction_id, scorecard_id, criterion_id, evaluator",
        params,
    ).fetchall()
    return [Evaluation((r[0], r[1], r[2], r[3]), r[4], r[5], r[6], r[7]) for r in rows]


@dataclass(frozen=True)
class Calibration:
    key: ItemKey
    answer: str
    agreed_by: str
    agreed_at: datetime
    note: str | None


def calibrations(store: Store, scorecard_id: str | None = None, criterion_id: str | None = None) -> list[Calibration]:
    where, params = _filter(scorecard_id, criterion_id)
    rows = store.connection.execute(
        "SELECT source, interaction_id, scorecard_id, criterion_id, answer, agreed_by, agreed_at, note "
        f"FROM qa_calibrations{where} ORDER BY source, interaction_id, scorecard_id, criterion_id",
        params,
    ).fetchall()
    return [Calibration((r[0], r[1], r[2], r[3]), r[4], r[5], r[6], r[7]) for r in rows]


def save_calibration(store: Store, key: ItemKey, answer: str, agreed_by: str, note: str | None) -> bool:
    """Keep the agreed answer, replacing an earlier one for the same item; True when it replaced one."""
    con = store.connection
    where = "source = ? AND interaction_id = ? AND scorecard_id = ? AND criterion_id = ?"
    with store.transaction():
        done = con.execute(f"DELETE FROM qa_calibrations WHERE {where} RETURNING 1", list(key)).fetchall()
        con.execute("INSERT INTO qa_calibrations VALUES (?, ?, ?, ?, ?, ?, now(), ?)", [*key, answer, agreed_by, note])
    return bool(done)


@dataclass(frozen=True)
class AutoAnswer:
    value: str
    confidence: float
    explanation: str | None
    evidence: list[dict[str, Any]]


def _keys_table(store: Store, keys: Sequence[ItemKey]) -> None:
    columns = ("source", "interaction_id", "scorecard_id", "criterion_id")
    table = pa.table({c: [k[i] for k in keys] for i, c in enumerate(columns)},
                     schema=pa.schema([(c, pa.string()) for c in columns]))  # fmt: skip
    store.connection.register("qa_item_keys", table)


def auto_answers(store: Store, keys: Sequence[ItemKey]) -> dict[ItemKey, AutoAnswer]:
    """The auto-QA answers of these items (an item not scored is absent)."""
    con = store.connection
    _keys_table(store, keys)
    try:
        rows = con.execute(
            "SELECT a.source, a.id, a.scorecard_id, a.criterion_id, a.value, a.confidence, a.explanation, a.evidence "
            "FROM qa_item_keys k JOIN qa_answers a ON a.source = k.source AND a.id = k.interaction_id "
            "AND a.scorecard_id = k.scorecard_id AND a.criterion_id = k.criterion_id"
        ).fetchall()
    finally:
        con.unregister("qa_item_keys")
    return {(r[0], r[1], r[2], r[3]): AutoAnswer(r[4], float(r[5]), r[6], orjson.loads(r[7] or "[]")) for r in rows}


def stage_results(store: Store, stage: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The analysis results of one stage ('metrics', 'sentiment') of these interactions, parsed."""
    con = store.connection
    unique = sorted(set(keys))
    table = pa.table({"source": [k[0] for k in unique], "id": [k[1] for k in unique]},
                     schema=pa.schema([("source", pa.string()), ("id", pa.string())]))  # fmt: skip
    con.register("qa_stage_keys", table)
    try:
        rows = con.execute(
            "SELECT s.source, s.id, s.result FROM qa_stage_keys k "
            "JOIN stage_results s ON s.source = k.source AND s.id = k.id AND s.stage = ?",
            [stage],
        ).fetchall()
    finally:
        con.unregister("qa_stage_keys")
    return {(str(r[0]), str(r[1])): orjson.loads(r[2]) for r in rows}
