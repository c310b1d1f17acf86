"""/api/v1/audit: the audit log, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from signalroom.api.deps import PageDep, StoreDep, allow, page
from signalroom.api.errors import ApiError
from signalroom.auth import audit
from signalroom.auth.roles import ADMIN_ONLY

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", dependencies=[allow(ADMIN_ONLY)], operation_id="listAudit")
def list_audit(
    store: StoreDep,
    params: PageDep,
    username: Annotated[str | None, Query(description="Only this user's entries.")] = None,
    action: Annotated[str | None, Query(description=f"Only this action: {', '.join(audit.ACTIONS)}.")] = None,
) -> dict[str, Any]:
    """Who viewed which transcript, who exported what, logins and user changes: newest first."""
    if action is not None and action not in audit.ACTIONS:
        raise ApiError(422, f"unknown action {action!r}: use one of {', '.join(audit.ACTIONS)}")
    rows, total = audit.entries(store, username=username, action=action, limit=params.limit, offset=params.offset)
    return page(rows, total, params)
