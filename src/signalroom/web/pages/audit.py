"""The audit log page (admins): who viewed which transcript or customer, who exported what, logins
and changes to users, filtered by user and action, newest first."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.auth import audit
from signalroom.auth import users as auth
from signalroom.auth.roles import ADMIN_ONLY
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _link(user: str | None = None, action: str | None = None, offset: int = 0) -> str:
    query = {k: v for k, v in (("user", user), ("action", action), ("offset", offset or None)) if v}
    return "/audit" + (f"?{urlencode(query)}" if query else "")


@router.get("/audit", response_class=HTMLResponse, dependencies=[allow(ADMIN_ONLY)], operation_id="auditPage")
def audit_page(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    user: Annotated[str | None, Query(max_length=64, description="Only this user's entries.")] = None,
    action: Annotated[str | None, Query(max_length=40, description="Only this action.")] = None,
    offset: Annotated[int, Query(ge=0, description="How many entries to skip.")] = 0,
) -> Response:
    """The audit log with filters and a pager."""
    user = (user or "").strip() or None
    action = action or None
    if action is not None and action not in audit.ACTIONS:
        raise ApiError(422, f"unknown action {action!r}: use one of {', '.join(audit.ACTIONS)}")
    rows, total = audit.entries(store, username=user, action=action, limit=PAGE_SIZE, offset=offset)
    for row in rows:
        row["detail_text"] = orjson.dumps(row["detail"]).decode() if row["detail"] else ""
    following = offset + PAGE_SIZE
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "previous": max(offset - PAGE_SIZE, 0) if offset else None,
        "following": following if following < total else None,
        "user_filter": user,
        "action_filter": action,
        "actions": audit.ACTIONS,
        "usernames": sorted({"cli", *(u.username for u in auth.list_users(store))}),
        "link": _link,
    }
    return render(request, "audit.html", context, user=found.user, csrf_token=found.csrf_token, title="Audit log")
