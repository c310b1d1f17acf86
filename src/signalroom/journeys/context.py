"""The handoff context card: what an agent should see when an interaction starts (docs/context.md).

Everything is as of the interaction's start: the customer, what they did in the hours before
(events, failed self-service, bot sessions, summarised extractively), their previous contacts, the
open episode, the commitments still open, and the likely next need (:mod:`next_issue`). It reads the
last episode build (contacts, episodes) and identity resolution; it never rebuilds them, except
that a warehouse with no episode build at all gets one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from signalroom.journeys.episodes import FAILURE_SUFFIXES, FAILURE_TYPES, build_episodes
from signalroom.journeys.next_issue import FittedModel, model_in_use
from signalroom.store import context as reads
from signalroom.store.episodes import SELF_SERVICE_CHANNELS
from signalroom.store.warehouse import Store

DEFAULT_HOURS = 72
PREVIOUS_CONTACTS = 5
BOT_TURNS = 4  # the last turns of a bot session shown
ACTION_LOOKBACK_DAYS = 30  # promises made longer ago than this are not looked for


class ContextError(ValueError):
    """An interaction that cannot be found, or found in several sources."""


@dataclass(frozen=True)
class Customer:
    identified: bool
    person_id: str | None  # P42
    name: str | None
    anchor: str | None  # kind:value
    identifiers: dict[str, int]  # kind → how many
    contacts_before: int  # the person's contacts that started before this interaction


@dataclass(frozen=True)
class Interaction:
    source: str
    id: str
    channel: str
    started_at: datetime
    queue: str | None
    direction: str | None
    contact_id: str | None  # the chain's first interaction
    chain: list[dict[str, Any]]  # the chain's interactions up to this one: source, id, channel, started_at, queue
    reason: str | None  # the contact's reason (as analysed)
    topic_id: int | None


@dataclass(frozen=True)
class BotSession:
    source: str
    id: str
    started_at: datetime
    in_chain: bool  # this interaction's chain began with it (a handoff)
    intent: str | None
    purpose: str | None  # the customer's own words (redacted)
    outcome: str | None  # disposition, or escalated / contained
    last_turns: list[dict[str, Any]]  # speaker, text


@dataclass(frozen=True)
class Prior:
    hours: int
    events: list[dict[str, Any]]  # at, type, channel, failed, source, id
    failed_self_service: list[str]  # "login_failed (web) 09:12" in time order
    bot_sessions: list[BotSession]


@dataclass(frozen=True)
class PreviousContact:
    source: str
    id: str
    started_at: datetime
    channel: str
    reason: str | None
    interactions: int
    resolved: bool | None
    outcome: str | None  # the situation stage's end status of the contact's last interaction
    sentiment: str | None  # the sentiment label of the contact's last interaction
    same_episode: bool


@dataclass(frozen=True)
class OpenEpisode:
    episode_id: int
    reason: str | None
    first_contact_at: datetime
    contacts_before: int  # the episode's contacts before this interaction's
    is_repeat: bool


@dataclass(frozen=True)
class OpenAction:
    kind: str  # promise (dated, not yet due) | expected (undated, within the window) | unresolved_contact
    action: str
    due_by: datetime | None
    origin: str  # situation | episode (an actions module adds its own)
    source: str  # the interaction or contact it comes from
    id: str
    at: datetime


@dataclass(frozen=True)
class LikelyNext:
    basis: str  # this contact's reason | the previous contact's reason | overall
    candidates: list[dict[str, Any]]  # topic_id, reason, probability
    contact_rate: float | None  # how often a contact about the basis reason is followed by another in the window
    held_out: dict[str, Any] | None  # the model's held-out top-1/top-3 against the baseline


@dataclass(frozen=True)
class ContextCard:
    interaction: Interaction
    customer: Customer
    prior: Prior
    previous_contacts: list[PreviousContact]
    open_episode: OpenEpisode | None
    open_actions: list[OpenAction]
    likely_next: LikelyNext | None
    episodes_built_at: datetime | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Extra sources of open actions (a later actions module): called with the store, the person and the
# card's moment; what they return is listed with the rest.
ActionSource = Callable[[Store, int, datetime], list[OpenAction]]


def _failed(event_type: str) -> bool:
    return event_type in FAILURE_TYPES or event_type.endswith(FAILURE_SUFFIXES)


def _subject(store: Store, interaction_id: str, source: str | None) -> dict[str, Any]:
    found = reads.find_interactions(store, interaction_id, source)
    if not found:
        where = f" in source {source!r}" if source is not None else ""
        raise ContextError(f"no interaction {interaction_id!r}{where}")
    if len(found) > 1:
        sources = ", ".join(r["source"] for r in found)
        raise ContextError(f"interaction {interaction_id!r} is in several sources ({sources}): name one with --source")
    return found[0]


def build_card(
    store: Store,
    interaction_id: str,
    *,
    source: str | None = None,
    hours: int = DEFAULT_HOURS,
    previous: int = PREVIOUS_CONTACTS,
    action_sources: Sequence[ActionSource] = (),
) -> ContextCard:
    if hours < 1:
        raise ContextError(f"hours must be at least 1, got {hours}")
    subject = _subject(store, interaction_id, source)
    key = (subject["source"], subject["id"])
    start: datetime = subject["started_at"]
    notes: list[str] = []
    build = reads.latest_build(store)
    if build is None and not store.read_only:
        build_episodes(store)
        build = reads.latest_build(store)
    fitted = model_in_use(store, build)
    labels = fitted.labels if fitted else {}
    place = reads.placement(store, *key)
    person = place.person_id if place else reads.person_of_record(store, "interaction", *key)
    if place is None:
        notes.append("this interaction is newer than the last episode build: its contact and episode are unknown")
    if person is None:
        notes.append("the customer is not identified: no identifier of this interaction links it to a person")
        contacts = reads.contact_rows(store, [(place.contact_source, place.contact_id)]) if place else []
        members = reads.chain_interactions(store, place.contact_source, place.contact_id) if place else [key]
        by_contact = {m: (place.contact_source, place.contact_id) for m in members} if place else {}
    else:
        contacts = reads.person_contacts(store, person)
        by_contact = reads.person_interaction_contacts(store, person)
    own = (place.contact_source, place.contact_id) if place else None
    earlier = [c for c in contacts if c["started_at"] < start and (c["contact_source"], c["contact_id"]) != own]
    shown = earlier[-previous:] if previous else []
    window = timedelta(days=fitted.model.window_days if fitted else 7)
    since = start - timedelta(hours=hours)
    lookback = start - timedelta(days=ACTION_LOOKBACK_DAYS)
    wanted_contacts = {(c["contact_source"], c["contact_id"]) for c in shown}
    wanted_contacts |= {
        (c["contact_source"], c["contact_id"]) for c in earlier if c["started_at"] >= min(since, lookback)
    }
    if own:
        wanted_contacts.add(own)
    wanted = [k for k, c in by_contact.items() if c in wanted_contacts and k != key]
    rows = reads.interactions_by_key(store, wanted)
    rows = {k: r for k, r in rows.items() if r["started_at"] < start}
    results = reads.conversation_results(store, rows)
    chain = sorted(
        [r for k, r in rows.items() if own and by_contact.get(k) == own] + [subject], key=lambda r: r["started_at"]
    )
    topic = place.topic_id if place else None
    interaction = Interaction(
        source=key[0],
        id=key[1],
        channel=subject["channel"],
        started_at=start,
        queue=subject["queue"],
        direction=subject["direction"],
        contact_id=own[1] if own else None,
        chain=[{k: r[k] for k in ("source", "id", "channel", "started_at", "queue")} for r in chain],
        reason=labels.get(topic, f"reason {topic}") if topic is not None else None,
        topic_id=topic,
    )
    customer = _customer(store, person, subject, len(earlier))
    prior = _prior(store, person, since, start, rows, by_contact, own, hours)
    last_of: dict[tuple[str, str], dict[str, Any]] = {}
    for k, r in sorted(rows.items(), key=lambda kv: kv[1]["started_at"]):
        if by_contact.get(k) is not None:
            last_of[by_contact[k]] = r
    episode_id = next((c["episode_id"] for c in contacts if (c["contact_source"], c["contact_id"]) == own), None)
    previous_contacts = [_previous(c, last_of, results, labels, episode_id) for c in reversed(shown)]
    episode = _episode(contacts, earlier, episode_id, topic, labels)
    actions = _open_actions(rows, results, start, window, earlier, episode_id, labels)
    for extra in action_sources:
        if person is not None:
            actions += extra(store, person, start)
    actions.sort(key=lambda a: (a.due_by is None, a.due_by or a.at, a.at))
    likely = _likely(fitted, topic, earlier, start, window)
    return ContextCard(
        interaction, customer, prior, previous_contacts, episode, actions, likely, build[0] if build else None, notes
    )


def _customer(store: Store, person: int | None, subject: dict[str, Any], before: int) -> Customer:
    if person is None:
        return Customer(False, None, subject["customer_name"], None, {}, 0)
    row = reads.person_row(store, person)
    kinds: dict[str, int] = {}
    for kind in (row or {}).get("kinds") or []:
        kinds[kind] = kinds.get(kind, 0) + 1
    name = (row or {}).get("name") or subject["customer_name"]
    anchor = f"{row['anchor_kind']}:{row['anchor_value']}" if row else None
    return Customer(True, f"P{person}", name, anchor, kinds, before)


def _prior(
    store: Store,
    person: int | None,
    since: datetime,
    start: datetime,
    rows: dict[tuple[str, str], dict[str, Any]],
    by_contact: dict[tuple[str, str], tuple[str, str]],
    own: tuple[str, str] | None,
    hours: int,
) -> Prior:
    events = []
    if person is not None:
        for e in reads.person_events(store, person, since, start):
            events.append(
                {"at": e["occurred_at"], "type": e["type"], "channel": e["channel"], "failed": _failed(e["type"]),
                 "source": e["source"], "id": e["id"]}
            )  # fmt: skip
    failed = [f"{e['type']} ({e['channel'] or '—'}) {e['at']:%Y-%m-%d %H:%M}" for e in events if e["failed"]]
    bots = [
        (k, r)
        for k, r in rows.items()
        if r["channel"] in SELF_SERVICE_CHANNELS and (r["started_at"] >= since or (own and by_contact.get(k) == own))
    ]
    bots.sort(key=lambda kr: kr[1]["started_at"])
    keys = [k for k, _ in bots]
    purposes = reads.purpose_texts(store, keys)
    turns = reads.last_turns(store, keys, BOT_TURNS)
    sessions = []
    for k, r in bots:
        outcome = r["disposition"] or ("escalated" if r["escalated"] else "contained" if r["resolved"] else None)
        intent = r["attributes"].get("intent")
        sessions.append(
            BotSession(k[0], k[1], r["started_at"], bool(own and by_contact.get(k) == own),
                       str(intent) if intent is not None else None, purposes.get(k), outcome, turns.get(k, []))
        )  # fmt: skip
    return Prior(hours, events, failed, sessions)


def _previous(
    contact: dict[str, Any],
    last_of: dict[tuple[str, str], dict[str, Any]],
    results: dict[tuple[str, str], dict[str, Any]],
    labels: dict[int, str],
    episode_id: int | None,
) -> PreviousContact:
    ck = (contact["contact_source"], contact["contact_id"])
    last = last_of.get(ck)
    found = results.get((last["source"], last["id"]), {}) if last else {}
    ended = found.get("ended") or {}
    topic = contact["topic_id"]
    return PreviousContact(
        source=ck[0],
        id=ck[1],
        started_at=contact["started_at"],
        channel=contact["channel"],
        reason=labels.get(topic, f"reason {topic}") if topic is not None else None,
        interactions=int(contact["interactions"]),
        resolved=contact["resolved"],
        outcome=ended.get("status"),
        sentiment=(found.get("sentiment") or {}).get("label"),
        same_episode=episode_id is not None and contact["episode_id"] == episode_id,
    )


def _episode(
    contacts: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
    episode_id: int | None,
    topic: int | None,
    labels: dict[int, str],
) -> OpenEpisode | None:
    if episode_id is None:
        return None
    mine = [c for c in contacts if c["episode_id"] == episode_id]
    before = [c for c in earlier if c["episode_id"] == episode_id]
    reason = labels.get(topic, f"reason {topic}") if topic is not None else None
    return OpenEpisode(episode_id, reason, mine[0]["started_at"], len(before), bool(before))


def _due(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _open_actions(
    rows: dict[tuple[str, str], dict[str, Any]],
    results: dict[tuple[str, str], dict[str, Any]],
    start: datetime,
    window: timedelta,
    earlier: list[dict[str, Any]],
    episode_id: int | None,
    labels: dict[int, str],
) -> list[OpenAction]:
    """Commitments from earlier conversations whose date has not passed at ``start`` (and undated
    ones from within the episode window), and the open episode's unresolved contacts."""
    actions = []
    for k, found in results.items():
        at = rows[k]["started_at"]
        dated = set()
        for item in found.get("likely_next") or []:
            due = _due(item.get("due_by"))
            if due is not None and due >= start:
                actions.append(OpenAction("promise", str(item.get("action")), due, "situation", k[0], k[1], at))
                dated.add(due)
            elif due is None and start - at <= window:
                actions.append(OpenAction("expected", str(item.get("action")), None, "situation", k[0], k[1], at))
        ended = found.get("ended") or {}
        due = _due(ended.get("due_by"))
        if due is not None and due >= start and due not in dated:
            what = f"{ended.get('status') or 'promised'}: {ended.get('due') or 'due'}"
            actions.append(OpenAction("promise", what, due, "situation", k[0], k[1], at))
    for c in earlier:
        if episode_id is not None and c["episode_id"] == episode_id and c["resolved"] is False:
            reason = labels.get(c["topic_id"], f"reason {c['topic_id']}")
            what = f"{c['channel']} contact about {reason} ended unresolved"
            actions.append(OpenAction("unresolved_contact", what, None, "episode", c["contact_source"],
                                      c["contact_id"], c["started_at"]))  # fmt: skip
    return actions


def _likely(
    fitted: FittedModel | None, topic: int | None, earlier: list[dict[str, Any]], start: datetime, window: timedelta
) -> LikelyNext | None:
    if fitted is None or not fitted.model.classes_:
        return None
    basis, basis_topic = "overall", None
    recent = [c for c in earlier if c["topic_id"] is not None and start - c["started_at"] <= window]
    if topic is not None:
        basis, basis_topic = "this contact's reason", topic
    elif recent:
        basis, basis_topic = "the previous contact's reason", int(recent[-1]["topic_id"])
    top = fitted.model.top(basis_topic, k=3)
    candidates = [
        {"topic_id": r, "reason": fitted.labels.get(r, f"reason {r}"), "probability": round(p, 3)} for r, p in top
    ]
    held = fitted.evaluation
    summary = None
    if held:
        summary = {
            "top1": held["at_start"]["top1"], "top3": held["at_start"]["top3"],
            "baseline_top1": held["baseline"]["top1"], "baseline_top3": held["baseline"]["top3"],
            "test_transitions": held["test_transitions"],
        }  # fmt: skip
    return LikelyNext(basis, candidates, fitted.model.contact_rate(basis_topic), summary)
