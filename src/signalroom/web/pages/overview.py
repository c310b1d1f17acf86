"""The overview: KPIs with their trends and the ranked signals with their owners and status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.auth.roles import EVERYONE, READ_AGGREGATES
from signalroom.web.render import home_for, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, dependencies=[allow(EVERYONE)])
def overview(request: Request, store: StoreDep, found: AuthDep) -> Response:
    if found.user.role not in READ_AGGREGATES:
        return RedirectResponse(home_for(found.user), status_code=303)
    return render(request, "overview.html", {}, user=found.user, csrf_token=found.csrf_token, title="Overview")
