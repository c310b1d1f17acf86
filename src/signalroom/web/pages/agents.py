"""The agents pages: consistency and coaching findings (/agents: supervisors their teams, QA,
analysts and admins everyone) and one agent's whole picture (/agents/{agent_id}). An advisor is sent
to their own page, "My work": what is measured about them, how it compares, what to work on."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.api.services import agents as service
from signalroom.auth.roles import COACHING, DISPUTE
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/agents", response_class=HTMLResponse, dependencies=[allow(COACHING)])
def page_agents(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    finding: Annotated[Literal["outliers", "all", "coaching", "exemplar", "in line"], Query()] = "outliers",
) -> Response:
    user = found.user
    if user.scope.own_only:
        if not user.agent_id:
            raise ApiError(404, "your account has no agent id: ask an admin to set it")
        return RedirectResponse(f"/agents/{quote(user.agent_id, safe='')}", status_code=303)
    shown = service.findings(store, user, finding=finding)
    everyone = shown if finding == "all" else service.findings(store, user, finding="all")
    context = {"findings": shown, "agents": service.agent_summaries(everyone), "finding": finding}
    return render(request, "agents.html", context, user=user, csrf_token=found.csrf_token, title="Agents")


def _chart(criteria: list[dict[str, Any]]) -> dict[str, Any]:
    """Each criterion's failure rate: the agent's against everyone else's."""
    shown = [c for c in criteria if c["answers"]]
    return {
        "type": "bar",
        "data": {
            "labels": [c["name"] or c["criterion_id"] for c in shown],
            "datasets": [
                {
                    "label": "This agent",
                    "data": [round(100 * (c["fail_rate"] or 0), 1) for c in shown],
                    "backgroundColor": "#2456d6",
                },
                {
                    "label": "Everyone else",
                    "data": [round(100 * (c["peer_fail_rate"] or 0), 1) for c in shown],
                    "backgroundColor": "#9aa5b1",
                },
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100, "title": {"display": True, "text": "failed, % of applicable"}}},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


@router.get("/agents/{agent_id}", response_class=HTMLResponse, dependencies=[allow(COACHING)])
def page_agent(request: Request, store: StoreDep, found: AuthDep, agent_id: str) -> Response:
    user = found.user
    picture = service.agent(store, user, agent_id)
    own = user.scope.own_only
    context = {
        "agent": picture, "chart": _chart(picture["criteria"]), "own": own, "can_dispute": user.role in DISPUTE,

    }  # fmt: skip
    title = "My work" if own else f"Agent {agent_id}"
    return render(request, "agent.html", context, user=user, csrf_token=found.csrf_token, title=title)
