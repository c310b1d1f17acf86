"""/api/v1/interactions: interactions scoped to who asks, one in full, its context card; and
/api/v1/export/interactions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from signalroom.api.deps import CurrentUser, FiltersDep, PageDep, StoreDep, allow, client_address, page
from signalroom.api.services import interactions as service
from signalroom.auth.roles import READ_INTERACTIONS

router = APIRouter(tags=["interactions"])


Source = Annotated[str, Path(description="The interaction's source system.")]
InteractionId = Annotated[str, Path(description="The interaction's id within its source.")]


@router.get("/interactions", dependencies=[allow(READ_INTERACTIONS)], operation_id="listInteractions")
def list_interactions(store: StoreDep, user: CurrentUser, params: PageDep, filters: FiltersDep) -> dict[str, Any]:
    """The interactions the caller may see (a supervisor their teams', an advisor their own), newest
    first, narrowed by the common filters; each with its reason, sentiment label and mean QA score."""
    items, total = service.list_interactions(store, user, filters, limit=params.limit, offset=params.offset)
    return page(items, total, params)


@router.get(
    "/interactions/{source}/{interaction_id}",
    dependencies=[allow(READ_INTERACTIONS)],
    operation_id="getInteraction",
)
def get_interaction(
    request: Request, store: StoreDep, user: CurrentUser, source: Source, interaction_id: InteractionId
) -> dict[str, Any]:
    """One interaction: its redacted transcript (each turn's redaction marks as character spans),
    reason, sentiment curve, conversation metrics, situation, and QA answers with their evidence
    (turn seq and quoted span) and disputes. 404 outside the caller's scope. Recorded in the audit
    log as ``view_transcript``."""
    return service.interaction_view(store, user, source, interaction_id, client=client_address(request))


@router.get(
    "/interactions/{source}/{interaction_id}/context",
    dependencies=[allow(READ_INTERACTIONS)],
    operation_id="getInteractionContext",
)
def get_interaction_context(
    store: StoreDep, user: CurrentUser, source: Source, interaction_id: InteractionId
) -> dict[str, Any]:
    """The handoff context card of an interaction (as `signalroom context`): the customer, what they
    tried in the hours before, previous contacts, the open episode and actions, the likely next need."""
    return service.context_card(store, user, source, interaction_id)


@router.get("/export/interactions", dependencies=[allow(service.EXPORT_ROLES)], operation_id="exportInteractions")
def export_interactions(
    request: Request,
    store: StoreDep,
    user: CurrentUser,
    filters: FiltersDep,
    fmt: Annotated[str, Query(alias="format", description="jsonl or csv.")] = "jsonl",
) -> Response:
    """The matching interactions with every derived field (as `signalroom export interactions`), one
    row each, as a file to download. Recorded in the audit log as ``export`` with the filters and
    the row count."""
    content, rows = service.export_file(store, user, filters, fmt, client=client_address(request))
    name = service.export_name(fmt, datetime.now(UTC))
    return Response(
        content,
        media_type=service.EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Row-Count": str(rows)},
    )
