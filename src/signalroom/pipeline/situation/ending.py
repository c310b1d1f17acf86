"""How the contact ended: transfers, the agent's last outcome, the customer's reaction, the outcome fields."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from signalroom.pipeline.situation import patterns as P
from signalroom.pipeline.situation.model import Ending, Evidence
from signalroom.pipeline.situation.text import Blob, deadline
from signalroom.pipeline.views import InteractionView, TurnView

DISPOSITIONS = {
    "resolved": "resolved",
    "contained": "resolved",
    "unresolved": "unresolved",
    "escalated": "unresolved",
    "callback_promised": "follow_up_promised",
    "follow_up_required": "follow_up_promised",
    "transferred": "transferred",
    "handed_off": "transferred",
}


def turn_time(view: InteractionView, turn: TurnView) -> datetime:
    if turn.at is not None:
        return turn.at
    if turn.offset_ms is not None:
        return view.started_at + timedelta(milliseconds=turn.offset_ms)
    return view.ended_at or view.started_at


def closing_window(turns: list[TurnView], closing_turns: int) -> list[TurnView]:
    """The closing turns, after the first customer turn and before a second reason is raised."""
    first = next((i for i, t in enumerate(turns) if t.speaker == "customer"), 0)
    end = len(turns)
    for i in range(first + 1, len(turns)):
        if turns[i].speaker == "customer" and P.SECONDARY_RE.search(turns[i].text):
            end = i
            break
    return turns[max(first + 1, end - closing_turns) : end]


def _fields(view: InteractionView) -> tuple[str | None, Evidence | None]:
    if view.transferred:
        return "transferred", Evidence("field", "field.transferred", "transferred=True")
    if view.disposition in DISPOSITIONS:
        return DISPOSITIONS[view.disposition], Evidence("field", "field.disposition", f"disposition={view.disposition}")
    if view.resolved is not None:
        status = "resolved" if view.resolved else "unresolved"
        return status, Evidence("field", "field.resolved", f"resolved={view.resolved}")
    return None, None


def decide_ending(
    view: InteractionView,
    turns: list[TurnView],
    max_chars: int,
    closing_turns: int,
    use_fields: bool,
    flags: list[str],
) -> Ending:
    window = closing_window(turns, closing_turns)
    agent = Blob([t for t in window if t.speaker in ("agent", "bot")], max_chars)
    customer = Blob([t for t in window if t.speaker == "customer"], max_chars)
    hits: dict[str, list[re.Match[str]]] = {}
    for rule, m in P.scan(P.AGENT_END_RULESET, agent.text, agent.low):
        hits.setdefault(rule, []).append(m)
    said: dict[str, list[re.Match[str]]] = {}
    for rule, m in P.scan(P.CUSTOMER_END_RULESET, customer.text, customer.low):
        said.setdefault(rule, []).append(m)

    rules = {id(m): r for table in (hits, said) for r, ms in table.items() for m in ms}

    def ev(blob: Blob, ms: list[re.Match[str]]) -> tuple[Evidence, ...]:
        return tuple(blob.evidence(m.start(), m.end(), rules[id(m)]) for m in ms)

    status = "unknown"
    evidence: tuple[Evidence, ...] = ()
    due: str | None = None
    due_by: datetime | None = None
    transfer_events = tuple(
        Evidence("call_event", "end.transfer_event", e.type, event_index=i, event_type=e.type)
        for i, e in enumerate(view.events_in_call)
        if e.type == "transfer"
    )
    done_turns = {agent.locate(m.start())[0].seq for m in hits.get("end.done", ())}
    promises = hits.get("end.callback", []) + [
        m for m in hits.get("end.pending", []) if agent.locate(m.start())[0].seq not in done_turns
    ]
    if transfer_events or "end.transfer" in hits:
        status, evidence = "transferred", transfer_events + ev(agent, hits.get("end.transfer", []))
    elif promises:
        status, evidence = "follow_up_promised", ev(agent, promises)
    elif "end.refusal" in hits:
        status, evidence = "unresolved", ev(agent, hits["end.refusal"])
    elif "end.done" in hits:
        status, evidence = "resolved", ev(agent, hits["end.done"])
    elif "close.unresolved" in said:
        status, evidence = "unresolved", ev(customer, said["close.unresolved"])
    elif "close.resolved" in said:
        status, evidence = "resolved", ev(customer, said["close.resolved"])
    # The promise's due time: the first stated time in a promising (or delivering) turn.
    for m in promises + hits.get("end.pending", []):
        turn, offset = agent.locate(m.start())
        text = turn.text[:max_chars]
        found = P.DUE_RE.search(text, offset) or P.DUE_RE.search(text)
        if found:
            due = found.group()
            due_by = deadline(turn_time(view, turn), found)
            break
    field_status, field_ev = _fields(view)
    if field_ev is not None and use_fields:
        if status == "unknown":
            status, evidence = field_status or "unknown", (field_ev,)
        else:
            if (status == "resolved") != (field_status == "resolved"):
                flags.append("outcome_fields_disagree")
            evidence = (*evidence, field_ev)
    return Ending(status, evidence, due, due_by)
