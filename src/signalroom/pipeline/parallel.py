"""Running the stages in worker processes: the stages are pure functions of the views, so each
worker gets a copy of them once and then only rows in, rows out.

The main process keeps the warehouse: it fetches the next batch's rows (Arrow tables) and writes
the previous batch's results while the workers build the views, analyse them and lay the results
out as rows, so on two cores everything in Python runs side by side.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from signalroom.gcpause import paused_gc
from signalroom.pipeline.base import AnalysisBatch, Stage
from signalroom.pipeline.views import InteractionView
from signalroom.store.analysis_writes import ResultRows, result_rows
from signalroom.store.interaction_views import ViewRows, build_views

_STAGES: list[Stage] = []

Outcome = tuple[ResultRows, dict[str, float]]


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


def analyse_rows(stages: Sequence[Stage], rows: ViewRows) -> Outcome:
    """Views from the fetched rows, the stages over them, and their results as rows to write."""
    with paused_gc():
        batch, seconds = run_stages(stages, build_views(rows))
        found = result_rows(batch)
    del batch
    gc.collect(1)
    return found, seconds


def _work(rows: ViewRows) -> Outcome:
    return analyse_rows(_STAGES, rows)


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

    def submit(self, parts: list[ViewRows]) -> list[Future[Outcome]]:
        return [self._pool.submit(_work, rows) for rows in parts]

    @staticmethod
    def collect(futures: list[Future[Outcome]]) -> Outcome:
        done = [f.result() for f in futures]
        seconds: dict[str, float] = {}
        for _, part_seconds in done:
            for name, value in part_seconds.items():
                seconds[name] = seconds.get(name, 0.0) + value
        return ResultRows.concat([rows for rows, _ in done]), seconds

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
