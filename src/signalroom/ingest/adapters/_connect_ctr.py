"""Amazon Connect contact trace records (CTRs): the index of a load's records, and their mapping.

Connect writes a contact's record again whenever the contact is updated, so a load may hold several
versions of one contact. :class:`CtrIndex` keeps, per ``ContactId``, only the newest version's
``LastUpdateTimestamp`` and location (and, for the contacts that have an analysis file, the few
fields of it that :func:`project` keeps), so memory stays bounded by the number of contacts.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signalroom.ingest.adapters._records import (
    count,
    is_email,
    is_phone,
    mapping,
    millis,
    parse_time,
    snake,
    sortable_time,
    text,
)
from signalroom.ingest.adapters.base import AdapterError
from signalroom.interchange.models import CHANNELS

_CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}
_SUBTYPES = {"connect:SMS": "sms", "connect:WhatsApp": "messaging", "connect:Apple": "messaging"}
_OUTBOUND = ("OUTBOUND", "CALLBACK", "EXTERNAL_OUTBOUND", "AGENT_REPLY")
# Contact record fields kept in the index (everything else of a CTR is not used).
_CTR_KEEP = (
    "ContactId",
    "InitialContactId",
    "PreviousContactId",
    "NextContactId",
    "RelatedContactId",
    "Channel",
    "InitiationMethod",
    "InitiationTimestamp",
    "DisconnectTimestamp",
    "LastUpdateTimestamp",
    "DisconnectReason",
    "CustomerEndpoint",
    "CustomerId",
    "Attributes",
    "Queue",
    "InstanceARN",
    "TransferCompletedTimestamp",
    "TransferredToEndpoint",
    "Recording",
)
_AGENT_KEEP = (
    "Username",
    "ARN",
    "HierarchyGroups",
    "RoutingProfile",
    "ConnectedToAgentTimestamp",
    "AfterContactWorkDuration",
    "AgentInteractionDuration",
    "CustomerHoldDuration",
    "NumberOfHolds",
    "LongestHoldDuration",
)
# Agent durations in seconds -> attribute names.
_AGENT_SECONDS = {
    "AfterContactWorkDuration": "after_contact_work_s",
    "AgentInteractionDuration": "agent_interaction_s",
    "CustomerHoldDuration": "customer_hold_s",
    "LongestHoldDuration": "longest_hold_s",
    "NumberOfHolds": "number_of_holds",
}

# Skipped reasons (counted per reason in the load summary).
SUPERSEDED_CTR = "superseded by a newer contact trace record"
REPEATED_CTR = "repeated by a later contact trace record"


@dataclass(frozen=True)
class CtrOptions:
    """The adapter options that shape a contact record's mapping."""

    customer_attribute: str | None = None
    task_channel: str = "messaging"


def is_contact_record(obj: dict[str, Any]) -> bool:
    return "ContactId" in obj and any(
        key in obj for key in ("InitiationTimestamp", "InitiationMethod", "AWSContactTraceRecordFormatVersion")
    )


def project(ctr: dict[str, Any]) -> dict[str, Any]:
    """The fields of a contact record this adapter uses."""
    kept = {key: ctr[key] for key in _CTR_KEEP if key in ctr}
    agent = ctr.get("Agent")
    if isinstance(agent, dict):
        kept["Agent"] = {key: agent[key] for key in _AGENT_KEEP if key in agent}
    segments = ctr.get("SegmentAttributes")
    subtype = segments.get("connect:Subtype") if isinstance(segments, dict) else None
    if isinstance(subtype, dict) and isinstance(subtype.get("ValueString"), str):
        kept["SegmentAttributes"] = {"connect:Subtype": {"ValueString": subtype["ValueString"]}}
    return kept


