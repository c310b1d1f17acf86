"""One live session (docs/assist.md#protocol): the turns so far, the interaction's clock, the live
reason, the suggestions, the nudges and alerts — and, when it ends, the interchange record that
stores it as an ordinary interaction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from signalroom.assist.alerts import Alert, AlertState
from signalroom.assist.assistant import Assistant
from signalroom.assist.live_reason import LiveReason
from signalroom.assist.nudges import ComplianceState, Nudge
from signalroom.assist.protocol import End, EventIn, ProtocolError, SessionInfo, Tick, TurnIn
from signalroom.assist.types import Suggestion
from signalroom.store.assist_reads import OPENING_TURNS

SOURCE = "assist"  # where finished sessions are stored
MAX_TURNS = 5_000  # a live session longer than this is not a conversation
SUGGESTIONS = 3
REASON_TURNS = OPENING_TURNS
Status = Literal["live", "ended", "dropped", "failed"]


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


@dataclass
class LiveSession:
    info: SessionInfo
    assistant: Assistant
    opened_by: str  # the user who streams it
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: Status = "live"
    error: str | None = None
    clock_ms: int = 0
    turns: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    reason: LiveReason | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    nudges: list[Nudge] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    context: dict[str, Any] | None = None
    updates: int = 0
    outcome: dict[str, Any] | None = None
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.info.started_at is not None:
            self.started_at = self.info.started_at
        self._wall = time.monotonic()
        handoff = self.info.handoff
        self._compliance: ComplianceState = self.assistant.compliance.session(
            channel=self.info.channel,
            queue=self.info.queue,
            direction=self.info.direction,
            transferred_in=handoff is not None,
        )
        self._alerts: AlertState = self.assistant.alerts.session()
        # What the customer told the bot is part of the conversation so far.
        self._conversation: list[tuple[str, str]] = [
            (t.speaker, t.text) for t in (handoff.turns if handoff else ()) if t.speaker in ("customer", "bot")
        ]
        self._shown: set[str] = set()

    @property
    def key(self) -> str:
        return self.info.id

    def started(self, context: dict[str, Any] | None) -> dict[str, Any]:
        self.context = context
        return {"type": "started", "session": self.key, "context": context, **self._state()}

    def take(self, message: TurnIn | EventIn | Tick) -> dict[str, Any]:
        """One message in the session: the update the agent's screen shows after it."""
        began = time.perf_counter()
        if self.status != "live":
            raise ProtocolError(f"session {self.key!r} has ended ({self.status})", code="ended")
        changed: list[Nudge] = []
        raised: list[Alert] = []
        if isinstance(message, TurnIn):
            if len(self.turns) >= MAX_TURNS:
                raise ProtocolError(f"a session takes at most {MAX_TURNS} turns", code="too_long")
            clock = self._advance(message.offset_ms, message.at)
            self.turns.append(self._turn(message, clock))
            changed = self._compliance.turn(message.speaker, message.text, clock)
            raised = self._alerts.turn(message.speaker, message.text, clock)
            if message.text.strip():
                self._conversation.append((message.speaker, message.text))
                self._refresh(message.speaker)
        elif isinstance(message, EventIn):
            clock = self._advance(message.offset_ms, None)
            self.events.append({"type": message.event, "offset_ms": clock})
            changed = self._compliance.clock(clock)
        else:
            changed = self._compliance.clock(self._advance(message.offset_ms, None))
        self.nudges += changed
        self.alerts += raised
        self.updates += 1
        return {
            "type": "update",
            "session": self.key,
            "seq": self.updates,
            "clock_ms": self.clock_ms,
            "nudges": [n.to_dict() for n in changed],
            "alerts": [a.to_dict() for a in raised],
            **self._state(),
            "latency_ms": round((time.perf_counter() - began) * 1000, 3),
        }

    def _state(self) -> dict[str, Any]:
        return {
            "reason": self.reason.to_dict() if self.reason else None,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "open_nudges": [n.to_dict() for n in self._compliance.open_nudges],
        }

    def _advance(self, offset_ms: int | None, at: datetime | None) -> int:
        if offset_ms is not None:
            now = offset_ms
        elif at is not None:
            now = _ms(at - self.started_at)
        else:
            now = int((time.monotonic() - self._wall) * 1000)
        self.clock_ms = max(self.clock_ms, now)
        return self.clock_ms

    def _turn(self, message: TurnIn, clock: int) -> dict[str, Any]:
        turn: dict[str, Any] = {"speaker": message.speaker, "text": message.text, "offset_ms": clock}
        if message.end_ms is not None and message.end_ms >= clock:
            turn["end_ms"] = message.end_ms
        turn["at"] = (message.at or self.started_at + timedelta(milliseconds=clock)).isoformat()
        return turn

    def _refresh(self, speaker: str) -> None:
        # What the agent says rarely changes what resolves the issue: suggestions follow the
        # customer (and keep the agent's words as context), which halves the work per session.
        if speaker != "customer":
            return
        said = [text for who, text in self._conversation if who == "customer"]
        # The reason is learned from, and settled by, the opening turns.
        if len(said) <= REASON_TURNS or self.reason is None:
            self.reason = self.assistant.reasons.predict(" ".join(said)) or self.reason
        self.suggestions = self.assistant.suggester.suggest(
            self._conversation,
            collection=self.info.collection,
            reason=self.reason.label if self.reason else None,
            k=SUGGESTIONS,
        )
        self._shown.update(f"{s.kind}:{s.id}" for s in self.suggestions)

    def end(self, message: End | None = None, *, status: Status = "ended", error: str | None = None) -> dict[str, Any]:
        """Close the session (``dropped`` or ``failed`` with the error that ended it); the record
        to store."""
        if self.status == "live":
            self.status, self.error = status, error
            ended = (message.ended_at if message else None) or self.started_at + timedelta(milliseconds=self.clock_ms)
            self.ended_at = max(ended, self.started_at)
            if message is not None and message.outcome is not None:
                self.outcome = message.outcome.model_dump(exclude_none=True)
            self.nudges += self._compliance.clock(self.clock_ms)  # those that ran out at the end
        return self.record()

    def record(self) -> dict[str, Any]:
        """The interchange record of the session (docs/interchange.md), with what assist did in
        ``attributes.assist``."""
        info = self.info
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": info.id,
            "channel": info.channel,
            "started_at": self.started_at.isoformat(),
            "customer": info.customer.model_dump(exclude_none=True),
            "turns": self.turns,
            "events_in_call": self.events,
            "attributes": {
                "assist": {
                    "status": self.status,
                    "error": self.error,
                    "opened_by": self.opened_by,
                    "reason": self.reason.to_dict() if self.reason else None,
                    "suggested": sorted(self._shown),
                    "nudges": [n.to_dict() for n in self.nudges],
                    "alerts": [a.to_dict() for a in self.alerts],
                }
            },
        }
        if self.ended_at is not None:
            record["ended_at"] = self.ended_at.isoformat()
        for name in ("queue", "direction", "language"):
            if getattr(info, name) is not None:
                record[name] = getattr(info, name)
        if info.agent is not None:
            record["agent"] = info.agent.model_dump(exclude_none=True)
        if info.handoff is not None and info.handoff.interaction_id is not None:
            record["parent_id"] = info.handoff.interaction_id
        if self.outcome:
            record["outcome"] = self.outcome
        return record

    def summary(self) -> dict[str, Any]:
        """What the supervisor's live page lists."""
        agent = self.info.agent
        return {
            "session": self.key,
            "channel": self.info.channel,
            "queue": self.info.queue,
            "agent": agent.id if agent else None,
            "agent_name": agent.name if agent else None,
            "team": agent.team if agent else None,
            "started_at": self.started_at.isoformat(),
            "clock_ms": self.clock_ms,
            "turns": len(self.turns),
            "status": self.status,
            "reason": self.reason.to_dict() if self.reason else None,
            "open_nudges": [n.to_dict() for n in self._compliance.open_nudges],
            "alerts": [a.to_dict() for a in self.alerts],
            "last_customer_turn": next((t["text"] for t in reversed(self.turns) if t["speaker"] == "customer"), None),
        }
