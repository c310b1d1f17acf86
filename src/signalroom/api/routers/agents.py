"""/api/v1/agents: agent consistency against peers on the same reasons, and one agent's scores,
coaching plan and disputes (docs/qa.md#agent-consistency). A supervisor sees their teams' agents,
an advisor only themselves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, page_of
from signalroom.api.services import agents as service
from signalroom.auth.roles import COACHING

router = APIRouter(prefix="/agents", tags=["agents"])


@router.get("", operation_id="listAgents", dependencies=[allow(COACHING)])
def list_agents(
    store: StoreDep,
    user: CurrentUser,
    params: PageDep,
    finding: Annotated[
        Literal["outliers", "all", "coaching", "exemplar", "in line"],
        Query(description="outliers: coaching and exemplar; all: also those in line with their peers."),
    ] = "outliers",
    min_answers: Annotated[int, Query(ge=1, le=10_000, description="Fewest answers to test an agent on.")] = 20,
    alpha: Annotated[float, Query(gt=0, le=0.5, description="False discovery rate.")] = 0.05,
) -> dict[str, Any]:
    """Per agent and criterion, failures against what peers handling the same reasons predict: who
    needs coaching on what, and whose handling is exemplary (of the agents the user may see)."""
    found = service.findings(store, user, finding=finding, min_answers=min_answers, alpha=alpha)
    return page_of(found, params)


@router.get("/{agent_id}", operation_id="getAgent", dependencies=[allow(COACHING)])
def get_agent(
    store: StoreDep, user: CurrentUser, agent_id: Annotated[str, Path(description="The agent's id.")]
) -> dict[str, Any]:
    """One agent: per criterion their answers against their peers', mean scores, their coaching plan
    with a peer's handling of the same situation, and their disputes. An advisor sees only their own."""
    return service.agent(store, user, agent_id)
