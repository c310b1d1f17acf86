"""Loading data through the API, as `signalroom ingest`, `quarantine list` and `analyze` do: an
uploaded file is loaded from a temporary copy; bad records go to the quarantine."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

from signalroom.api.errors import ApiError
from signalroom.ingest.adapters.base import registry
from signalroom.ingest.loader import IngestError, Loader
from signalroom.store.reads import QuarantineFilter, count_quarantine, list_loads, list_quarantine
from signalroom.store.warehouse import Store

QUARANTINE_STATUSES = ("pending", "resolved", "all")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Every load there is: few enough to page in memory.
_ALL_LOADS = 100_000


def formats() -> list[str]:
    return ["auto", *sorted(registry())]


def check_format(fmt: str) -> str:
    """The loader's name of a format; ``contact_lens`` is accepted for ``contact-lens``."""
    name = fmt.strip().lower().replace("_", "-")
    if name not in formats():
        raise ApiError(
            422,
            f"unknown format {fmt!r}: use one of {', '.join(formats())}",
            fields=[{"location": "body.format", "problem": f"unknown format {fmt!r}"}],
        )
    return name


def _file_name(name: str | None) -> str:
    """The upload's own name, made safe (its extension helps `auto` detect the format)."""
    base = Path(name or "").name
    cleaned = _SAFE_NAME.sub("_", base).strip("._")
    return cleaned[:120] or "upload"


def ingest_upload(
    store: Store, content: BinaryIO, *, filename: str | None, fmt: str, source: str | None, redact: bool = True
) -> dict[str, Any]:
    """Load one uploaded file; the load summaries with their quarantined counts. Identity
    resolution is brought up to date, so the new customers can be searched at once."""
    name = check_format(fmt)
    if source is not None and not source.strip():
        raise ApiError(422, "source must not be empty", fields=[{"location": "body.source", "problem": "empty"}])
    loader = Loader(store, resolve_identities=True)
    if redact:
        from signalroom.pipeline.redact.at_ingest import IngestRedactor

        loader.redactor = IngestRedactor()
    with tempfile.TemporaryDirectory(prefix="signalroom-upload-") as folder:
        path = Path(folder) / _file_name(filename)
        with path.open("wb") as handle:
            shutil.copyfileobj(content, handle)
        if path.stat().st_size == 0:
            raise ApiError(422, "the uploaded file is empty", fields=[{"location": "body.file", "problem": "empty"}])
        try:
            summaries = loader.ingest([path], fmt=name, source=source.strip() if source else None)
        except IngestError as exc:
            raise ApiError(422, str(exc)) from None
    loads = [s.to_dict() for s in summaries]
    return {
        "file": filename,
        "loads": loads,
        "read": sum(s["read"] for s in loads),
        "inserted": sum(s["inserted"] for s in loads),
        "quarantined": sum(s["quarantined"] for s in loads),
    }


def loads(store: Store) -> list[dict[str, Any]]:
    """Every load, newest first."""
    return [asdict(info) for info in list_loads(store, _ALL_LOADS)]


def quarantine(
    store: Store, *, status: str, source: str | None, reason: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Quarantined records (without their raw text), oldest first, and how many match."""
    if status not in QUARANTINE_STATUSES:
        raise ApiError(422, f"status must be pending, resolved or all, not {status!r}",
                       fields=[{"location": "query.status", "problem": "unknown status"}])  # fmt: skip
    flt = QuarantineFilter(status=None if status == "all" else status, source=source, reason_code=reason)
    entries = list_quarantine(store, flt, offset + limit)[offset:]
    return [e.to_dict(with_raw=False) for e in entries], count_quarantine(store, flt)


def analyse(store: Store, *, full: bool, detect_signals: bool) -> dict[str, Any]:
    """`signalroom analyze`: the interactions new or changed since (all of them with ``full``)."""
    from signalroom.pipeline.analyze import AnalyzeError, analyze
    from signalroom.pipeline.embed import EmbeddingError

    try:
        report = analyze(store, full=full, detect_signals=detect_signals)
    except (AnalyzeError, EmbeddingError, ImportError) as exc:
        raise ApiError(422, f"the analysis could not run: {exc}") from None
    result: dict[str, Any] = report.to_dict()
    return result
