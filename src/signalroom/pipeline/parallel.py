"""Running the stages in worker processes: the stages are pure functions of the views, so each
worker gets a copy of them once and then only views in, results out.

The main process keeps the warehouse: it loads the next batch and writes the previous one while
the workers analyse, so on two cores the CPU-heavy stages (redaction, sentiment, situation) run
side by side.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from signalroom.pipeline.base import AnalysisBatch, Stage
from signalroom.pipeline.views import InteractionView

_STAGES: list[Stage] = []


def _start_worker(stages: bytes) -> None:
    global _STAGES
    _STAGES = pickle.loads(stages)


def run_stages(stages: Sequence[Stage], views: list[InteractionView]) -> tuple[AnalysisBatch, dict[str, float]]:
    """All stages over one batch, with the seconds each took."""
    batch = AnalysisBatch(views)
    seconds: dict[str, float] = {}
    for stage in stages:
        started = time.perf_counter()
        stage.process(batch)
        seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - started
    return batch, seconds


def _work(views: list[InteractionView]) -> tuple[AnalysisBatch, dict[str, float]]:
    batch, seconds = run_stages(_STAGES, views)
    batch._redacted_views.clear()  # a cache: not worth sending back
    return batch, seconds


def merge(parts: list[AnalysisBatch]) -> AnalysisBatch:
    """The parts of one batch, analysed apart, as one batch (views in their order)."""
    merged = AnalysisBatch([v for part in parts for v in part.views])
    for part in parts:
        merged.redacted.update(part.redacted)
        merged.spans.update(part.spans)
        merged.purpose.update(part.purpose)
        for stage, results in part.results.items():
            merged.results.setdefault(stage, {}).update(results)
        merged.flags.update(part.flags)
        merged.reasons.update(part.reasons)
        merged.reason_labels.update(part.reason_labels)
        merged.reason_model_version = merged.reason_model_version or part.reason_model_version
        merged.reason_method = part.reason_method
    for tier in parts[0].embeddings:
        merged.embeddings[tier] = np.concatenate([p.embeddings[tier] for p in parts if p.views])
    return merged


class StagePool:
    """A pool of worker processes that each hold the stages."""

    def __init__(self, stages: Sequence[Stage], workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(),
            initializer=_start_worker,
            initargs=(pickle.dumps(list(stages)),),
        )

    def submit(self, views: list[InteractionView]) -> list[Future[tuple[AnalysisBatch, dict[str, float]]]]:
        size = -(-len(views) // self.workers)
        return [self._pool.submit(_work, views[i : i + size]) for i in range(0, len(views), size)]

    @staticmethod
    def collect(
        futures: list[Future[tuple[AnalysisBatch, dict[str, float]]]],
    ) -> tuple[AnalysisBatch, dict[str, float]]:
        done = [f.result() for f in futures]
        seconds: dict[str, float] = {}
        for _, part_seconds in done:
            for name, value in part_seconds.items():
                seconds[name] = seconds.get(name, 0.0) + value
        return merge([batch for batch, _ in done]), seconds

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
