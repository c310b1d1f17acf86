"""Scoring the warehouse (docs/qa.md#scoring): keep the scorecards in use, then score every analysed
interaction that has no current result — new, changed or re-analysed ones, and all of history for a
scorecard that changed — in batches."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from signalroom.gcpause import paused_gc
from signalroom.qa.engine import QaInput, Scoring
from signalroom.qa.llm_judge import LlmJudge
from signalroom.qa.phrases import TurnText
from signalroom.qa.scorecard import Scorecard, ScorecardError, default_scorecard_paths, load_scorecard
from signalroom.store import qa as qa_store
from signalroom.store import qa_disputes
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store

DEFAULT_BATCH = 5000
# Below this many interactions one process is quicker than starting workers.
PARALLEL_FROM = 10_000
PARALLEL_WORKERS = 2


@dataclass(frozen=True)
class SyncReport:
    loaded: list[str] = field(default_factory=list)  # new or changed: history is rescored
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one per bad file, naming file, line and field


def content_hash(card: Scorecard) -> str:
    return hashlib.sha256(card.model_dump_json().encode()).hexdigest()[:16]


def sync_scorecards(store: Store, files: Sequence[Path] | None = None) -> SyncReport:
    """Keep these scorecard files as the ones in use (the shipped ones when none are given and
    none are kept yet). A bad file is reported and skipped: it never stops the others."""
    if files is None:
        if qa_store.scorecards_in_use(store):
            return SyncReport()
        files = default_scorecard_paths()
    report = SyncReport()
    for path in files:
        try:
            card = load_scorecard(path)
        except ScorecardError as exc:
            report.errors.append(str(exc))
            continue
        saved = qa_store.save_scorecard(
            store, card.id, card.version, content_hash(card), card.name, str(path), card.model_dump(mode="json")
        )
        (report.loaded if saved else report.unchanged).append(card.id)
    return report


@dataclass(frozen=True)
class QaRunReport:
    scorecards: list[str]
    interactions: int
    results: int
    answers: int
    seconds: float
    sync: SyncReport

    @property
    def per_second(self) -> float:
        return round(self.interactions / self.seconds, 1) if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "interactions_per_second": self.per_second}


def score(
    store: Store,
    *,
    files: Sequence[Path] | None = None,
    full: bool = False,
    batch_size: int = DEFAULT_BATCH,
    workers: int | None = None,
    judge: LlmJudge | None = None,
) -> QaRunReport:
    """Score what needs it. ``workers``: processes to score in (default: two for large runs);
    ``judge``: the LLM judge for ``llm`` criteria (default: from the environment, else off)."""
    judge = judge or LlmJudge.from_env()
    began = time.perf_counter()
    sync = sync_scorecards(store, files)
    stored = qa_store.scorecards_in_use(store)
    hashes = {s.scorecard_id: s.content_hash for s in stored}
    keys = qa_store.to_score(store, hashes, full) if stored else []
    labels = reason_labels(store)
    if workers is None:
        workers = PARALLEL_WORKERS if len(keys) >= PARALLEL_FROM else 1
    batches = [keys[start : start + batch_size] for start in range(0, len(keys), batch_size)]
    scored = _in_parallel if workers > 1 and len(batches) > 0 else _in_process
    results, answers = scored(store, batches, [s.definition for s in stored], hashes, labels, workers, judge)
    seconds = round(time.perf_counter() - began, 3)
    return QaRunReport(sorted(hashes), len(keys), results, answers, seconds, sync)


Tables = tuple[pa.Table, pa.Table]


def _in_process(
    store: Store, batches: list[list[qa_store.Key]], definitions: list[dict[str, Any]], hashes: dict[str, str],
    labels: dict[int, str], workers: int, judge: LlmJudge | None,
) -> tuple[int, int]:  # fmt: skip
    scoring = Scoring([Scorecard.model_validate(d) for d in definitions], judge=judge)
    results = answers = 0
    for batch in batches:
        fixes = qa_disputes.corrections(store, batch)
        with paused_gc():
            tables = _score_batch(scoring, qa_store.fetch_inputs(store, batch), hashes, labels, fixes)
        qa_store.write_results(store, batch, *tables)
        results, answers = results + tables[0].num_rows, answers + tables[1].num_rows
    return results, answers


# A worker process's compiled scorecards, made once when it starts.
_WORKER: dict[str, Any] = {}


def _start_worker(
    definitions: list[dict[str, Any]], hashes: dict[str, str], labels: dict[int, str], judge: LlmJudge | None
) -> None:
    scoring = Scoring([Scorecard.model_validate(d) for d in definitions], judge=judge)
    _WORKER.update(scoring=scoring, hashes=hashes, labels=labels)


def _work(rows: qa_store.InputRows, corrections: dict[tuple[str, str, str, str], str]) -> Tables:
    with paused_gc():
        return _score_batch(_WORKER["scoring"], rows, _WORKER["hashes"], _WORKER["labels"], corrections)


def _in_parallel(
    store: Store, batches: list[list[qa_store.Key]], definitions: list[dict[str, Any]], hashes: dict[str, str],
    labels: dict[int, str], workers: int, judge: LlmJudge | None,
) -> tuple[int, int]:  # fmt: skip
    """The main process keeps the warehouse — fetching the next batch and writing the last one's
    results — while the workers score: on two cores the Python runs side by side."""
    results = answers = 0
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(definitions, hashes, labels, judge)
    ) as pool:
        pending: tuple[list[qa_store.Key], list[Future[Tables]]] | None = None
        for batch in [*batches, None]:
            futures: list[Future[Tables]] = []
            if batch is not None:
                share = -(-len(batch) // workers)
                parts = [batch[i : i + share] for i in range(0, len(batch), share)]
                futures = [
                    pool.submit(_work, qa_store.fetch_inputs(store, part), qa_disputes.corrections(store, part))
                    for part in parts
                ]
            if pending is not None:
                done = [f.result() for f in pending[1]]
                result_table = pa.concat_tables([d[0] for d in done])
                answer_table = pa.concat_tables([d[1] for d in done])
                qa_store.write_results(store, pending[0], result_table, answer_table)
                results, answers = results + result_table.num_rows, answers + answer_table.num_rows
            pending = (batch, futures) if batch is not None else None
    return results, answers


def _inputs(rows: qa_store.InputRows, labels: dict[int, str]) -> list[tuple[QaInput, str]]:
    turns: dict[tuple[str, str], list[TurnText]] = {}
    seqs: dict[tuple[str, str], list[int]] = {}
    marks: dict[tuple[str, str], list[list[dict[str, Any]]]] = {}
    t = rows.turns.to_pydict()
    for source, ident, seq, speaker, text, offset, found in zip(
        t["source"], t["id"], t["seq"], t["speaker"], t["text"], t["offset_ms"], t["marks"], strict=True
    ):
        turns.setdefault((source, ident), []).append(TurnText(speaker, text or "", offset))
        seqs.setdefault((source, ident), []).append(seq)
        marks.setdefault((source, ident), []).append(orjson.loads(found) if found else [])
    i = rows.interactions.to_pydict()
    out = []
    for n, (source, ident) in enumerate(zip(i["source"], i["id"], strict=True)):
        topic = i["topic_id"][n]
        item = QaInput(
            source=source,
            id=ident,
            channel=i["channel"][n],
            turns=turns.get((source, ident), []),
            turn_seqs=seqs.get((source, ident), []),
            marks=marks.get((source, ident), []),
            queue=i["queue"][n],
            direction=i["direction"][n],
            reason=labels.get(topic) if topic is not None else None,
            reason_id=topic,
            transferred_in=bool(i["transferred_in"][n]),
            metrics=orjson.loads(i["metrics"][n]) if i["metrics"][n] else {},
            sentiment=orjson.loads(i["sentiment"][n]) if i["sentiment"][n] else None,
        )
        out.append((item, i["input_hash"][n]))
    return out


def _score_batch(
    scoring: Scoring,
    rows: qa_store.InputRows,
    hashes: dict[str, str],
    labels: dict[int, str],
    corrections: dict[tuple[str, str, str, str], str] | None = None,
) -> tuple[pa.Table, pa.Table]:
    res: dict[str, list[Any]] = {k: [] for k in ("source", "id", "scorecard_id", "scorecard_hash", "input_hash",
                                                 "applies", "earned", "potential", "score", "auto_failed")}  # fmt: skip
    ans: dict[str, list[Any]] = {k: [] for k in ("source", "id", "scorecard_id", "criterion_id", "value",
                                                 "confidence", "explanation", "evidence")}  # fmt: skip
    for item, input_hash in _inputs(rows, labels):
        scored = {r.scorecard_id: r for r in scoring.score(item)}
        for card_id, original in list(scored.items()):
            fixed = {k[3]: v for k, v in (corrections or {}).items() if k[:3] == (item.source, item.id, card_id)}
            if fixed:
                scored[card_id] = scoring.corrected(original, fixed)  # type: ignore[arg-type]
        for card_id, card_hash in hashes.items():
            result = scored.get(card_id)
            values = (item.source, item.id, card_id, card_hash, input_hash, result is not None) + (
                (result.earned, result.potential, result.score, result.auto_failed) if result else (None,) * 4
            )
            for key, value in zip(res, values, strict=True):
                res[key].append(value)
            for a in result.answers if result else ():
                evidence = orjson.dumps([e.to_dict() for e in a.evidence]).decode() if a.evidence else None
                row = (item.source, item.id, card_id, a.criterion_id, a.value, a.confidence, a.explanation, evidence)
                for key, value in zip(ans, row, strict=True):
                    ans[key].append(value)
    result_schema = pa.schema([("source", pa.string()), ("id", pa.string()), ("scorecard_id", pa.string()),
                               ("scorecard_hash", pa.string()), ("input_hash", pa.string()), ("applies", pa.bool_()),
                               ("earned", pa.float64()), ("potential", pa.float64()), ("score", pa.float64()),
                               ("auto_failed", pa.bool_())])  # fmt: skip
    answer_schema = pa.schema([("source", pa.string()), ("id", pa.string()), ("scorecard_id", pa.string()),
                               ("criterion_id", pa.string()), ("value", pa.string()), ("confidence", pa.float64()),
                               ("explanation", pa.string()), ("evidence", pa.string())])  # fmt: skip
    return pa.table(res, schema=result_schema), pa.table(ans, schema=answer_schema)
