"""/api/v1/routing: the rules that choose each signal's owner (docs/routing.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from signalroom.api.deps import CurrentUser, StoreDep, allow
from signalroom.api.services import actions as service
from signalroom.auth.roles import ANALYSE, READ_AGGREGATES

router = APIRouter(prefix="/routing", tags=["routing"])


class RoutingUpdate(BaseModel):
    yaml: str = Field(min_length=1, max_length=200_000, description="Routing rules YAML: `rules` and `default`.")


@router.get("", operation_id="getRouting", dependencies=[allow(READ_AGGREGATES)])
def get_routing(store: StoreDep) -> dict[str, Any]:
    """The rules in use (the last set, else the shipped defaults): their YAML and parsed."""
    return service.routing(store)


@router.post("/lint", operation_id="lintRouting", dependencies=[allow(ANALYSE)])
def lint_routing(body: Annotated[RoutingUpdate, Body()]) -> dict[str, Any]:
    """Checks rules without setting them; an error names the line and the field."""
    return service.lint_routing(body.yaml)


@router.put("", operation_id="setRouting", dependencies=[allow(ANALYSE)])
def set_routing(store: StoreDep, user: CurrentUser, body: Annotated[RoutingUpdate, Body()]) -> dict[str, Any]:
    """Uses these rules from now on (a new version, set by you) and routes the stored signals again."""
    return service.set_routing(store, user, body.yaml)
