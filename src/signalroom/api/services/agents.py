"""Agents for the command centre (docs/qa.md#agent-consistency, #coaching): consistency against
peers handling the same reasons, coaching plans, and one agent's whole picture — what is measured
about them, how it compares, what to work on, their disputes. A supervisor sees their teams'
agents, an advisor only themselves. Shared by /api/v1/agents and the agents pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalroom.api import cache
from signalroom.api.errors import ApiError
from signalroom.api.services import qa as qa_service
from signalroom.auth.users import User
from signalroom.store import qa_lists
from signalroom.store.warehouse import Store

if TYPE_CHECKING:
    from signalroom.qa.agents import AgentFinding

FINDINGS = ("outliers", "all", "coaching", "exemplar", "in line")


def consistency(store: Store, min_answers: int = 20, alpha: float = 0.05) -> list[AgentFinding]:
    """Every agent's findings (cached): the agents pages, each coaching plan and the warm-up share them."""
    from signalroom.qa.agents import agent_consistency

    return cache.cached(store, ("agents.consistency", min_answers, alpha),
                        lambda: agent_consistency(store, min_answers=min_answers, alpha=alpha))  # fmt: skip


def findings(
    store: Store, user: User, *, finding: str = "outliers", min_answers: int = 20, alpha: float = 0.05
) -> list[dict[str, Any]]:
    """Agent × criterion findings of the agents the user may see: ``outliers`` (coaching and
    exemplar, as `signalroom qa agents` lists), ``all``, or one kind."""
    if finding not in FINDINGS:
        raise ApiError(422, f"finding {finding!r}: use {', '.join(FINDINGS)}",
                       fields=[{"location": "query.finding", "problem": "unknown"}])  # fmt: skip
    names = qa_service.criterion_names(store)
    out = []
    for f in consistency(store, min_answers, alpha):
        kept = finding == "all" or (finding == "outliers" and f.finding != "in line") or f.finding == finding
        if kept and user.scope.allows(agent_id=f.agent_id, team=f.team):
            name = names.get((f.scorecard_id, f.criterion_id), {}).get("name")
            out.append({**f.to_dict(), "criterion_name": name})
    return out


def agent_summaries(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per agent of these findings: how many behaviours need coaching and where they are exemplary."""
    agents: dict[str, dict[str, Any]] = {}
    for f in found:
        entry = agents.setdefault(f["agent_id"], {"agent_id": f["agent_id"], "team": f["team"], "coaching": [],
                                                  "exemplar": [], "tested": 0})  # fmt: skip
        entry["tested"] += 1
        if f["finding"] in ("coaching", "exemplar"):
            entry[f["finding"]].append(f"{f['scorecard_id']}/{f['criterion_id']}")
    return sorted(agents.values(), key=lambda a: (-len(a["coaching"]), -len(a["exemplar"]), a["agent_id"]))


def _visible_agent(store: Store, user: User, agent_id: str) -> str | None:
    """The agent's team when the user may see them, else 404."""
    exists, team = qa_lists.agent_team(store, agent_id)
    if not exists or not user.scope.allows(agent_id=agent_id, team=team):
        raise ApiError(404, f"no agent {agent_id!r} among those you may see")
    return team


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def coaching(store: Store, agent_id: str) -> dict[str, Any] | None:
    from signalroom.qa.coaching import coaching_plan

    def compute() -> dict[str, Any] | None:
        plan = coaching_plan(store, agent_id, consistency=consistency(store))
        return plan.to_dict() if plan else None

    return cache.cached(store, ("agents.coaching", agent_id), compute)


def agent(store: Store, user: User, agent_id: str) -> dict[str, Any]:
    """One agent: per criterion their answers against everyone else's and against what peers on the
    same reasons predict, their mean score per scorecard, their coaching plan with a peer's
    handling of the same situation, and their disputes."""
    team = _visible_agent(store, user, agent_id)
    names = qa_service.criterion_names(store)
    tested = {(f.scorecard_id, f.criterion_id): f for f in consistency(store) if f.agent_id == agent_id}
    criteria = []
    for row in qa_lists.agent_criteria(store, agent_id):
        key = (row["scorecard_id"], row["criterion_id"])
        about = names.get(key, {})
        found = tested.get(key)
        answered = row["passes"] + row["failures"]
        peers = row["peer_passes"] + row["peer_failures"]
        criteria.append({
            "scorecard_id": key[0], "criterion_id": key[1], "name": about.get("name"),
            "description": about.get("description"), "kind": about.get("kind"), "auto_fail": about.get("auto_fail"),
            "answers": answered, "passes": row["passes"], "failures": row["failures"],
            "not_applicable": row["not_applicable"], "fail_rate": _rate(row["failures"], answered),
            "peer_answers": peers, "peer_failures": row["peer_failures"],
            "peer_fail_rate": _rate(row["peer_failures"], peers),
            "expected_failures": found.expected if found else None,
            "finding": found.finding if found else "not tested",
            "q_value": found.q_value if found else None,
        })  # fmt: skip
    plan = coaching(store, agent_id)
    if plan is not None:
        # An advisor sees how a peer handled it, not which peer.
        hide = user.scope.own_only
        plan = {**plan, "behaviours": [
            {**b, "name": names.get((b["scorecard_id"], b["criterion_id"]), {}).get("name"),
             "exemplar": {**b["exemplar"], "agent_id": None} if b["exemplar"] and hide else b["exemplar"]}
            for b in plan["behaviours"]
        ]}  # fmt: skip
    scores = [
        {**s, "mean_score": None if s["mean_score"] is None else round(s["mean_score"], 4),
         "peer_mean_score": None if s["peer_mean_score"] is None else round(s["peer_mean_score"], 4)}
        for s in qa_lists.agent_scores(store, agent_id)
    ]  # fmt: skip
    return {
        "agent_id": agent_id,
        "team": team,
        "scores": scores,
        "criteria": criteria,
        "coaching": plan,
        "disputes": qa_lists.disputes(store, user.scope, agent_id=agent_id),
    }