@dataclass
class CtrIndex:
    """Per contact: where its newest contact record is; for the contacts named ``wanted`` when
    adding, that record's projected fields (to merge into the contact's analysis)."""

    newest: dict[str, tuple[float, str, str]] = field(default_factory=dict)  # id -> (time, file, location)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, obj: Any, file: str, location: str, wanted: Container[str]) -> None:
        """Index one record of a contact-record file (anything else is passed over). Of two
        versions with the same ``LastUpdateTimestamp`` the later one read wins."""
        if not isinstance(obj, dict) or not is_contact_record(obj):
            return
        ident = obj.get("ContactId")
        if not isinstance(ident, str) or not ident:
            return
        stamp = sortable_time(obj.get("LastUpdateTimestamp"))
        known = self.newest.get(ident)
        if known is None or stamp >= known[0]:
            self.newest[ident] = (stamp, file, location)
            if ident in wanted:
                self.records[ident] = project(obj)

    def superseded(self, obj: dict[str, Any], file: str, location: str) -> tuple[str, str] | None:
        """Why this contact record is not loaded and which one is, or None when it is the newest
        version of its contact (or was not indexed: a quarantine retry)."""
        ident = obj.get("ContactId")
        known = self.newest.get(ident) if isinstance(ident, str) else None
        if known is None or (known[1], known[2]) == (file, location):
            return None
        stamp, where = known[0], known[2] if known[1] == file else f"{known[1]} {known[2]}"
        why = REPEATED_CTR if sortable_time(obj.get("LastUpdateTimestamp")) >= stamp else SUPERSEDED_CTR
        return why, f"contact {ident!r}: the record at {where} is loaded"


