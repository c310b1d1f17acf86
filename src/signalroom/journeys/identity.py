"""Identity resolution: which records belong to one person, after every load and on demand.

Records (customer profiles, interactions, events, surveys) that share a normalised identifier
belong to one person, transitively — except that two different customer ids of one source are
never merged through a weak identifier they share (see :mod:`signalroom.journeys.identity_graph`).
Manual merges and splits are stored apart and applied on every resolution.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from signalroom.journeys.identifiers import (
    DEFAULT_PHONE_REGION,
    Identifier,
    IdentifierError,
    candidates,
    check_region,
    normalise,
    parse_typed,
)
from signalroom.journeys.identity_graph import IdentityGraph, cluster
from signalroom.store import Store
from signalroom.store.identity import (
    add_override,
    forget_derived,
    get_state,
    graph_arrays,
    last_load_id,
    remove_override,
    set_state,
    sync_records,
)
from signalroom.store.identity_people import Moves, person_numbers, write_conflicts, write_moves
from signalroom.store.identity_reads import (
    IdentifierRef,
    PersonRef,
    find_identifiers,
    identity_counts,
    person_by_number,
)

_PERSON = re.compile(r"^(?:person:p?|p)(\d+)$", re.IGNORECASE)


class IdentityLookupError(LookupError):
    """Nobody, or more than one person, answers to what was asked."""


@dataclass(frozen=True)
class ResolveSummary:
    mode: str  # incremental | full
    records_read: int  # records of new loads (all of them in a full resolution)
    values_normalised: int  # raw identifier values seen for the first time
    records_placed: int  # records whose person was (re)computed
    people: int
    identifiers: int
    records: int  # records that belong to a person
    unplaced: int  # records none of whose identifiers identifies anybody
    conflicts: int
    overrides: int
    phone_region: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def phone_region(store: Store) -> str:
    return get_state(store, "phone_region") or DEFAULT_PHONE_REGION


def resolve(store: Store, *, full: bool = False, region: str | None = None) -> ResolveSummary:
    """Bring the people up to date with the records: incrementally (records of loads since the
    last resolution), or from scratch with ``full``. A new ``region`` (for phone numbers written
    without their country code) is stored and implies a full resolution."""
    started = time.perf_counter()
    current = phone_region(store)
    if region is not None:
        region = check_region(region)
        full = full or region != current
        current = region
    with store.transaction():
        if full:
            forget_derived(store, normalisations=True)
        set_state(store, "phone_region", current)
        since = int(get_state(store, "resolved_load") or 0)
        through = last_load_id(store)

        def normalise_all(kinds: list[str], raws: list[str]) -> list[str | None]:
            return [normalise(kind, raw, current) for kind, raw in zip(kinds, raws, strict=True)]

        read, fresh = sync_records(store, since, normalise_all)
        placed = _resolve_graph(store)
        set_state(store, "resolved_load", str(through))
        counts = identity_counts(store)
    return ResolveSummary(
        mode="full" if full or since == 0 else "incremental",
        records_read=read,
        values_normalised=fresh,
        records_placed=placed,
        people=counts["people"],
        identifiers=counts["identifiers"],
        records=counts["records"],
        unplaced=counts["unplaced"],
        conflicts=counts["conflicts"],
        overrides=counts["overrides"],
        phone_region=current,
        seconds=round(time.perf_counter() - started, 3),
    )


def _resolve_graph(store: Store) -> int:
    """Cluster the whole graph and store what moved; returns how many records were placed."""
    arrays = graph_arrays(store)
    graph = IdentityGraph(
        size=arrays.size,
        is_id=arrays.rank == 0,
        present=arrays.present,
        edges=arrays.edges,
        id_sources=arrays.id_sources,
        detached=arrays.detached,
        merges=arrays.merges,
    )
    result = cluster(graph)
    nodes = np.flatnonzero(result.labels >= 0)
    labels = result.labels[nodes]
    # Each person's anchor: its strongest kind of identifier, and of those the oldest (the
    # smallest node number), so adding identifiers never renumbers a person.
    key = arrays.rank[nodes].astype(np.int64) * (1 << 40) + nodes
    order = np.lexsort((key, labels))
    first = np.ones(order.size, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    anchors = order[first]  # one per label, in label order
    numbers = person_numbers(store, nodes[anchors], key[anchors])
    person = np.full(arrays.size, -1, dtype=np.int64)
    person[nodes] = numbers[labels]
    detached = np.zeros(arrays.size, dtype=bool)
    detached[arrays.detached] = True
    detached &= arrays.present
    contested = result.contested
    moved = arrays.present & (
        (person != arrays.person) | (contested != arrays.contested) | (detached != arrays.was_detached)
    )
    gone = (arrays.person >= 0) & ~arrays.present
    left = arrays.person[(moved | gone) & (arrays.person >= 0)]
    placed = write_moves(
        store,
        Moves(
            nodes=np.flatnonzero(moved),
            persons=person[moved],
            contested=contested[moved],
            detached=detached[moved],
            left=np.unique(left),
            gone=np.flatnonzero(gone),
        ),
    )
    write_conflicts(store, [(c.shared, c.customers) for c in result.conflicts])
    return placed


# -- finding a person -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    person_id: int
    asked: str
    matched: IdentifierRef | None  # the identifier that answered; None when asked by person id
    moved_from: int | None  # asked for a person since merged into this one


def find_person(store: Store, text: str) -> Found:
    """The person a command-line argument means: a person id (``P42``), ``kind:value``
    (``phone:07174 757654``), or a bare identifier of any kind, normalised as records are."""
    asked = text.strip()
    if not asked:
        raise IdentityLookupError("give a person id (P42), an identifier (kind:value) or a bare identifier")
    region = phone_region(store)
    person = _PERSON.match(asked)
    if person:
        number = int(person.group(1))
        ref = person_by_number(store, number)
        if ref is not None:
            return Found(ref.person_id, asked, None, number if ref.person_id != number else None)
        if asked.lower().startswith("person:"):
            raise IdentityLookupError(f"no person P{number}")
    try:
        typed = parse_typed(asked, region)
    except IdentifierError as exc:
        raise IdentityLookupError(str(exc)) from exc
    options = [typed] if typed is not None else candidates(asked, region)
    if not options:
        raise IdentityLookupError(
            f"{asked!r} is not an identifier: not a person id, customer id, email, phone, handle or account"
        )
    found = find_identifiers(store, _pairs(options))
    people = {ref.person_id for ref in found}
    if not found:
        tried = ", ".join(str(o) for o in options)
        raise IdentityLookupError(f"no customer known by {asked!r} (looked for {tried})")
    if len(people) > 1:
        listing = "; ".join(f"{ref.identifier} (P{ref.person_id})" for ref in found)
        raise IdentityLookupError(f"{asked!r} matches several people: {listing}; say which with kind:value")
    return Found(found[0].person_id, asked, found[0].identifier, None)


def find_identifier(store: Store, text: str) -> PersonRef:
    """One stored identifier (not a person id): ``kind:value`` or a bare value that is exactly one."""
    region = phone_region(store)
    try:
        typed = parse_typed(text.strip(), region)
    except IdentifierError as exc:
        raise IdentityLookupError(str(exc)) from exc
    options = [typed] if typed is not None else candidates(text.strip(), region)
    found = find_identifiers(store, _pairs(options))
    if not found:
        raise IdentityLookupError(f"no identifier {text.strip()!r} is carried by any record")
    if len(found) > 1:
        listing = ", ".join(str(ref.identifier) for ref in found)
        raise IdentityLookupError(f"{text.strip()!r} could be {listing}: say which with kind:value")
    return found[0]


def _pairs(identifiers: list[Identifier]) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in identifiers]


def _anchor_of(store: Store, text: str) -> IdentifierRef:
    """The identifier that stands for what was asked: the identifier itself, or a person's anchor."""
    found = find_person(store, text)
    if found.matched is not None:
        return found.matched
    ref = person_by_number(store, found.person_id)
    assert ref is not None
    return ref.identifier


