"""Redaction at the door: turn texts redacted before they are stored.

The content hash is taken from the record as it arrived, so reloading the same file still counts
every record as unchanged; the marks' positions are kept in each turn's attributes.

Redaction costs far more than parsing, so large loads hand it to worker processes: the loader
submits each batch's interactions and goes on parsing the next batch while they are redacted.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from signalroom.interchange.models import Interaction
from signalroom.pipeline.redact.redactor import Redactor

# What one interaction's redaction needs (turn texts, known names) and gives back: per turn the
# redacted text and its marks, or None when nothing was found.
Job = tuple[list[str], list[str]]
Found = list[tuple[str, list[dict[str, Any]]] | None]

_WORKER: Redactor | None = None


def _start_worker(params: dict[str, Any]) -> None:
    global _WORKER
    _WORKER = Redactor(**params)


def _redact_jobs(jobs: list[Job]) -> list[Found]:
    assert _WORKER is not None
    return [redact_job(_WORKER, job) for job in jobs]


def redact_job(redactor: Redactor, job: Job) -> Found:
    texts, names = job
    found: Found = []
    for redaction in redactor.redact_many(texts, known_names=names):
        if not redaction.spans:
            found.append(None)
            continue
        marks = [
            {"start": m.start, "end": m.end, "entity": m.entity, "recognizer": m.recognizer} for m in redaction.spans
        ]
        found.append((redaction.text, marks))
    return found


def job_of(interaction: Interaction) -> Job:
    names = [interaction.customer.name] if interaction.customer.name else []
    if interaction.agent is not None and interaction.agent.name:
        names.append(interaction.agent.name)
    return [t.text for t in interaction.turns], names


def apply(interaction: Interaction, found: Found) -> None:
    for turn, redaction in zip(interaction.turns, found, strict=True):
        if redaction is None:
            continue
        turn.text, marks = redaction
        extra = turn.__pydantic_extra__
        if extra is not None:
            extra["redactions"] = marks


class IngestRedactor:
    """Redacts interactions' turns in place (the loader's ``redactor``).

    Options (keyword-only): ``redactor`` (its parameters are what the workers use too);
    ``workers``: processes for large loads (None: two where there are two cores; 1: in this
    process only); ``parallel_from``: interactions redacted here before the workers take over
    (starting them costs about a second, more than small loads take)."""

    def __init__(self, *, redactor: Redactor | None = None, workers: int | None = None, parallel_from: int = 2000):
        self.redactor = redactor
        self.workers = workers
        self.parallel_from = parallel_from
        self._pool: ProcessPoolExecutor | None = None
        self._pool_size = 1
        self._done_here = 0

    def get_params(self) -> dict[str, Any]:
        return self._redactor().get_params()

    def _redactor(self) -> Redactor:
        if self.redactor is None:
            self.redactor = Redactor()
        return self.redactor

    def redact_turns(self, interaction: Interaction) -> None:
        if interaction.turns:
            apply(interaction, redact_job(self._redactor(), job_of(interaction)))

    def start(self) -> None:
        """Start the worker processes (cheap: they load the redactor only when first given work).
        Call before the loader starts any thread, so the processes fork from one thread."""
        workers = self.workers if self.workers is not None else min(2, os.cpu_count() or 1)
        if workers > 1 and self._pool is None:
            self._pool_size = workers
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(self._redactor().get_params(),),
            )

    def submit(self, interactions: list[Interaction]) -> Callable[[], None]:
        """Start redacting these interactions; the returned function waits and applies the result."""
        with_turns = [i for i in interactions if i.turns]
        if self._pool is None or self._done_here < self.parallel_from:
            self._done_here += len(with_turns)
            for interaction in with_turns:
                self.redact_turns(interaction)
            return lambda: None
        jobs = [job_of(i) for i in with_turns]
        size = max(1, -(-len(jobs) // self._pool_size))
        futures = [self._pool.submit(_redact_jobs, jobs[i : i + size]) for i in range(0, len(jobs), size)]

        def finish() -> None:
            found = [item for future in futures for item in future.result()]
            for interaction, redaction in zip(with_turns, found, strict=True):
                apply(interaction, redaction)

        return finish

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
