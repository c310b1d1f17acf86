"""The interchange format v1: the typed records every adapter produces and the warehouse stores.

Validation is strict (a JSON string is not an integer, a zone-less timestamp is not a timestamp),
because a silently coerced value is worse than a quarantined record with a clear reason.
Unknown fields are allowed by the models and moved into ``attributes`` by :func:`extra_attributes`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

FORMAT_VERSION = "1"

Channel = Literal["voice", "chat", "email", "sms", "messaging", "social", "bot", "ivr", "video", "in_person"]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
Speaker = Literal["customer", "agent", "bot", "system"]
SPEAKERS: tuple[str, ...] = Speaker.__args__  # type: ignore[attr-defined]
EventChannel = Literal["web", "app", "ivr", "bot", "store"]
Direction = Literal["inbound", "outbound"]

Timestamp = Annotated[
    AwareDatetime,
    Field(description="RFC 3339 timestamp with a UTC offset, e.g. 2026-03-02T09:15:00+01:00"),
]
Identifier = Annotated[str, Field(min_length=1, max_length=512)]
TypeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Attributes = Annotated[dict[str, Any], Field(description="Free map, kept and filterable.")]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class _Closed(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class CustomerRef(_Closed):
    """Who the customer is, as this channel knows them: at least one identifier."""

    id: Identifier | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)] | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    handle: Identifier | None = None
    account: Identifier | None = None
    name: Annotated[str, Field(max_length=256)] | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> CustomerRef:
        if not (self.id or self.email or self.phone or self.handle or self.account):
            raise ValueError("needs at least one of id, email, phone, handle, account")
        return self


class AgentRef(_Closed):
    id: Identifier
    name: Annotated[str, Field(max_length=256)] | None = None
    team: Annotated[str, Field(max_length=256)] | None = None
    site: Annotated[str, Field(max_length=256)] | None = None


class Turn(_Model):
    speaker: Speaker
    text: str
    at: Timestamp | None = None
    offset_ms: Annotated[int, Field(ge=0)] | None = None
    end_ms: Annotated[int, Field(ge=0)] | None = None


class CallEvent(_Model):
    type: TypeName = Field(description="hold_start, hold_end, transfer, mute, unmute, …")
    offset_ms: Annotated[int, Field(ge=0)]


class Outcome(_Closed):
    resolved: bool | None = None
    disposition: Annotated[str, Field(max_length=256)] | None = None
    transferred: bool | None = None
    escalated: bool | None = None


class SurveyAnswers(_Closed):
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    ces: Annotated[int, Field(ge=1, le=7)] | None = None
    comment: str | None = None


class Interaction(_Model):
    """One conversation on one channel: a call, a chat, an email thread, a bot session…"""

    kind: Literal["interaction"]
    id: Identifier
    channel: Channel
    started_at: Timestamp
    customer: CustomerRef
    ended_at: Timestamp | None = None
    agent: AgentRef | None = None
    queue: Annotated[str, Field(max_length=256)] | None = None
    direction: Direction | None = None
    language: Annotated[str, Field(max_length=35)] | None = None
    parent_id: Identifier | None = None
    turns: list[Turn] = Field(default_factory=list)
    events_in_call: list[CallEvent] = Field(default_factory=list)
    outcome: Outcome | None = None
    survey: SurveyAnswers | None = None
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Interaction:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        for index, turn in enumerate(self.turns):
            if turn.end_ms is not None and turn.offset_ms is not None and turn.end_ms < turn.offset_ms:
                raise ValueError(f"turns[{index}]: end_ms is before offset_ms")
        return self


class Event(_Model):
    """Self-service and digital behaviour: a page view, a failed payment, a bot handoff…"""

    kind: Literal["event"]
    customer: CustomerRef
    at: Timestamp
    type: TypeName = Field(description="page_view, search, faq_view, login_failed, payment_failed, …")
    id: Identifier | None = None
    channel: EventChannel | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    attributes: Attributes = Field(default_factory=dict)


class Survey(_Model):
    """A survey answered apart from an interaction."""

    kind: Literal["survey"]
    id: Identifier
    customer: CustomerRef
    at: Timestamp
    interaction_id: Identifier | None = None
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    ces: Annotated[int, Field(ge=1, le=7)] | None = None
    comment: str | None = None
    attributes: Attributes = Field(default_factory=dict)

    @model_validator(mode="after")
    def _answered(self) -> Survey:
        if self.csat is None and self.nps is None and self.ces is None and not self.comment:
            raise ValueError("needs at least one of csat, nps, ces, comment")
        return self


class Customer(_Model):
    """A customer profile and every identifier it is known by."""

    kind: Literal["customer"]
    id: Identifier
    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    phones: list[Annotated[str, Field(min_length=3, max_length=40)]] = Field(default_factory=list)
    handles: list[Identifier] = Field(default_factory=list)
    accounts: list[Identifier] = Field(default_factory=list)
    name: Annotated[str, Field(max_length=256)] | None = None
    segment: Annotated[str, Field(max_length=128)] | None = None
    value: float | int | None = None
    attributes: Attributes = Field(default_factory=dict)


Record = Annotated[Interaction | Event | Survey | Customer, Field(discriminator="kind")]
RECORD_TYPES: dict[str, type[_Model]] = {
    "interaction": Interaction,
    "event": Event,
    "survey": Survey,
    "customer": Customer,
}
record_adapter: TypeAdapter[Interaction | Event | Survey | Customer] = TypeAdapter(Record)


def extra_attributes(record: BaseModel) -> dict[str, Any]:
    """The record's attributes with its unknown top-level fields folded in (explicit ones win)."""
    explicit: dict[str, Any] = getattr(record, "attributes", {}) or {}
    extra = record.__pydantic_extra__
    if not extra:
        return explicit
    return {**extra, **explicit}
