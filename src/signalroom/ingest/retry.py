"""Retrying quarantined records: map them again, as stored or as the user corrected them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters.base import ReadLimits
from signalroom.ingest.loader import Loader, build_adapter
from signalroom.ingest.reading import raw_text, read_line_at
from signalroom.store.batch import RecordBatch
from signalroom.store.reads import (
    QuarantineEntry,
    load_paths,
    mark_quarantine_failed,
    mark_quarantine_resolved,
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


def _raw_for_retry(entry: QuarantineEntry) -> str | None:
    """The whole raw record: as stored, or re-read from its file when only a part was kept."""
    if not entry.raw_truncated:
        return entry.raw
    path = Path(entry.file)
    if entry.line is None or not path.is_file():
        return None
    data = read_line_at(path, entry.line)
    return raw_text(data) if data is not None else None


def retry_entries(
    store: Store,
    entries: list[QuarantineEntry],
    *,
    limits: ReadLimits | None = None,
    replacement: str | None = None,
) -> RetryReport:
    """Map each entry again; those that now pass are written (one load per source and format)
    and marked resolved, the others keep their place with the new reason."""
    limits = limits or ReadLimits()
    report = RetryReport()
    groups: dict[tuple[str, str], list[QuarantineEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.source, entry.format), []).append(entry)
    for (source, fmt), group in groups.items():
        adapter = build_adapter(fmt, group[0].options)
        # Companion files of the original loads (contact trace records, transcripts, users…)
        # are indexed again, so a retried record is mapped with the same context.
        originals = [Path(p) for p in load_paths(store, {e.load_id for e in group}) if Path(p).is_file()]
        if originals:
            adapter.plan(originals, limits)
        loader = Loader(store, limits=limits)
        load_id = store.begin_load(source, fmt, [f"quarantine:{e.id}" for e in group], group[0].options)
        summary = LoadSummary(load_id, source, fmt, [f"quarantine:{e.id}" for e in group], "running")
        seen: dict[tuple[str, str], str] = {}
        for entry in group:
            raw = replacement if replacement is not None else _raw_for_retry(entry)
            if raw is None:
                reason = f"only part of this record was kept and {entry.file} line {entry.line} cannot be read"
                mark_quarantine_failed(store, entry.id, entry.reason_code, reason, entry.field)
                report.outcomes.append(RetryOutcome(entry.id, False, reason))
                continue
            if len(raw.encode("utf-8", "surrogatepass")) > limits.max_record_bytes:
                reason = (
                    f"record of {len(raw.encode('utf-8', 'surrogatepass')):,} bytes exceeds the limit of "
                    f"{limits.max_record_bytes:,} bytes (raise it with --max-record-bytes)"
                )
                mark_quarantine_failed(store, entry.id, "oversized", reason, None)
                report.outcomes.append(RetryOutcome(entry.id, False, reason))
                continue
            batch = RecordBatch(source, load_id)
            reasons: Counter[str] = Counter()
            items = list(adapter.reconvert(raw, file=entry.file, location=entry.location, line=entry.line))
            for item in items:
                loader.take(item, batch, seen, reasons)
            summary.records_read += len(items)
            if batch.quarantine or not items:
                problem = batch.quarantine[0] if batch.quarantine else None
                code = problem.reason_code if problem else "no_records"
                reason = problem.reason if problem else "the record maps to nothing"
                mark_quarantine_failed(store, entry.id, code, reason, problem.field if problem else None)
                summary.reasons[code] += 1
                report.outcomes.append(RetryOutcome(entry.id, False, reason))
                continue
            summary.counts.add(store.write_batch(batch, fmt))
            mark_quarantine_resolved(store, entry.id, f"retry:{load_id}")
            report.outcomes.append(RetryOutcome(entry.id, True, None, load_id))
        summary.status = "completed"
        store.finish_load(summary)
    return report
