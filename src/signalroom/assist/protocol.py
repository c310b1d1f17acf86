"""The live-session protocol (docs/assist.md#protocol): what a telephony or chat platform sends,
one JSON object per WebSocket frame or HTTP request, validated strictly so a malformed message
gets an error that names the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from signalroom.interchange.models import AgentRef, Channel, CustomerRef, Direction, Identifier, TypeName

MAX_TEXT = 20_000  # characters in one turn: a transcript segment, not a document
MAX_HANDOFF_TURNS = 500


class ProtocolError(ValueError):
    """A message that cannot be taken: the message names what is wrong and where."""

    def __init__(self, message: str, *, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HandoffTurn(_Message):
    speaker: Literal["customer", "bot", "agent", "system"]
    text: str = Field(max_length=MAX_TEXT)
    at: datetime | None = None


class Handoff(_Message):
    """Where the session came from: a bot (its conversation, sent along or stored) or a transfer."""

    kind: Literal["bot", "transfer", "ivr"] = "bot"
    interaction_id: Identifier | None = None  # the stored bot or previous interaction, when there is one
    source: Identifier | None = None
    turns: list[HandoffTurn] = Field(default_factory=list, max_length=MAX_HANDOFF_TURNS)
    summary: str | None = Field(default=None, max_length=MAX_TEXT)


class SessionInfo(_Message):
    id: Identifier  # the platform's id for the call or chat; the stored interaction gets it
    channel: Channel
    customer: CustomerRef
    agent: AgentRef | None = None
    started_at: datetime | None = None  # default: when the session starts here
    queue: str | None = Field(default=None, max_length=256)
    direction: Direction | None = None
    language: str | None = Field(default=None, max_length=35)
    collection: str | None = Field(default=None, max_length=256)  # keep article suggestions to one
    handoff: Handoff | None = None


class Start(_Message):
    type: Literal["start"]
    session: SessionInfo


class TurnIn(_Message):
    type: Literal["turn"]
    speaker: Literal["customer", "agent", "bot", "system"]
    text: str = Field(max_length=MAX_TEXT)
    offset_ms: int | None = Field(default=None, ge=0)  # from the start of the interaction
    end_ms: int | None = Field(default=None, ge=0)
    at: datetime | None = None


class EventIn(_Message):
    """An in-call event: hold_start, hold_end, transfer, mute, identity_verified, …"""

    type: Literal["event"]
    event: TypeName
    offset_ms: int | None = Field(default=None, ge=0)


class Tick(_Message):
    """The interaction's clock moved with nothing said (time-based nudges are due)."""

    type: Literal["tick"]
    offset_ms: int = Field(ge=0)


class Outcome(_Message):
    resolved: bool | None = None
    disposition: str | None = Field(default=None, max_length=256)
    transferred: bool | None = None
    escalated: bool | None = None


class End(_Message):
    type: Literal["end"]
    outcome: Outcome | None = None
    ended_at: datetime | None = None


InSession = Annotated[TurnIn | EventIn | Tick | End, Field(discriminator="type")]
Incoming = Annotated[Start | TurnIn | EventIn | Tick | End, Field(discriminator="type")]
_INCOMING: TypeAdapter[Any] = TypeAdapter(Incoming)
_IN_SESSION: TypeAdapter[Any] = TypeAdapter(InSession)
TYPES = ("start", "turn", "event", "tick", "end")


def _problem(exc: ValidationError, kind: str) -> str:
    parts = []
    for error in exc.errors()[:5]:
        loc = error["loc"][1:] if error["loc"][:1] == (kind,) else error["loc"]  # the union's tag first
        where = ".".join(str(p) for p in loc) or "message"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def parse(raw: str | bytes | dict[str, Any], *, in_session: bool = False) -> Start | TurnIn | EventIn | Tick | End:
    """One incoming message from its JSON text (or decoded object); ``in_session``: not a start."""
    if isinstance(raw, dict):
        data: Any = raw
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError(f"the message is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message is a JSON object with a type, not {type(data).__name__}")
    kind = data.get("type")
    allowed = TYPES[1:] if in_session else TYPES
    if kind not in allowed:
        raise ProtocolError(f"unknown message type {kind!r}: expected one of {', '.join(allowed)}")
    try:
        message: Start | TurnIn | EventIn | Tick | End = (_IN_SESSION if in_session else _INCOMING).validate_python(
            data
        )
    except ValidationError as exc:
        raise ProtocolError(f"{kind} message: {_problem(exc, str(kind))}") from None
    return message
