"""Customers for the API and the pages: search by any identifier (or name) and one person's
cross-channel timeline with the context card of their latest contact. Interactions on the timeline
are limited to those the user may see."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from signalroom.api.errors import ApiError
from signalroom.api.services.interactions import reading
from signalroom.auth import audit
from signalroom.auth.users import User
from signalroom.journeys.context import ContextError, build_card
from signalroom.journeys.identifiers import IdentifierError, candidates, parse_typed
from signalroom.journeys.identity import phone_region
from signalroom.store import interaction_lists as lists
from signalroom.store.identity_reads import (
    find_identifiers,
    list_people,
    person_by_number,
    person_detail,
    person_summaries,
)
from signalroom.store.warehouse import Store

TIMELINE_LIMIT = 200
# As `customers show` reads a person id (P42); a path may leave the P out.
_PERSON = re.compile(r"^(?:person:p?|p)(\d+)$", re.IGNORECASE)
_PERSON_PATH = re.compile(r"^p?(\d+)$", re.IGNORECASE)


def search(store: Store, q: str | None, *, limit: int = 20) -> list[dict[str, Any]]:
    """The people ``q`` names — a person id (P42), a customer id, email, phone, handle or account
    (normalised as records are; ``kind:value`` to say which), or part of a name — each with what
    matched; without ``q``, the people with the most contacts."""
    text = (q or "").strip()
    if not text:
        return [{**p.to_dict(), "matched": None} for p in list_people(store, limit)]
    matched: dict[int, str] = {}
    person = _PERSON.match(text)
    if person:
        ref = person_by_number(store, int(person.group(1)))
        if ref is not None:
            matched[ref.person_id] = f"person P{int(person.group(1))}"
    region = phone_region(store)
    try:
        typed = parse_typed(text, region)
    except IdentifierError as exc:
        raise ApiError(422, f"q: {exc}", fields=[{"location": "query.q", "problem": str(exc)}]) from None
    options = [typed] if typed is not None else candidates(text, region)
    for found in find_identifiers(store, [(o.kind, o.value) for o in options]):
        matched.setdefault(found.person_id, str(found.identifier))
    if typed is None and len(text) >= 2:
        for person_id in lists.people_named(store, text, limit):
            matched.setdefault(person_id, "name")
    people = person_summaries(store, list(matched)[:limit])
    return [{**p.to_dict(), "matched": matched[p.person_id]} for p in people]


def person_number(text: str) -> int:
    found = _PERSON_PATH.match(text.strip())
    if not found:
        raise ApiError(404, f"no customer {text!r}: a person id looks like P42")
    return int(found.group(1))


def person_view(store: Store, user: User, person: str, *, client: str | None) -> dict[str, Any]:
    """One person: names, identifiers, profiles, the timeline (interactions the user may see,
    events and surveys in time order) and the context card of their latest visible interaction.
    The view is recorded in the audit log."""
    number = person_number(person)
    ref = person_by_number(store, number)
    detail = person_detail(store, ref.person_id, TIMELINE_LIMIT) if ref is not None else None
    if ref is None or detail is None:
        raise ApiError(404, f"no customer P{number}")
    data = detail.to_dict()
    data["merged_from"] = f"P{number}" if ref.person_id != number else None
    scope = user.scope
    hidden = 0
    if not scope.everything:
        keys = [(e["source"], e["id"]) for e in data["timeline"] if e["record"] == "interaction"]
        owners = lists.interaction_owners(store, keys)
        shown = []
        for entry in data["timeline"]:
            if entry["record"] == "interaction":
                owner = owners.get((entry["source"], entry["id"]), (None, None))
                if not scope.allows(agent_id=owner[0], team=owner[1]):
                    hidden += 1
                    continue
            shown.append(entry)
        data["timeline"] = shown
    data["hidden_interactions"] = hidden
    latest = next((e for e in reversed(data["timeline"]) if e["record"] == "interaction"), None)
    data["card"] = None
    if latest is not None:
        with contextlib.suppress(ContextError):
            data["card"] = build_card(reading(store), latest["id"], source=latest["source"]).to_dict()
    audit.record(store, user, action="view_customer", resource=f"customer P{ref.person_id}", client=client)
    return data
