"""The supervisors' live page: the sessions going on now (their teams' for a supervisor), each with
its reason and open compliance nudges, and the escalation alerts as they are raised — pushed by
the `/api/v1/assist/watch` WebSocket (docs/assist.md#supervisor-alerts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, allow, app_state
from signalroom.auth.roles import ASSIST_WATCH
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/live", response_class=HTMLResponse, dependencies=[allow(ASSIST_WATCH)], operation_id="livePage")
def live_page(request: Request, found: AuthDep) -> Response:
    """Live sessions and supervisor alerts, updated as they happen."""
    hub = app_state(request).assist
    scope = found.user.scope
    context = {
        "sessions": hub.live(scope) if hub else [],
        "alerts": list(reversed(hub.alerts_for(scope))) if hub else [],
        "scope": scope.describe(),
    }
    return render(request, "live.html", context, user=found.user, csrf_token=found.csrf_token, title="Live")
