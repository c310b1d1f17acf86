"""The situation record and its evidence: plain frozen dataclasses with a JSON-ready round-trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Where a piece of evidence was found.
EVIDENCE_KINDS = ("turn", "event", "call_event", "field")
ENDINGS = ("resolved", "unresolved", "follow_up_promised", "transferred", "unknown")
TRIGGER_KINDS = (
    "self_service_failure",
    "previous_contact",
    "communication_received",
    "price_or_policy_change",
    "life_event",
)


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing that supports a field.

    ``kind="turn"``: ``turn_seq`` and the ``[start, end)`` character span of ``text`` in that turn.
    ``kind="event"``: ``event_index`` into ``view.events_before``, ``event_type`` and ``event_at``.
    ``kind="call_event"``: ``event_index`` into ``view.events_in_call`` and ``event_type``.
    ``kind="field"``: an outcome field of the view; ``text`` is ``"<field>=<value>"``.
    """

    kind: str
    rule: str
    text: str
    turn_seq: int | None = None
    start: int | None = None
    end: int | None = None
    event_index: int | None = None
    event_type: str | None = None
    event_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rule": self.rule, "text": self.text}
        for key in ("turn_seq", "start", "end", "event_index", "event_type"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.event_at is not None:
            out["event_at"] = self.event_at.isoformat()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        return cls(
            kind=d["kind"],
            rule=d["rule"],
            text=d["text"],
            turn_seq=d.get("turn_seq"),
            start=d.get("start"),
            end=d.get("end"),
            event_index=d.get("event_index"),
            event_type=d.get("event_type"),
            event_at=_parse_dt(d.get("event_at")),
        )


def _ev_list(items: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [e.to_dict() for e in items]


def _ev_tuple(items: Any) -> tuple[Evidence, ...]:
    return tuple(Evidence.from_dict(e) for e in items or ())


@dataclass(frozen=True, slots=True)
class Trigger:
    """What set the contact off. ``detail`` names the sub-kind (an event type, "letter", "moving_house", …)."""

    kind: str
    detail: str
    rule: str
    evidence: tuple[Evidence, ...]
    minutes_before: float | None = None  # self-service failures: last failure → contact start
    attempts: int | None = None  # self-service failures: how many failed attempts

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "detail": self.detail,
            "rule": self.rule,
            "evidence": _ev_list(self.evidence),
            "minutes_before": self.minutes_before,
            "attempts": self.attempts,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trigger:
        return cls(
            d["kind"], d["detail"], d["rule"], _ev_tuple(d.get("evidence")), d.get("minutes_before"), d.get("attempts")
        )


@dataclass(frozen=True, slots=True)
class Want:
    """What the customer wants resolved, as a short normalised phrase."""

    phrase: str
    rule: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "rule": self.rule, "evidence": _ev_list(self.evidence)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Want:
        return cls(d["phrase"], d["rule"], _ev_tuple(d.get("evidence")))


@dataclass(frozen=True, slots=True)
class FrictionStart:
    """Where friction started: the first failed self-service event, or the first problem turn."""

    source: str  # "event" | "turn"
    description: str
    rule: str
    evidence: tuple[Evidence, ...]
    minutes_before: float | None = None  # events: how long before the contact started

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "description": self.description,
            "rule": self.rule,
            "evidence": _ev_list(self.evidence),
            "minutes_before": self.minutes_before,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FrictionStart:
        return cls(d["source"], d["description"], d["rule"], _ev_tuple(d.get("evidence")), d.get("minutes_before"))


@dataclass(frozen=True, slots=True)
class Ending:
    """How the contact ended. ``due``: the promise's stated time ("within 48 hours"), ``due_by`` its deadline."""

    status: str
    evidence: tuple[Evidence, ...] = ()
    due: str | None = None
    due_by: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "evidence": _ev_list(self.evidence), "due": self.due, "due_by": _dt(self.due_by)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ending:
        return cls(d["status"], _ev_tuple(d.get("evidence")), d.get("due"), _parse_dt(d.get("due_by")))


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the customer will likely need next, and the rule that says so."""

    action: str
    rule: str
    due_by: datetime | None = None
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "rule": self.rule,
            "due_by": _dt(self.due_by),
            "evidence": _ev_list(self.evidence),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NextStep:
        return cls(d["action"], d["rule"], _parse_dt(d.get("due_by")), _ev_tuple(d.get("evidence")))


@dataclass(frozen=True, slots=True)
class Situation:
    interaction_id: str
    trigger: Trigger | None
    other_triggers: tuple[Trigger, ...]
    wants: Want | None
    friction_start: FrictionStart | None
    ended: Ending
    likely_next: tuple[NextStep, ...]
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "interaction_id": self.interaction_id,
            "trigger": self.trigger.to_dict() if self.trigger else None,
            "other_triggers": [t.to_dict() for t in self.other_triggers],
            "wants": self.wants.to_dict() if self.wants else None,
            "friction_start": self.friction_start.to_dict() if self.friction_start else None,
            "ended": self.ended.to_dict(),
            "likely_next": [n.to_dict() for n in self.likely_next],
            "flags": list(self.flags),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Situation:
        return cls(
            interaction_id=d["interaction_id"],
            trigger=Trigger.from_dict(d["trigger"]) if d.get("trigger") else None,
            other_triggers=tuple(Trigger.from_dict(t) for t in d.get("other_triggers") or ()),
            wants=Want.from_dict(d["wants"]) if d.get("wants") else None,
            friction_start=FrictionStart.from_dict(d["friction_start"]) if d.get("friction_start") else None,
            ended=Ending.from_dict(d["ended"]),
            likely_next=tuple(NextStep.from_dict(n) for n in d.get("likely_next") or ()),
            flags=tuple(d.get("flags") or ()),
        )
