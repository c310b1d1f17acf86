"""Coaching plans (docs/qa.md#coaching): for one agent, the behaviours to improve first — the
criteria where agent consistency finds them failing more than peers on the same reasons — each
with the agent's own examples and their evidence, beside a peer's handling of the same situation
that passed, with its evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from signalroom.qa.agents import AgentFinding, agent_consistency
from signalroom.store import qa as qa_store
from signalroom.store.warehouse import Store


@dataclass(frozen=True)
class Behaviour:
    scorecard_id: str
    criterion_id: str
    failures: int
    answers: int
    expected: float  # from peers on the same reasons
    q_value: float
    own: list[dict[str, Any]]  # the agent's failing interactions, with explanation and evidence
    exemplar: dict[str, Any] | None  # a peer's interaction of the same reason that passed


@dataclass(frozen=True)
class CoachingPlan:
    agent_id: str
    team: str | None
    behaviours: list[Behaviour]
    strengths: list[str]  # criteria where the agent is an exemplar for peers

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def coaching_plan(
    store: Store, agent_id: str, *, top: int = 3, examples: int = 2, consistency: Sequence[AgentFinding] | None = None
) -> CoachingPlan | None:
    """None when the agent has no scored interaction. ``consistency``: every agent's findings at the
    default test settings when the caller already has them (the command centre computes them once)."""
    everyone = agent_consistency(store, examples=0) if consistency is None else consistency
    findings = [f for f in everyone if f.agent_id == agent_id]
    if not findings and not qa_store.agent_scored(store, agent_id):
        return None
    exemplars = {(f.scorecard_id, f.criterion_id): f.agent_id for f in everyone if f.finding == "exemplar"}
    ranked = sorted((f for f in findings if f.finding == "coaching"), key=lambda f: f.expected - f.failures)
    behaviours = []
    for f in ranked[:top]:
        own = qa_store.agent_answers(store, agent_id, f.scorecard_id, f.criterion_id, "fail", examples)
        reason = own[0]["topic_id"] if own else None
        peer = exemplars.get((f.scorecard_id, f.criterion_id))
        exemplar = qa_store.peer_example(store, agent_id, f.scorecard_id, f.criterion_id, reason, prefer=peer)
        behaviours.append(
            Behaviour(f.scorecard_id, f.criterion_id, f.failures, f.answers, f.expected, f.q_value, own, exemplar)
        )
    strengths = [f"{f.scorecard_id}/{f.criterion_id}" for f in findings if f.finding == "exemplar"]
    team = findings[0].team if findings else None
    return CoachingPlan(agent_id, team, behaviours, strengths)
