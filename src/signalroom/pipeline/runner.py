"""Running the stages over every interaction that needs it, batch by batch."""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from signalroom.pipeline.base import Stage, pipeline_hash
from signalroom.pipeline.names import DEFAULT_BATCH_SIZE
from signalroom.pipeline.parallel import StagePool, analyse_rows
from signalroom.store import analysis_writes
from signalroom.store.analysis_writes import ResultRows
from signalroom.store.interaction_views import fetch_view_rows, pending_keys
from signalroom.store.warehouse import Store

_COUNT = re.compile(r"\d+")

# From this many interactions to analyse, stages run in worker processes.
POOL_FROM = 2_000


@dataclass
class AnalysisSummary:
    run_id: int
    full: bool
    pipeline_hash: str
    stages: list[dict[str, Any]]
    status: str = "running"
    interactions: int = 0
    seconds: float = 0.0
    flags: Counter[str] = field(default_factory=Counter)
    flagged: int = 0  # interactions with at least one flag
    stage_seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "full": self.full,
            "interactions": self.interactions,
            "seconds": round(self.seconds, 3),
            "interactions_per_second": round(self.interactions / self.seconds, 1) if self.seconds else None,
            "flagged": self.flagged,
            "flags": dict(sorted(self.flags.items())),
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "pipeline_hash": self.pipeline_hash,
            "stages": self.stages,
            "error": self.error,
        }


@dataclass
class Analyzer:
    """Analyses new or changed interactions (all of them with ``full``) with the given stages."""

    store: Store
    stages: list[Stage]
    batch_size: int = DEFAULT_BATCH_SIZE
    progress: Callable[[int, int], None] | None = None  # (done, total)
    workers: int | None = None  # worker processes; None: two for large runs, none for small ones

    def run(self, *, full: bool = False) -> AnalysisSummary:
        digest = pipeline_hash(self.stages)
        described = [s.describe() for s in self.stages]
        keys = pending_keys(self.store, digest, full=full)
        run_id = analysis_writes.begin_run(self.store, full=full, pipeline_hash=digest, stages=described)
        summary = AnalysisSummary(run_id, full, digest, described)
        started = time.perf_counter()
        try:
            workers = self._workers(len(keys))
            with self.store.checkpoint_at_end():
                if workers > 1:
                    self._run_pooled(keys, workers, summary, digest)
                else:
                    for start in range(0, len(keys), self.batch_size):
                        rows = fetch_view_rows(self.store, keys[start : start + self.batch_size])
                        self._write(*analyse_rows(self.stages, rows), summary, digest, len(keys))
        except BaseException as exc:
            summary.status, summary.error = "failed", f"{type(exc).__name__}: {exc}"
            summary.seconds = time.perf_counter() - started
            self._finish(summary)
            raise
        summary.status = "completed"
        summary.seconds = time.perf_counter() - started
        self._finish(summary)
        return summary

    def _workers(self, pending: int) -> int:
        """Worker processes: none for small runs (starting them costs more than it saves)."""
        if self.workers is not None:
            return self.workers
        return min(2, os.cpu_count() or 1) if pending >= POOL_FROM else 1

    def _run_pooled(self, keys: list[tuple[str, str]], workers: int, summary: AnalysisSummary, digest: str) -> None:
        """Workers analyse batch n while this process fetches batch n+1 and writes batch n-1;
        each worker gets ``batch_size`` of a batch, and a batch is written in one transaction."""
        pool = StagePool(self.stages, workers)
        part, size = self.batch_size, self.batch_size * workers
        try:
            in_flight = None
            for start in range(0, len(keys), size):
                batch_keys = keys[start : start + size]
                submitted = pool.submit(
                    [fetch_view_rows(self.store, batch_keys[i : i + part]) for i in range(0, len(batch_keys), part)]
                )
                if in_flight is not None:
                    self._write(*pool.collect(in_flight), summary, digest, len(keys))
                in_flight = submitted
            if in_flight is not None:
                self._write(*pool.collect(in_flight), summary, digest, len(keys))
        finally:
            pool.close()

    def _write(
        self, rows: ResultRows, seconds: dict[str, float], summary: AnalysisSummary, digest: str, total: int
    ) -> None:
        analysis_writes.write_rows(self.store, rows, run_id=summary.run_id, pipeline_hash=digest)
        for name, value in seconds.items():
            summary.stage_seconds[name] = summary.stage_seconds.get(name, 0.0) + value
        summary.interactions += len(rows)
        for reasons in rows.flags.values():
            # "3 turn(s) …" and "5 turn(s) …" are one reason in the counts.
            summary.flags.update({_COUNT.sub("N", reason) for reason in reasons})
            summary.flagged += bool(reasons)
        if self.progress:
            self.progress(summary.interactions, total)

    def _finish(self, summary: AnalysisSummary) -> None:
        analysis_writes.finish_run(
            self.store,
            summary.run_id,
            status=summary.status,
            interactions=summary.interactions,
            flagged=summary.flagged,
            error=summary.error,
        )