def map_contact(ctr: dict[str, Any], options: CtrOptions, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A contact record as an interaction without turns; ``_lead`` holds the milliseconds from its
    start to the agent connecting (where an analysis file's voice offsets start)."""
    contact = text(ctr, "ContactId", "ContactId", required=True)
    assert contact is not None
    if not ctr.get("InitiationTimestamp"):
        raise AdapterError(
            f"missing required field InitiationTimestamp (contact {contact!r})",
            field="InitiationTimestamp",
            code="missing_field",
        )
    started = parse_time(ctr["InitiationTimestamp"], "InitiationTimestamp")
    raw_channel = text(ctr, "Channel", "Channel", required=True)
    assert raw_channel is not None
    subtype = ((ctr.get("SegmentAttributes") or {}).get("connect:Subtype") or {}).get("ValueString")
    attributes: dict[str, Any] = {"connect_channel": raw_channel}
    if subtype:
        attributes["channel_subtype"] = subtype
    record: dict[str, Any] = {
        "kind": "interaction",
        "id": contact,
        "channel": _channel(raw_channel, subtype, options.task_channel),
        "started_at": started,
    }
    if ctr.get("DisconnectTimestamp"):
        record["ended_at"] = parse_time(ctr["DisconnectTimestamp"], "DisconnectTimestamp")
    method = text(ctr, "InitiationMethod", "InitiationMethod")
    if method:
        attributes["initiation_method"] = method
        direction = "inbound" if method == "INBOUND" else "outbound" if method in _OUTBOUND else None
        if method == "API":
            direction = "outbound" if raw_channel == "VOICE" else "inbound" if raw_channel != "TASK" else None
        if direction:
            record["direction"] = direction
    parent = text(ctr, "PreviousContactId", "PreviousContactId")
    if parent:
        record["parent_id"] = parent
    for key in (
        "InitialContactId",
        "NextContactId",
        "RelatedContactId",
        "DisconnectReason",
        "InstanceARN",
    ):
        value = text(ctr, key, key)
        if value:
            attributes[snake(key)] = value
    record["outcome"] = {
        "transferred": bool(
            ctr.get("NextContactId") or ctr.get("TransferredToEndpoint") or ctr.get("TransferCompletedTimestamp")
        )
    }
    contact_attributes = mapping(ctr, "Attributes", "Attributes")
    if contact_attributes:
        attributes["contact_attributes"] = contact_attributes
    customer, anonymous = _customer(
        ctr, contact_attributes, contact, (names or {}).get("customer"), options.customer_attribute
    )
    record["customer"] = customer
    if anonymous:
        attributes["customer_anonymous"] = True
    queue = mapping(ctr, "Queue", "Queue")
    if text(queue, "Name", "Queue.Name"):
        record["queue"] = queue["Name"]
    if queue.get("Duration") is not None:
        attributes["queue_wait_s"] = count(queue["Duration"], "Queue.Duration")
    agent = mapping(ctr, "Agent", "Agent")
    if agent:
        record["agent"], record["_lead"] = _agent(agent, attributes, started, (names or {}).get("agent"))
    recording = mapping(ctr, "Recording", "Recording")
    if text(recording, "Location", "Recording.Location"):
        attributes["recording_location"] = recording["Location"]
    record["attributes"] = attributes
    return record


def _channel(raw: str, subtype: str | None, task_channel: str) -> str:
    if raw == "TASK":
        if task_channel not in CHANNELS:
            raise AdapterError(
                f"option task_channel: {task_channel!r} is not one of {', '.join(CHANNELS)}",
                field="Channel",
                code="unknown_channel",
            )
        return task_channel
    if raw not in _CHANNELS:
        raise AdapterError(
            f"Channel: unknown channel {raw!r} (expected VOICE, CHAT, TASK or EMAIL)",
            field="Channel",
            code="unknown_channel",
        )
    return _SUBTYPES.get(subtype or "", _CHANNELS[raw])


def _customer(
    ctr: dict[str, Any], contact_attributes: dict[str, Any], contact: str, name: str | None, attribute: str | None
) -> tuple[dict[str, Any], bool]:
    ref: dict[str, Any] = {}
    custom = contact_attributes.get(attribute) if attribute else None
    if isinstance(custom, str) and custom:
        ref["id"] = custom
    elif text(ctr, "CustomerId", "CustomerId"):
        ref["id"] = ctr["CustomerId"]
    endpoint = mapping(ctr, "CustomerEndpoint", "CustomerEndpoint")
    address = text(endpoint, "Address", "CustomerEndpoint.Address")
    if address:
        kind = endpoint.get("Type")
        if kind == "TELEPHONE_NUMBER" and is_phone(address):
            ref["phone"] = address
        elif kind == "EMAIL_ADDRESS" and is_email(address):
            ref["email"] = address
        else:
            ref["handle"] = address
    anonymous = not ref
    if anonymous:
        ref["id"] = f"connect-contact:{ctr.get('InitialContactId') or contact}"
    if name:
        ref["name"] = name
    return ref, anonymous


def _agent(
    agent: dict[str, Any], attributes: dict[str, Any], started: datetime, name: str | None
) -> tuple[dict[str, Any] | None, int | None]:
    ident = text(agent, "Username", "Agent.Username")
    if ident is None and text(agent, "ARN", "Agent.ARN"):
        ident = agent["ARN"].rsplit("/", 1)[-1]
    ref: dict[str, Any] | None = {"id": ident} if ident else None
    groups = mapping(agent, "HierarchyGroups", "Agent.HierarchyGroups")
    levels = [
        (groups.get(f"Level{n}") or {}).get("GroupName")
        for n in range(1, 6)
        if isinstance(groups.get(f"Level{n}"), dict)
    ]
    levels = [level for level in levels if isinstance(level, str) and level]
    if levels:
        attributes["agent_hierarchy"] = levels
        if ref:
            ref["team"] = levels[-1]
    if ref and name:
        ref["name"] = name
    profile = mapping(agent, "RoutingProfile", "Agent.RoutingProfile")
    if text(profile, "Name", "Agent.RoutingProfile.Name"):
        attributes["routing_profile"] = profile["Name"]
    for key, attribute in _AGENT_SECONDS.items():
        if agent.get(key) is not None:
            attributes[attribute] = count(agent[key], f"Agent.{key}")
    lead = None
    if agent.get("ConnectedToAgentTimestamp"):
        connected = parse_time(agent["ConnectedToAgentTimestamp"], "Agent.ConnectedToAgentTimestamp")
        attributes["connected_to_agent_at"] = agent["ConnectedToAgentTimestamp"]
        lead = max(0, millis(started, connected))
    return ref, lead
