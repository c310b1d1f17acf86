"""The drivers page: per outcome, the drivers ranked by their share beyond baseline, each with a
drill-down to the interactions behind it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, Filters, PageParams, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.api.services import analytics
from signalroom.auth.roles import READ_AGGREGATES, READ_INTERACTIONS
from signalroom.journeys.drivers import OUTCOMES
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)

From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]
DRILL_PAGE = 50


def _period(date_from: date | None, date_to: date | None) -> dict[str, str]:
    return {k: v.isoformat() for k, v in (("from", date_from), ("to", date_to)) if v is not None}


def _chart(drivers: list[dict[str, Any]]) -> dict[str, Any]:
    """Horizontal bars of the share beyond baseline, in percent of all outcomes."""
    return {
        "type": "bar",
        "data": {
            "labels": [d["label"][:60] for d in drivers],
            "datasets": [{"label": "share beyond baseline (%)", "backgroundColor": "#2456d6",
                          "data": [round(100 * d["share_beyond"], 2) for d in drivers]}],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}},
                    "scales": {"x": {"beginAtZero": True, "title": {"display": True, "text": "% of outcomes"}}}},
    }  # fmt: skip


@router.get("/drivers", response_class=HTMLResponse, dependencies=[allow(READ_AGGREGATES)])
def drivers_page(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    outcome: str = "repeat_contact",
    date_from: From = None,
    date_to: To = None,
) -> Response:
    """Choose an outcome; see its drivers as bars and as a table, each row linking to its interactions."""
    config = analytics.drivers_config(Filters(date_from=date_from, date_to=date_to), outcome=outcome)
    unavailable: str | None = None
    try:
        report: dict[str, Any] | None = analytics.drivers_report(store, config)
    except ApiError as exc:
        if exc.status != 409:
            raise
        report, unavailable = None, exc.message  # no episodes yet: say so on the page itself
    period = _period(date_from, date_to)
    rows = [
        {**d, "drill": "/drivers/interactions?" + urlencode({"outcome": outcome, "driver": d["key"], **period})}
        for d in (report["drivers"] if report else [])
    ]
    context = {
        "outcomes": OUTCOMES,
        "outcome": outcome,
        "date_from": period.get("from", ""),
        "date_to": period.get("to", ""),
        "report": report,
        "unavailable": unavailable,
        "rows": rows,
        "chart_json": json.dumps(_chart(rows), separators=(",", ":")),
        "chart_height": 60 + 34 * len(rows),
        "can_drill": found.user.role in READ_INTERACTIONS,
    }
    return render(request, "drivers.html", context, user=found.user, csrf_token=found.csrf_token, title="Drivers")


@router.get("/drivers/interactions", response_class=HTMLResponse, dependencies=[allow(READ_INTERACTIONS)])
def driver_interactions_page(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    outcome: str,
    driver: str,
    date_from: From = None,
    date_to: To = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The interactions behind one driver, those whose contact had the outcome first."""
    params = PageParams(DRILL_PAGE, offset)
    listing = analytics.driver_interactions(
        store, found.user.scope, params, outcome=outcome, driver=driver, date_from=date_from, date_to=date_to
    )
    config = analytics.drivers_config(Filters(date_from=date_from, date_to=date_to), outcome=outcome)
    period = _period(date_from, date_to)
    base = {"outcome": outcome, "driver": driver, **period}
    following = listing["next_offset"]
    context = {
        "outcome": outcome,
        "driver": driver,
        "label": analytics.driver_label(store, config, driver),
        "listing": listing,
        "back": "/drivers?" + urlencode({"outcome": outcome, **period}),
        "next_href": None if following is None else "?" + urlencode({**base, "offset": following}),
        "previous_href": None if offset == 0 else "?" + urlencode({**base, "offset": max(0, offset - DRILL_PAGE)}),
    }
    return render(
        request, "drivers_drill.html", context, user=found.user, csrf_token=found.csrf_token,
        title="Interactions behind a driver",
    )  # fmt: skip
