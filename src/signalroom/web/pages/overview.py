"""The overview: KPIs with their trends and the ranked signals with their owners and status."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.api.services import analytics
from signalroom.auth.roles import EVERYONE, READ_AGGREGATES
from signalroom.web.render import home_for, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, dependencies=[allow(EVERYONE)])
def overview(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """KPI cards (this period against the one before) with daily charts, and the ranked signals."""
    if found.user.role not in READ_AGGREGATES:
        return RedirectResponse(home_for(found.user), status_code=303)
    data = analytics.overview(store, date_from=date_from, date_to=date_to)
    data["this_from"], data["this_to"] = data["from"], data["to"]  # "from" is a word of Jinja's own
    for card in data["kpis"]:
        card["chart_json"] = json.dumps(card["chart"], separators=(",", ":"))
    return render(request, "overview.html", data, user=found.user, csrf_token=found.csrf_token, title="Overview")
