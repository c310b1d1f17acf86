"""What the customer will likely need next: rules keyed by the ending, the agent's words, trigger and reason."""

from __future__ import annotations

from signalroom.pipeline.situation import patterns as P
from signalroom.pipeline.situation.model import Ending, NextStep, Trigger, Want
from signalroom.pipeline.situation.text import Blob
from signalroom.pipeline.views import InteractionView, TurnView


def _when(ending: Ending) -> str:
    if ending.due_by is not None:
        return f"by {ending.due_by:%Y-%m-%d %H:%M}"
    return f"({ending.due})" if ending.due else "(no time stated)"


def _promised_thing(ending: Ending) -> str:
    text = " ".join(e.text.lower() for e in ending.evidence)
    if any(w in text for w in ("refund", "money", "credit")):
        return "refund or credit to arrive"
    if "card" in text:
        return "new card to arrive"
    if "review" in text or "merchant" in text:
        return "outcome of the review"
    return "promised outcome"


def likely_next(
    view: InteractionView,
    turns: list[TurnView],
    max_chars: int,
    reason: str | None,
    triggers: list[Trigger],
    wants: Want | None,
    ending: Ending,
) -> tuple[NextStep, ...]:
    steps: list[NextStep] = []
    seen: set[str] = set()

    def add(step: NextStep) -> None:
        if step.action not in seen:
            seen.add(step.action)
            steps.append(step)

    status = ending.status
    if status == "follow_up_promised":
        if any(e.rule == "end.callback" for e in ending.evidence):
            add(NextStep(f"follow-up call due {_when(ending)}", "next.callback_due", ending.due_by, ending.evidence))
        else:
            thing = _promised_thing(ending)
            add(NextStep(f"{thing} {_when(ending)}", "next.promise_due", ending.due_by, ending.evidence))
    agent = Blob([t for t in turns if t.speaker in ("agent", "bot")], max_chars)
    for rule, m in P.scan(P.NEXT_RULESET, agent.text, agent.low, first=True):
        add(NextStep(P.NEXT_ACTION[rule], rule, None, (agent.evidence(m.start(), m.end(), rule),)))
    if status == "transferred":
        add(NextStep("handling by the receiving team", "next.transferred", None, ending.evidence))
    if status == "unresolved":
        about = wants.phrase if wants else (reason.replace("_", " ") if reason else "the same issue")
        add(NextStep(f"repeat contact likely about {about}", "next.repeat_contact", None, ending.evidence))
    unresolved = status in ("unresolved", "transferred", "unknown")
    for t in triggers:
        if t.kind == "self_service_failure" and unresolved:
            add(NextStep(f"help completing the self-service step ({t.detail})", "next.self_service", None, t.evidence))
        if t.rule == "change.update" and status != "resolved":
            add(NextStep("a fix for the app update (known issue)", "next.known_issue", None, t.evidence))
    if reason and reason in P.REASON_NEXT and status in ("resolved", "follow_up_promised"):
        add(NextStep(P.REASON_NEXT[reason], f"next.reason.{reason}"))
    return tuple(steps)
