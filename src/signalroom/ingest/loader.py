"""The load loop: files → adapter → validation → batches committed to the warehouse.

Every batch is one transaction, so a crash loses at most the batch in flight; records are keyed
by (source, id) and unchanged ones are skipped, so rerunning the same files completes the load
without duplicating anything.
"""

from __future__ import annotations

import gc
import inspect
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from signalroom.gcpause import paused_gc
from signalroom.ingest.adapters.base import (
    Adapter,
    Candidate,
    Item,
    ReadLimits,
    Rejected,
    Skipped,
    registry,
)
from signalroom.ingest.reading import raw_text
from signalroom.ingest.validation import Problem, Record, validate
from signalroom.interchange.models import Event, Interaction
from signalroom.journeys.identity import ResolveSummary, resolve
from signalroom.store.batch import QuarantineItem, RecordBatch
from signalroom.store.warehouse import LoadSummary, Store

DEFAULT_BATCH_SIZE = 5_000
SNIFF_BYTES = 64 * 1024


class IngestError(ValueError):
    """The load cannot start: a path is missing, a format unknown, an option misplaced."""


class TurnRedactor(Protocol):
    """Redacts turn texts in place (pipeline.redact.at_ingest.IngestRedactor)."""

    def redact_turns(self, interaction: Interaction) -> None: ...
    def start(self) -> None: ...
    def submit(self, interactions: list[Interaction]) -> Callable[[], None]: ...
    def close(self) -> None: ...


class Progress(Protocol):
    def start_file(self, path: Path, size: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...


def record_key(record: Record, digest: str) -> tuple[str, str]:
    """The (kind, id) a record is stored under; events without an id are keyed by content."""
    if isinstance(record, Event):
        return record.kind, record.id or f"evt-{digest}"
    return record.kind, record.id


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files below folders named (sorted, hidden ones skipped)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given).absolute()
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise IngestError(f"{path} is neither a file nor a folder")
        else:
            raise IngestError(f"no such file or folder: {path}")
    if not found:
        raise IngestError("no files to ingest in " + ", ".join(str(p) for p in paths))
    return found


def detect_format(path: Path) -> str:
    """The adapter that recognises this file, for --format auto."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        # An empty file is read by the adapter its extension suggests, which reports it.
        for name, cls in registry().items():
            if path.suffix.lower() in cls.extensions:
                return name
        return "jsonl"
    for name, cls in registry().items():
        if cls.sniff(path, head):
            return name
    raise IngestError(f"cannot tell the format of {path}; name it with --format ({', '.join(sorted(registry()))})")


def build_adapter(fmt: str, options: dict[str, Any]) -> Adapter:
    adapters = registry()
    if fmt not in adapters:
        raise IngestError(f"unknown format {fmt!r}; expected auto or one of {', '.join(sorted(adapters))}")
    cls = adapters[fmt]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - accepted
    if unknown:
        raise IngestError(f"option(s) {', '.join(sorted(unknown))} do not apply to the {fmt} format")
    return cls(**given)


def check(item: Item, seen: dict[tuple[str, str], str]) -> tuple[Record, str] | Problem | Skipped:
    """What becomes of one item: a valid record with its content hash, the problem that keeps it
    out, or the note that it was skipped. ``seen`` holds the keys taken so far from the same file,
    with where they were; a valid record's key is added to it."""
    if isinstance(item, Rejected):
        return Problem(item.code, item.field, item.reason)
    if isinstance(item, Skipped):
        return item
    outcome = validate(item.payload)
    if isinstance(outcome, Problem):
        if outcome.code == "malformed_json" and isinstance(item.raw, bytes):
            try:
                item.raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return Problem("invalid_utf8", None, f"invalid UTF-8 at byte {exc.start} of {item.location}")
        return outcome
    record, digest = outcome
    key = record_key(record, digest)
    first = seen.get(key)
    if first is not None:
        return Problem(
            "duplicate_id",
            "id",
            f"duplicate {key[0]} id {key[1]!r} in this file (first at {first}); the first one was kept",
        )
    seen[key] = item.location
    return record, digest


