"""/api/v1/ingest, /api/v1/quarantine and /api/v1/analyze: loading data and analysing it, as
`signalroom ingest`, `quarantine list` and `analyze` do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from signalroom.api.deps import PageDep, StoreDep, allow, page, page_of
from signalroom.api.services import ingest as service
from signalroom.auth.roles import ANALYSE

router = APIRouter(tags=["ingest"])


class AnalysisCreate(BaseModel):
    full: bool = Field(default=False, description="Recompute every interaction, not only new or changed ones.")
    signals: bool = Field(default=True, description="Detect and store the ranked list of emerging signals.")


@router.post("/ingest", dependencies=[allow(ANALYSE)], operation_id="ingestFile")
def ingest_file(
    store: StoreDep,
    file: Annotated[UploadFile, File(description="The file to load (multipart/form-data).")],
    fmt: Annotated[
        str,
        Form(
            alias="format",
            description="auto (detect from the file), jsonl (interchange v1), utterance-csv, contact-lens, ccai, "
            "genesys or zendesk.",
        ),
    ] = "auto",
    source: Annotated[
        str | None,
        Form(max_length=100, description="The source system; records are keyed by (source, id). Default: the format."),
    ] = None,
    redact: Annotated[bool, Form(description="Redact PII in turn texts before they are stored.")] = True,
) -> dict[str, Any]:
    """Load one uploaded file (as `signalroom ingest`): the load summary with how many records were
    read, inserted, updated, unchanged and quarantined, and why. Bad records go to the quarantine;
    an unknown format is refused (422). Uploads are limited in size (413)."""
    return service.ingest_upload(store, file.file, filename=file.filename, fmt=fmt, source=source, redact=redact)


@router.get("/ingest/loads", dependencies=[allow(ANALYSE)], operation_id="listLoads")
def list_loads(store: StoreDep, params: PageDep) -> dict[str, Any]:
    """Every load, newest first, with its counts and quarantine reasons."""
    return page_of(service.loads(store), params)


@router.get("/quarantine", dependencies=[allow(ANALYSE)], operation_id="listQuarantine")
def list_quarantine(
    store: StoreDep,
    params: PageDep,
    status: Annotated[str, Query(description="pending, resolved or all.")] = "pending",
    source: Annotated[str | None, Query(description="Only entries from this source.")] = None,
    reason: Annotated[str | None, Query(description="Only entries with this reason code.")] = None,
) -> dict[str, Any]:
    """Quarantined records, oldest first (as `signalroom quarantine list`), without their raw text."""
    items, total = service.quarantine(
        store, status=status, source=source, reason=reason, limit=params.limit, offset=params.offset
    )
    return page(items, total, params)


@router.post("/analyze", dependencies=[allow(ANALYSE)], operation_id="runAnalysis")
def run_analysis(store: StoreDep, body: Annotated[AnalysisCreate | None, Body()] = None) -> dict[str, Any]:
    """Analyse what is new or changed (as `signalroom analyze`): redaction, reasons, sentiment,
    metrics and situation, then the episodes and signals. Answers the run's summary."""
    chosen = body or AnalysisCreate()
    return service.analyse(store, full=chosen.full, detect_signals=chosen.signals)
