"""What the agent sees when a live session starts (docs/assist.md#at-session-start): the handoff
context card and, when the customer comes from a bot, that bot conversation."""

from __future__ import annotations

import contextlib
from typing import Any

from signalroom.assist.protocol import SessionInfo
from signalroom.journeys.context import ContextError, build_card
from signalroom.journeys.identifiers import KINDS
from signalroom.journeys.identity import IdentityLookupError, find_person
from signalroom.store import assist_reads
from signalroom.store.warehouse import Store


def _person(store: Store, info: SessionInfo) -> int | None:
    for kind in KINDS:  # strongest first
        value = getattr(info.customer, kind)
        if value:
            with contextlib.suppress(IdentityLookupError):
                return find_person(store, f"{kind}:{value}").person_id
    return None


def start_context(store: Store, info: SessionInfo) -> dict[str, Any]:
    """The card, the bot conversation and notes on what could not be found. ``store`` is read only."""
    notes: list[str] = []
    handoff = info.handoff
    subject: tuple[str, str] | None = None
    bot: dict[str, Any] | None = None
    turns: list[dict[str, Any]]
    if handoff is not None:
        if handoff.interaction_id is not None:
            source = handoff.source
            found = assist_reads.interaction_turns(store, source, handoff.interaction_id) if source else []
            if source is None:
                notes.append("the handoff names an interaction but not its source: it cannot be read")
            elif not found and not handoff.turns:
                notes.append(f"the handed-off interaction {source}/{handoff.interaction_id} is not stored (yet)")
            else:
                subject = (source, handoff.interaction_id)
            turns = (handoff.turns and [t.model_dump(mode="json") for t in handoff.turns]) or _json(found)
        else:
            turns = [t.model_dump(mode="json") for t in handoff.turns]
        bot = {
            "kind": handoff.kind,
            "interaction": f"{handoff.source}/{handoff.interaction_id}" if handoff.interaction_id else None,
            "summary": handoff.summary,
            "turns": turns,
            "customer_said": [t["text"] for t in turns if t["speaker"] == "customer"],
        }
    if subject is None:
        person = _person(store, info)
        subject = assist_reads.latest_interaction_of(store, person) if person is not None else None
        if person is None:
            notes.append("the customer is not known by any identifier the session gives")
        elif subject is None:
            notes.append("the customer has no stored interaction yet")
        else:
            notes.append(f"the card is as of the customer's latest stored interaction ({subject[0]}/{subject[1]})")
    card = None
    if subject is not None:
        try:
            card = build_card(store, subject[1], source=subject[0]).to_dict()
        except ContextError as exc:
            notes.append(f"no context card: {exc}")
    return {"card": card, "handoff": bot, "notes": notes}


def _json(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"speaker": t["speaker"], "text": t["text"], "at": t["at"].isoformat() if t["at"] else None} for t in turns]
