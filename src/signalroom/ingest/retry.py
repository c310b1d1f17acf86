"""Retrying quarantined records: map them again, as stored or as the user corrected them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters.base import Adapter, ReadLimits, Skipped
from signalroom.ingest.loader import TurnRedactor, build_adapter, check
from signalroom.ingest.reading import raw_text, read_lines_at
from signalroom.ingest.validation import Problem
from signalroom.interchange.models import Interaction
from signalroom.journeys.identity import resolve
from signalroom.store.batch import RecordBatch
from signalroom.store.reads import (
    QuarantineEntry,
    fail_quarantine,
    load_paths,
    resolve_quarantine,
)
from signalroom.store.warehouse import LoadSummary, Store


@dataclass
class RetryOutcome:
    entry_id: int
    resolved: bool
    reason: str | None = None
    load_id: int | None = None


@dataclass
class RetryReport:
    outcomes: list[RetryOutcome] = field(default_factory=list)
    on_outcome: Callable[[RetryOutcome], None] | None = None

    def add(self, outcome: RetryOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_outcome:
            self.on_outcome(outcome)

    @property
    def resolved(self) -> int:
        return sum(1 for o in self.outcomes if o.resolved)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.resolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "retried": len(self.outcomes),
            "resolved": self.resolved,
            "still_quarantined": self.failed,
            "entries": [o.__dict__ for o in self.outcomes],
        }


def _full_records(entries: list[QuarantineEntry]) -> dict[int, str]:
    """The whole raw text of entries of which only a part was kept, re-read from their files,
    each file once; entries whose file or line is gone are absent."""
    wanted: dict[str, dict[int, int]] = {}
    for entry in entries:
        if entry.raw_truncated and entry.line is not None:
            wanted.setdefault(entry.file, {})[entry.line] = entry.id
    found: dict[int, str] = {}
    for file, lines in wanted.items():
        path = Path(file)
        if path.is_file():
            for number, data in read_lines_at(path, set(lines)).items():
                found[lines[number]] = raw_text(data)
    return found


RETRY_BATCH = 2_000


def retry_entries(
    store: Store,
    entries: list[QuarantineEntry],
    *,
    limits: ReadLimits | None = None,
    replacement: str | None = None,
    on_entry: Callable[[RetryOutcome], None] | None = None,
) -> RetryReport:
    """Map each entry again; those that now pass are written (one load per source and format,
    in batches) and marked resolved, the others keep their place with the new reason."""
    limits = limits or ReadLimits()
    report = RetryReport(on_outcome=on_entry)
    groups: dict[tuple[str, str], list[QuarantineEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.source, entry.format), []).append(entry)
    full = _full_records(entries) if replacement is None else {}
    for (source, fmt), group in groups.items():
        adapter = build_adapter(fmt, group[0].options)
        # Companion files of the original loads (contact trace records, transcripts, users…)
        # are indexed again, so a retried record is mapped with the same context.
        originals = [Path(p) for p in load_paths(store, {e.load_id for e in group}) if Path(p).is_file()]
        if originals:
            adapter.plan(originals, limits)
        paths = [f"quarantine:{e.id}" for e in group]
        redacted = any(e.turns_redacted for e in group)
        load_id = store.begin_load(source, fmt, paths, group[0].options, turns_redacted=redacted)
        summary = LoadSummary(load_id, source, fmt, paths, "running")
        retry = _GroupRetry(store, adapter, summary, report, limits)
        if any(e.turns_redacted for e in group):
            from signalroom.pipeline.redact.at_ingest import IngestRedactor

            retry.redactor = IngestRedactor()
        retry.run(group, full, replacement)
        summary.status = "completed"
        store.finish_load(summary)
    if groups:
        resolve(store)  # the records taken in now belong to people too
    return report


class _GroupRetry:
    """Retries the entries of one source and format: records that now pass are written in
    batches, and the quarantine is settled in bulk after each batch."""

    def __init__(
        self, store: Store, adapter: Adapter, summary: LoadSummary, report: RetryReport, limits: ReadLimits
    ) -> None:
        self.store, self.adapter, self.summary, self.report, self.limits = store, adapter, summary, report, limits
        self.seen: dict[tuple[str, str], str] = {}
        self.batch = RecordBatch(summary.source, summary.load_id)
        self.passed: list[int] = []
        self.redactor: TurnRedactor | None = None
        self.failed: list[tuple[int, str, str, str | None]] = []

    def run(self, group: list[QuarantineEntry], full: dict[int, str], replacement: str | None) -> None:
        for entry in group:
            raw = replacement if replacement is not None else full.get(entry.id) if entry.raw_truncated else entry.raw
            problem = self._retry(entry, raw)
            if problem is None:
                self.passed.append(entry.id)
            else:
                self.failed.append((entry.id, problem.code, problem.reason, problem.field))
                self.summary.reasons[problem.code] += 1
            if len(self.passed) + len(self.failed) >= RETRY_BATCH:
                self._flush()
        self._flush()

    def _retry(self, entry: QuarantineEntry, raw: str | None) -> Problem | None:
        if raw is None:
            reason = f"only part of this record was kept and {entry.file} line {entry.line} cannot be read"
            return Problem(entry.reason_code, entry.field, reason)
        size = len(raw.encode("utf-8", "surrogatepass"))
        if size > self.limits.max_record_bytes:
            return Problem(
                "oversized",
                None,
                f"record of {size:,} bytes exceeds the limit of {self.limits.max_record_bytes:,} bytes "
                "(raise it with --max-record-bytes)",
            )
        items = list(self.adapter.reconvert(raw, file=entry.file, location=entry.location, line=entry.line))
        self.summary.records_read += len(items)
        outcomes = [check(item, self.seen) for item in items]
        problems = [o for o in outcomes if isinstance(o, Problem)]
        if problems or not items:
            return problems[0] if problems else Problem("no_records", None, "the record maps to nothing")
        for outcome in outcomes:
            if isinstance(outcome, Skipped):
                self.batch.skipped[outcome.reason] += 1
            elif not isinstance(outcome, Problem):
                record, digest = outcome
                if self.redactor is not None and isinstance(record, Interaction):
                    self.redactor.redact_turns(record)
                self.batch.add(record, digest)
        return None

    def _flush(self) -> None:
        load_id = self.summary.load_id
        if len(self.batch):
            self.summary.counts.add(self.store.write_batch(self.batch, self.adapter.name))
        resolve_quarantine(self.store, self.passed, f"retry:{load_id}")
        fail_quarantine(self.store, self.failed)
        for entry_id in self.passed:
            self.report.add(RetryOutcome(entry_id, True, None, load_id))
        for entry_id, _, reason, _ in self.failed:
            self.report.add(RetryOutcome(entry_id, False, reason))
        self.batch = RecordBatch(self.summary.source, load_id)
        self.passed, self.failed = [], []