# -- manual overrides -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideResult:
    override_id: int
    action: str
    identifiers: list[str]
    person_id: int  # the person the (first) identifier belongs to afterwards
    removed_merges: list[int]
    resolution: ResolveSummary

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["person_id"] = f"P{self.person_id}"
        return data


def merge(store: Store, first: str, second: str, note: str | None = None) -> OverrideResult:
    """Record that the people ``first`` and ``second`` (person ids or identifiers) are one."""
    a, b = find_person(store, first), find_person(store, second)
    if a.person_id == b.person_id:
        raise IdentityLookupError(f"{first!r} and {second!r} are already one person (P{a.person_id})")
    left, right = _anchor_of(store, first), _anchor_of(store, second)
    with store.transaction():
        override_id, _ = add_override(store, "merge", (left.kind, left.value), (right.kind, right.value), note)
    summary = resolve(store)
    person = find_person(store, str(left)).person_id
    return OverrideResult(override_id, "merge", [str(left), str(right)], person, [], summary)


def split(store: Store, identifier: str, note: str | None = None) -> OverrideResult:
    """Detach an identifier from its person: it no longer links records to anyone, and the
    records that carry only it become a person of their own."""
    ref = find_identifier(store, identifier)
    if ref.identifiers_in_person <= 1:
        raise IdentityLookupError(
            f"{ref.identifier} is the only identifier of P{ref.person_id}: there is nothing to split"
        )
    with store.transaction():
        override_id, removed = add_override(store, "split", (ref.identifier.kind, ref.identifier.value), None, note)
    summary = resolve(store)
    person = find_person(store, str(ref.identifier)).person_id
    return OverrideResult(override_id, "split", [str(ref.identifier)], person, removed, summary)


def undo(store: Store, override_id: int) -> ResolveSummary:
    with store.transaction():
        if not remove_override(store, override_id):
            raise IdentityLookupError(f"no override {override_id}: see `signalroom customers overrides`")
    return resolve(store)
