"""What the analysis stages read: a stored interaction, with the journey around it.

Plain frozen dataclasses, built by the store from the warehouse tables, so each stage is a pure
function of them and can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TurnView:
    seq: int
    speaker: str  # customer | agent | bot | system
    text: str
    at: datetime | None = None  # chats, emails
    offset_ms: int | None = None  # calls: from the start of the interaction
    end_ms: int | None = None


@dataclass(frozen=True, slots=True)
class CallEventView:
    type: str  # hold_start, hold_end, transfer, mute, …
    offset_ms: int


@dataclass(frozen=True, slots=True)
class JourneyEvent:
    """A self-service or digital event of the same customer (before or after the interaction)."""

    type: str
    at: datetime
    channel: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InteractionView:
    source: str
    id: str
    channel: str
    started_at: datetime
    ended_at: datetime | None
    turns: tuple[TurnView, ...]
    events_in_call: tuple[CallEventView, ...] = ()
    queue: str | None = None
    direction: str | None = None
    language: str | None = None
    agent_id: str | None = None
    agent_team: str | None = None
    parent_id: str | None = None
    customer_name: str | None = None
    resolved: bool | None = None
    disposition: str | None = None
    transferred: bool | None = None
    escalated: bool | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # The same customer's self-service events shortly before the interaction, oldest first
    # (filled by the store when identities match; empty when nothing is known).
    events_before: tuple[JourneyEvent, ...] = ()
    # The turns' text was redacted before it was stored (``signalroom ingest``'s default).
    redacted_at_ingest: bool = False

    def customer_turns(self) -> tuple[TurnView, ...]:
        return tuple(t for t in self.turns if t.speaker == "customer")

    def customer_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.speaker == "customer")
