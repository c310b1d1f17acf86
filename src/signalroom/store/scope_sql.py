"""The one SQL condition that limits rows to what a user may see (docs/serve.md#users-and-roles):
every list of interactions, answers, agents and drill-downs is filtered by it."""

from __future__ import annotations

from typing import Any

from signalroom.auth.roles import Scope


def scope_condition(
    scope: Scope, *, team_column: str = "i.agent_team", agent_column: str = "i.agent_id"
) -> tuple[str, list[Any]]:
    """A condition on the handling agent's team and id columns that holds only for what ``scope``
    allows: an advisor's own agent id, a supervisor's teams (none: nothing), or everything."""
    if scope.own_only:
        return (f"{agent_column} = ?", [scope.agent_id]) if scope.agent_id else ("FALSE", [])
    if scope.teams is not None:
        return (f"list_contains(?, {team_column})", [list(scope.teams)]) if scope.teams else ("FALSE", [])
    return "TRUE", []
