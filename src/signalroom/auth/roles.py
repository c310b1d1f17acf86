"""The roles and what each one's data access is scoped to (docs/serve.md#roles)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    QA = "qa"
    SUPERVISOR = "supervisor"
    ADVISOR = "advisor"
    EXECUTIVE = "executive"


ROLES: tuple[Role, ...] = tuple(Role)

# Who may do what: every route names one of these groups (or its own tuple) and the route-table
# test holds each route to it.
EVERYONE: tuple[Role, ...] = ROLES
READ_AGGREGATES = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR, Role.EXECUTIVE)
READ_INTERACTIONS = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR, Role.ADVISOR)
READ_CUSTOMERS = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR)
ANALYSE = (Role.ADMIN, Role.ANALYST)
FLAG_SIGNALS = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR, Role.ADVISOR)
MANAGE_ACTIONS = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR)
QA_MANAGE = (Role.ADMIN, Role.QA)
QA_READ = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR)
DISPUTE = (Role.ADMIN, Role.QA, Role.SUPERVISOR, Role.ADVISOR)
COACHING = (Role.ADMIN, Role.ANALYST, Role.QA, Role.SUPERVISOR, Role.ADVISOR)
ADMIN_ONLY = (Role.ADMIN,)
# Live assist: a platform streams with an admin's token, an advisor streams their own calls;
# supervisors (their teams), QA and admins watch the live sessions and alerts.
ASSIST_STREAM = (Role.ADMIN, Role.SUPERVISOR, Role.ADVISOR)
ASSIST_WATCH = (Role.ADMIN, Role.QA, Role.SUPERVISOR)


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which interactions and agents a user may see: all of them, their teams' or their own.

    ``teams`` is set for a supervisor (possibly empty: nothing), ``agent_id`` for an advisor.
    """

    teams: tuple[str, ...] | None = None
    agent_id: str | None = None
    own_only: bool = False

    @property
    def everything(self) -> bool:
        return self.teams is None and not self.own_only

    def allows(self, *, agent_id: str | None, team: str | None) -> bool:
        """Whether an interaction or answer handled by this agent, in this team, is visible."""
        if self.own_only:
            return self.agent_id is not None and agent_id == self.agent_id
        if self.teams is not None:
            return team is not None and team in self.teams
        return True

    def describe(self) -> str:
        if self.own_only:
            return f"own interactions (agent {self.agent_id})"
        if self.teams is not None:
            return f"teams {', '.join(self.teams) or '(none)'}"
        return "everything"


def scope_for(role: Role, *, teams: tuple[str, ...], agent_id: str | None) -> Scope:
    if role is Role.SUPERVISOR:
        return Scope(teams=teams)
    if role is Role.ADVISOR:
        return Scope(agent_id=agent_id, own_only=True)
    return Scope()