@dataclass
class Loader:
    """Loads files into a store. One instance per command; it holds no state between loads."""

    store: Store
    batch_size: int = DEFAULT_BATCH_SIZE
    limits: ReadLimits = field(default_factory=ReadLimits)
    progress: Progress | None = None
    on_batch: Callable[[LoadSummary], None] | None = None
    # Redacts PII in turn texts before they are stored (see docs/pii.md); None stores them as given.
    redactor: TurnRedactor | None = None
    # Bring identity resolution up to date after the loads (see docs/journeys.md). Off by default:
    # `signalroom analyze` and the `customers` commands resolve what is new when they need it, so a
    # load is only the load.
    resolve_identities: bool = False
    identity: ResolveSummary | None = None

    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        fmt: str = "auto",
        source: str | None = None,
        adapter_options: dict[str, Any] | None = None,
    ) -> list[LoadSummary]:
        files = expand_paths(paths)
        groups: dict[str, list[Path]] = {}
        for path in files:
            groups.setdefault(fmt if fmt != "auto" else detect_format(path), []).append(path)
        options = adapter_options or {}
        adapters = {name: build_adapter(name, options) for name in groups}
        summaries = []
        if self.redactor is not None:
            self.redactor.start()
        try:
            with paused_gc():
                for name, group in groups.items():
                    summaries.append(self._load(adapters[name], group, source or name, options))
        finally:
            if self.redactor is not None:
                self.redactor.close()
        if self.resolve_identities:
            self.identity = resolve(self.store)
        return summaries

    def _load(self, adapter: Adapter, files: list[Path], source: str, options: dict[str, Any]) -> LoadSummary:
        ordered = adapter.plan(files, self.limits)
        load_id = self.store.begin_load(
            source, adapter.name, [str(p) for p in ordered], options, turns_redacted=self.redactor is not None
        )
        summary = LoadSummary(load_id, source, adapter.name, [str(p) for p in ordered], "running")
        writer = _BatchWriter(self.store, adapter.name, summary, self.on_batch)
        try:
            for path in ordered:
                self._load_file(adapter, path, summary, writer)
            writer.close()
        except BaseException as exc:
            # Batches already handed over are whole and valid: commit them before giving up.
            writer.stop()
            summary.status = "failed"
            summary.error = f"{type(exc).__name__}: {exc}"
            self.store.finish_load(summary)
            raise
        summary.status = "completed"
        self.store.finish_load(summary)
        return summary

    def _load_file(self, adapter: Adapter, path: Path, summary: LoadSummary, writer: _BatchWriter) -> None:
        if self.progress:
            self.progress.start_file(path, path.stat().st_size)
        batch = _Held(RecordBatch(summary.source, summary.load_id))
        redacting: _Held | None = None  # the previous batch, its interactions being redacted
        seen: dict[tuple[str, str], str] = {}
        records_before = summary.records_read
        for item in adapter.read(path, self.limits):
            summary.records_read += 1
            self.take(item, batch, seen, summary.reasons)
            if self.progress:
                self.progress.advance(len(item.raw) + 1)
            if len(batch) >= self.batch_size:
                redacting = self._hand_over(batch, redacting, writer)
                batch = _Held(RecordBatch(summary.source, summary.load_id))
        redacting = self._hand_over(batch, redacting, writer)
        self._hand_over(None, redacting, writer)
        # Quarantine entries are settled only once every batch of this file is committed.
        writer.wait()
        if summary.records_read == records_before and not adapter.supplements(path):
            summary.warnings.append(f"{path}: no records (the file is empty)")
        self.store.resolve_reloaded(summary.source, adapter.name, str(path), summary.load_id)

    def _hand_over(self, batch: _Held | None, redacting: _Held | None, writer: _BatchWriter) -> _Held | None:
        """Start redacting ``batch``; hand the batch redacted before it to the writer. Without a
        redactor the batch goes straight to the writer."""
        if batch is not None:
            if self.redactor is None or not batch.interactions:
                batch.finish()
                writer.put(batch.records)
                batch = None
            else:
                batch.redacted = self.redactor.submit([record for record, _ in batch.interactions])
        if redacting is not None:
            redacting.finish()
            writer.put(redacting.records)
        return batch

    def take(
        self,
        item: Item,
        batch: _Held,
        seen: dict[tuple[str, str], str],
        reasons: Counter[str],
    ) -> None:
        """Validate one item into the batch, or put it in the batch's quarantine. Interactions
        wait in the batch until their turns are redacted."""
        outcome = check(item, seen)
        if isinstance(outcome, Problem):
            assert not isinstance(item, Skipped)
            self._reject(batch.records, item, outcome.code, outcome.reason, outcome.field, reasons)
        elif isinstance(outcome, Skipped):
            batch.records.skipped[outcome.reason] += 1
        else:
            record, digest = outcome
            if self.redactor is not None and isinstance(record, Interaction):
                batch.interactions.append((record, digest))
            else:
                batch.records.add(record, digest)

    @staticmethod
    def _reject(
        batch: RecordBatch,
        item: Candidate | Rejected,
        code: str,
        reason: str,
        field_name: str | None,
        reasons: Counter[str],
    ) -> None:
        raw = raw_text(item.raw)
        size = (
            item.raw_bytes
            if isinstance(item, Rejected) and item.raw_bytes is not None
            else len(item.raw if isinstance(item.raw, bytes) else item.raw.encode("utf-8", "surrogatepass"))
        )
        truncated = isinstance(item, Rejected) and item.raw_truncated
        batch.quarantine.append(
            QuarantineItem(item.file, item.location, item.line, code, reason, raw, size, truncated, field_name)
        )
        reasons[code] += 1


@dataclass
class _Held:
    """A batch being filled: records added as they come, interactions held until redacted."""

    records: RecordBatch
    interactions: list[tuple[Interaction, str]] = field(default_factory=list)
    redacted: Callable[[], None] | None = None  # waits for the redaction and applies it

    def __len__(self) -> int:
        return len(self.records) + len(self.interactions)

    def finish(self) -> None:
        if self.redacted is not None:
            self.redacted()
        for record, digest in self.interactions:
            self.records.add(record, digest)
        self.interactions.clear()


class _BatchWriter:
    """Commits batches on a background thread so DuckDB works while the next batch is parsed.

    One batch may wait while one is written: memory stays bounded by two batches.
    """

    def __init__(
        self,
        store: Store,
        fmt: str,
        summary: LoadSummary,
        on_batch: Callable[[LoadSummary], None] | None,
    ) -> None:
        self._store = store
        self._fmt = fmt
        self._summary = summary
        self._on_batch = on_batch
        self._queue: queue.Queue[RecordBatch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="signalroom-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                if self._error is None:
                    counts = self._store.write_batch(batch, self._fmt)
                    self._summary.counts.add(counts)
                    if self._on_batch:
                        self._on_batch(self._summary)
            except BaseException as exc:
                self._error = exc
            finally:
                self._queue.task_done()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, batch: RecordBatch) -> None:
        self._check()
        if len(batch):
            self._queue.put(batch)
            gc.collect(1)

    def wait(self) -> None:
        self._queue.join()
        self._check()

    def stop(self) -> None:
        """Write what is queued (unless writing already failed), then end the thread."""
        self._queue.join()
        self._queue.put(None)
        self._thread.join()

    def close(self) -> None:
        """Stop, and raise the error writing met, if any."""
        self.stop()
        self._check()
