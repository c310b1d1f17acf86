"""A finished live session becomes an ordinary interaction (docs/assist.md#after-the-session): it
goes through the same loader as a file (validation, PII redaction, identity resolution), then the
same analysis and QA scoring as any other new interaction."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import orjson

from signalroom.assist.session import SOURCE
from signalroom.store.warehouse import Store

log = logging.getLogger(__name__)


class StoringError(RuntimeError):
    """A finished session could not be stored as it is; the message says why."""


def store_sessions(store: Store, records: list[dict[str, Any]], *, analyse: bool = True) -> dict[str, Any]:
    """Load the sessions' interchange records into source ``assist`` and, with ``analyse``, run the
    analysis and QA scoring on what is new. A record the loader rejects is in the quarantine, and
    raises here: it is not lost, and whoever finished it is told."""
    from signalroom.ingest.loader import Loader
    from signalroom.pipeline.redact.at_ingest import IngestRedactor

    loader = Loader(store, resolve_identities=True)
    loader.redactor = IngestRedactor(workers=1)
    with tempfile.TemporaryDirectory(prefix="signalroom-assist-") as folder:
        path = Path(folder) / "sessions.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        (summary,) = loader.ingest([path], fmt="jsonl", source=SOURCE)
    report: dict[str, Any] = {"load": summary.to_dict()}
    if summary.counts.quarantined:
        reasons = ", ".join(f"{code} ({n})" for code, n in summary.reasons.items())
        raise StoringError(
            f"{summary.counts.quarantined} finished session(s) were quarantined (load {summary.load_id}): {reasons}"
        )
    if analyse:
        from signalroom.pipeline.analyze import analyze
        from signalroom.qa.run import score

        report["analysis"] = analyze(store, detect_signals=False).to_dict()
        report["qa"] = score(store).to_dict()
    return report
