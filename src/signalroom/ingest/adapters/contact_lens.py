"""Amazon Connect: Contact Lens analysis output files, merged with contact records (CTRs).

An analysis file (``<contactId>_analysis_<timestamp>.json``) holds the transcript and analytics of
one contact but no start time, agent or queue; its contact record has those. :meth:`plan` indexes
the contact records of the contacts that have an analysis file (a few fields each); analysis files
are read first, each merged with its record; contact records without an analysis file are read
afterwards and become interactions without turns. See docs/adapters/contact-lens.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._cloudjson import (
    array,
    count,
    first_object,
    head_of,
    is_json_lines,
    iter_records,
    mapping,
    millis,
    snake,
    text,
    timestamp,
)
from signalroom.ingest.adapters.base import (
    Adapter,
    AdapterError,
    Candidate,
    Item,
    ReadLimits,
    Rejected,
    register,
)
from signalroom.ingest.reading import load_json_document
from signalroom.interchange.models import CHANNELS

ANALYSIS_NAME = re.compile(
    r"^(?P<contact>.+?)_analysis_(?P<redacted>redacted_)?"
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}[:_]\d{2}[:_]\d{2}(?:\.\d+)?Z)\.json$"
)
ROLES = {
    "AGENT": "agent",
    "SUPERVISOR": "agent",
    "CUSTOMER": "customer",
    "SYSTEM": "system",
    "AUTOMATED": "bot",
    "CUSTOM_BOT": "bot",
    "BOT": "bot",
}
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
_HANDLED = frozenset(
    {
        "Version",
        "AccountId",
        "Channel",
        "ContentMetadata",
        "JobStatus",
        "JobDetails",
        "LanguageCode",
        "Participants",
        "Categories",
        "ConversationCharacteristics",
        "CustomerMetadata",
        "Transcript",
    }
)
_TURN_KEYS = {"ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis", "AbsoluteTime"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def is_analysis(obj: dict[str, Any]) -> bool:
    return "CustomerMetadata" in obj and any(
        key in obj for key in ("Transcript", "ConversationCharacteristics", "Participants", "JobStatus")
    )


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
    subtype = (
        (ctr.get("SegmentAttributes") or {}).get("connect:Subtype")
        if isinstance(ctr.get("SegmentAttributes"), dict)
        else None
    )
    if isinstance(subtype, dict) and isinstance(subtype.get("ValueString"), str):
        kept["SegmentAttributes"] = {"connect:Subtype": {"ValueString": subtype["ValueString"]}}
    return kept


def _name_stamp(name: str) -> tuple[str, bool, datetime] | None:
    match = ANALYSIS_NAME.match(name)
    if match is None:
        return None
    stamp = match["ts"].replace("_", ":")
    return match["contact"], bool(match["redacted"]), datetime.fromisoformat(stamp)


def _by_role(obj: dict[str, Any]) -> dict[str, Any]:
    return {str(role).lower(): value for role, value in obj.items()}


def _put(attributes: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        attributes[key] = value


@register
class ContactLensAdapter(Adapter):
    name = "contact-lens"
    description = "Amazon Connect Contact Lens analysis files (voice, chat) and contact records (CTR)"
    extensions = (".json", ".jsonl", ".ndjson")

    def __init__(
        self,
        *,
        customer_attribute: str | None = None,
        task_channel: str = "messaging",
        prefer_redacted: bool = True,
    ) -> None:
        self.customer_attribute = customer_attribute
        self.task_channel = task_channel
        self.prefer_redacted = prefer_redacted
        self._contact_records: dict[str, dict[str, Any]] = {}
        self._chosen: dict[str, str] = {}
        self._merged: set[str] = set()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        obj = first_object(head)
        if obj is not None and "kind" in obj:
            return False
        if ANALYSIS_NAME.match(path.name) and head.lstrip().startswith(b"{"):
            return True
        if b'"CustomerMetadata"' in head and (b'"ConversationCharacteristics"' in head or b'"Participants"' in head):
            return True
        return b'"ContactId"' in head and (
            b'"InitiationMethod"' in head or b'"AWSContactTraceRecordFormatVersion"' in head
        )

    # -- planning ---------------------------------------------------------------------------

    def plan(self, paths: list[Path], limits: ReadLimits) -> list[Path]:
        analysis: list[Path] = []
        others: list[Path] = []
        for path in paths:
            head = head_of(path)
            looks = not is_json_lines(path, head) and (
                b'"ConversationCharacteristics"' in head or b'"Transcript"' in head
            )
            (analysis if ANALYSIS_NAME.match(path.name) or looks else others).append(path)
        chosen: dict[str, tuple[Path, bool]] = {}
        for path in analysis:
            key = self._analysis_key(path, limits)
            if key is None:
                continue
            contact, redacted = key
            current = chosen.get(contact)
            if current is None or redacted == self.prefer_redacted or current[1] != self.prefer_redacted:
                chosen[contact] = (path, redacted)
        self._chosen = {contact: str(path) for contact, (path, _) in chosen.items()}
        self._contact_records = {}
        self._merged = set()
        for path in others:
            for found in iter_records(path, limits):
                obj = getattr(found, "obj", None)
                if not isinstance(obj, dict) or not is_contact_record(obj):
                    continue
                ident = obj.get("ContactId")
                if not isinstance(ident, str) or ident not in self._chosen:
                    continue
                known = self._contact_records.get(ident)
                if known is None or str(obj.get("LastUpdateTimestamp", "")) >= str(
                    known.get("LastUpdateTimestamp", "")
                ):
                    self._contact_records[ident] = project(obj)
        return analysis + others

    def _analysis_key(self, path: Path, limits: ReadLimits) -> tuple[str, bool] | None:
        named = _name_stamp(path.name)
        if named is not None:
            return named[0], named[1]
        doc = load_json_document(path, limits.max_document_bytes)
        if not isinstance(doc, dict):
            return None
        meta = doc.get("CustomerMetadata")
        contact = meta.get("ContactId") if isinstance(meta, dict) else None
        content = doc.get("ContentMetadata")
        output = content.get("Output") if isinstance(content, dict) else None
        return (contact, output == "Redacted") if isinstance(contact, str) else None

    # -- reading ----------------------------------------------------------------------------

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        for found in iter_records(path, limits):
            if isinstance(found, Rejected):
                yield found
            else:
                yield from self.convert(
                    found.obj, file=str(path), location=found.location, line=found.line, raw=found.raw
                )

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        if not isinstance(obj, dict):
            yield Rejected(file, location, line, raw, "wrong_type", f"expected a JSON object, got {type(obj).__name__}")
            return
        if is_analysis(obj):
            meta = obj.get("CustomerMetadata")
            contact = meta.get("ContactId") if isinstance(meta, dict) else None
            chosen = self._chosen.get(contact) if isinstance(contact, str) else None
            if chosen is not None and chosen != file:
                yield Rejected(
                    file,
                    location,
                    line,
                    raw,
                    "duplicate_analysis",
                    f"CustomerMetadata.ContactId: contact {contact!r} also has the analysis file "
                    f"{chosen}, which was loaded instead; pass one analysis file per contact",
                    "CustomerMetadata.ContactId",
                )
                return
            try:
                ctr = self._contact_records.get(contact) if isinstance(contact, str) else None
                record = self._analysis(obj, file, ctr)
            except AdapterError as exc:
                yield Rejected(file, location, line, raw, exc.code, exc.reason, exc.field)
                return
            self._merged.add(record["id"])
            yield Candidate(file, location, line, raw, record)
        elif is_contact_record(obj):
            if isinstance(obj.get("ContactId"), str) and obj["ContactId"] in self._merged:
                return  # taken into the interaction of its analysis file
            try:
                record = self._contact(project(obj))
            except AdapterError as exc:
                yield Rejected(file, location, line, raw, exc.code, exc.reason, exc.field)
                return
            record.pop("_lead", None)
            yield Candidate(file, location, line, raw, record)
        else:
            yield Rejected(
                file,
                location,
                line,
                raw,
                "unknown_record",
                "neither a Contact Lens analysis (CustomerMetadata with Transcript or "
                "ConversationCharacteristics) nor a contact record (ContactId with "
                "InitiationTimestamp)",
                "ContactId",
            )

    # -- contact records --------------------------------------------------------------------

    def _contact(self, ctr: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
        contact = text(ctr, "ContactId", "ContactId", required=True)
        assert contact is not None
        if not ctr.get("InitiationTimestamp"):
            raise AdapterError(
                f"missing required field InitiationTimestamp (contact {contact!r})",
                field="InitiationTimestamp",
                code="missing_field",
            )
        started = timestamp(ctr["InitiationTimestamp"], "InitiationTimestamp")
        raw_channel = text(ctr, "Channel", "Channel", required=True)
        assert raw_channel is not None
        subtype = ((ctr.get("SegmentAttributes") or {}).get("connect:Subtype") or {}).get("ValueString")
        attributes: dict[str, Any] = {"connect_channel": raw_channel}
        if subtype:
            attributes["channel_subtype"] = subtype
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": contact,
            "channel": self._channel(raw_channel, subtype),
            "started_at": started,
        }
        if ctr.get("DisconnectTimestamp"):
            record["ended_at"] = timestamp(ctr["DisconnectTimestamp"], "DisconnectTimestamp")
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
        customer, anonymous = self._customer(ctr, contact_attributes, contact, (names or {}).get("customer"))
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
            record["agent"], record["_lead"] = self._agent(agent, attributes, started, (names or {}).get("agent"))
        recording = mapping(ctr, "Recording", "Recording")
        if text(recording, "Location", "Recording.Location"):
            attributes["recording_location"] = recording["Location"]
        record["attributes"] = attributes
        return record

    def _channel(self, raw: str, subtype: str | None) -> str:
        if raw == "TASK":
            if self.task_channel not in CHANNELS:
                raise AdapterError(
                    f"option task_channel: {self.task_channel!r} is not one of {', '.join(CHANNELS)}",
                    field="Channel",
                    code="unknown_channel",
                )
            return self.task_channel
        if raw not in _CHANNELS:
            raise AdapterError(
                f"Channel: unknown channel {raw!r} (expected VOICE, CHAT, TASK or EMAIL)",
                field="Channel",
                code="unknown_channel",
            )
        return _SUBTYPES.get(subtype or "", _CHANNELS[raw])

    def _customer(
        self, ctr: dict[str, Any], contact_attributes: dict[str, Any], contact: str, name: str | None
    ) -> tuple[dict[str, Any], bool]:
        ref: dict[str, Any] = {}
        custom = contact_attributes.get(self.customer_attribute) if self.customer_attribute else None
        if isinstance(custom, str) and custom:
            ref["id"] = custom
        elif text(ctr, "CustomerId", "CustomerId"):
            ref["id"] = ctr["CustomerId"]
        endpoint = mapping(ctr, "CustomerEndpoint", "CustomerEndpoint")
        address = text(endpoint, "Address", "CustomerEndpoint.Address")
        if address:
            kind = endpoint.get("Type")
            if kind == "TELEPHONE_NUMBER" and 3 <= len(address) <= 40:
                ref["phone"] = address
            elif kind == "EMAIL_ADDRESS" and _EMAIL.match(address):
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
        self, agent: dict[str, Any], attributes: dict[str, Any], started: datetime, name: str | None
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
            connected = timestamp(agent["ConnectedToAgentTimestamp"], "Agent.ConnectedToAgentTimestamp")
            attributes["connected_to_agent_at"] = agent["ConnectedToAgentTimestamp"]
            lead = max(0, millis(started, connected))
        return ref, lead

    # -- analysis files ---------------------------------------------------------------------

    def _analysis(self, doc: dict[str, Any], file: str, ctr: dict[str, Any] | None) -> dict[str, Any]:
        meta = mapping(doc, "CustomerMetadata", "CustomerMetadata")
        contact = text(meta, "ContactId", "CustomerMetadata.ContactId", required=True)
        assert contact is not None
        channel = text(doc, "Channel", "Channel") or "VOICE"
        roles: dict[str, str] = {}
        names: dict[str, str] = {}
        for index, person in enumerate(array(doc, "Participants", "Participants")):
            where = f"Participants[{index}]"
            if not isinstance(person, dict):
                raise AdapterError(f"{where}: expected an object", field=where, code="wrong_type")
            role = text(person, "ParticipantRole", f"{where}.ParticipantRole", required=True)
            if role not in ROLES:
                raise AdapterError(
                    f"{where}.ParticipantRole: unknown role {role!r} (expected one of {', '.join(ROLES)})",
                    field=f"{where}.ParticipantRole",
                    code="unknown_speaker",
                )
            roles[text(person, "ParticipantId", f"{where}.ParticipantId", required=True) or ""] = role
            shown = text(person, "DisplayName", f"{where}.DisplayName")
            if shown and ROLES[role] in ("agent", "customer"):
                names.setdefault(ROLES[role], shown)
        characteristics = mapping(doc, "ConversationCharacteristics", "ConversationCharacteristics")
        duration = count(
            characteristics.get("TotalConversationDurationMillis"),
            "ConversationCharacteristics.TotalConversationDurationMillis",
        )
        transcript = array(doc, "Transcript", "Transcript")
        if ctr is not None:
            record = self._contact({**ctr, "Channel": ctr.get("Channel") or channel}, names)
            lead = (record.pop("_lead", None) or 0) if channel == "VOICE" else 0
            record.pop("_lead", None)
            if lead:
                record["attributes"]["transcript_offset_ms"] = lead
        else:
            record = self._estimated(contact, channel, file, duration, transcript, names)
            lead = 0
        attributes = record["attributes"]
        record["turns"], events = self._turns(transcript, roles, record["started_at"], lead)
        if text(doc, "LanguageCode", "LanguageCode"):
            record["language"] = doc["LanguageCode"]
        for key, attribute in (
            ("Version", "contact_lens_version"),
            ("JobStatus", "job_status"),
            ("AccountId", "aws_account_id"),
        ):
            if doc.get(key) is not None:
                attributes[attribute] = doc[key]
        if meta.get("InstanceId"):
            attributes["instance_id"] = meta["InstanceId"]
        if meta.get("InputS3Uri"):
            attributes["input_s3_uri"] = meta["InputS3Uri"]
        content = mapping(doc, "ContentMetadata", "ContentMetadata")
        if content:
            attributes["content_metadata"] = content
        skipped = mapping(doc, "JobDetails", "JobDetails").get("SkippedAnalysis")
        if skipped:
            attributes["skipped_analysis"] = skipped
        categories = mapping(doc, "Categories", "Categories")
        attributes["categories"] = array(categories, "MatchedCategories", "Categories.MatchedCategories")
        if categories.get("MatchedDetails"):
            attributes["category_details"] = categories["MatchedDetails"]
        events.extend(self._characteristics(characteristics, attributes, lead))
        events.sort(key=lambda event: event["offset_ms"])
        record["events_in_call"] = events
        for key, value in doc.items():
            if key not in _HANDLED:
                attributes.setdefault(snake(key), value)
        return record

    def _estimated(
        self,
        contact: str,
        channel: str,
        file: str,
        duration: int | None,
        transcript: list[Any],
        names: dict[str, str],
    ) -> dict[str, Any]:
        """An interaction whose start comes from the analysis file itself (no contact record)."""
        times = [item.get("AbsoluteTime") for item in transcript if isinstance(item, dict)]
        stamps = sorted(timestamp(t, "Transcript[].AbsoluteTime") for t in times if t)
        named = _name_stamp(Path(file).name)
        if channel == "CHAT" and stamps:
            started = stamps[0]
        elif named is not None:
            started = named[2] - timedelta(milliseconds=duration or 0)
        else:
            raise AdapterError(
                f"InitiationTimestamp: contact {contact!r} has no contact record among the files given and "
                "its file name has no analysis timestamp (<contactId>_analysis_<timestamp>.json), so its "
                "start time is unknown; pass its contact record (CTR) too",
                field="InitiationTimestamp",
                code="missing_start_time",
            )
        record = self._contact(
            {"ContactId": contact, "Channel": channel, "InitiationTimestamp": started.isoformat()}, names
        )
        record.pop("outcome")
        if duration is not None and channel == "VOICE":
            record["ended_at"] = started + timedelta(milliseconds=duration)
        record["attributes"]["started_at_estimated"] = True
        return record

    def _turns(
        self, transcript: list[Any], roles: dict[str, str], started: datetime, lead: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        turns: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for index, item in enumerate(transcript):
            where = f"Transcript[{index}]"
            if not isinstance(item, dict):
                raise AdapterError(f"{where}: expected an object", field=where, code="wrong_type")
            participant = text(item, "ParticipantId", f"{where}.ParticipantId", required=True) or ""
            role = roles.get(participant) or (participant if participant in ROLES else None)
            if role is None:
                raise AdapterError(
                    f"{where}.ParticipantId: {participant!r} is not one of the Participants",
                    field=f"{where}.ParticipantId",
                    code="unknown_speaker",
                )
            offset = count(item.get("BeginOffsetMillis"), f"{where}.BeginOffsetMillis")
            end = count(item.get("EndOffsetMillis"), f"{where}.EndOffsetMillis")
            at = timestamp(item["AbsoluteTime"], f"{where}.AbsoluteTime") if item.get("AbsoluteTime") else None
            if offset is None and at is not None:
                offset = millis(started, at)
            if item.get("Type") == "EVENT":
                kind = str(item.get("ContentType") or "chat_event").rsplit("connect.event.", 1)[-1]
                events.append(
                    {
                        "type": re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_") or "chat_event",
                        "offset_ms": max(0, offset or 0),
                        "by": ROLES[role],
                        "item_id": item.get("Id"),
                    }
                )
                continue
            content = item.get("Content", "")
            if not isinstance(content, str):
                raise AdapterError(f"{where}.Content: expected a string", field=f"{where}.Content", code="wrong_type")
            turn: dict[str, Any] = {"speaker": ROLES[role], "text": content}
            if at is not None:
                turn["at"] = at
            if offset is not None and offset + lead >= 0:
                turn["offset_ms"] = offset + lead
                if end is not None:
                    turn["end_ms"] = end + lead
            if role not in ("AGENT", "CUSTOMER", "SYSTEM"):
                turn["participant_role"] = role
            for key, value in item.items():
                if key not in _TURN_KEYS:
                    turn[{"Id": "item_id", "LoudnessScore": "loudness"}.get(key, snake(key))] = value
            turns.append(turn)
        return turns, events

    def _characteristics(self, cc: dict[str, Any], attributes: dict[str, Any], lead: int) -> list[dict[str, Any]]:
        """Record-level Contact Lens facts to attributes; non-talk time and interruptions to events."""
        events: list[dict[str, Any]] = []
        where = "ConversationCharacteristics"
        for key, value in cc.items():
            if key == "TotalConversationDurationMillis":
                attributes["duration_ms"] = value
            elif key == "Sentiment" and isinstance(value, dict):
                attributes["sentiment"] = value
                if isinstance(value.get("OverallSentiment"), dict):
                    attributes["sentiment_overall"] = _by_role(value["OverallSentiment"])
            elif key == "NonTalkTime" and isinstance(value, dict):
                _put(attributes, "non_talk_time_ms", value.get("TotalTimeMillis"))
                for n, gap in enumerate(array(value, "Instances", f"{where}.NonTalkTime.Instances")):
                    events.append(self._span("non_talk_time", gap, f"{where}.NonTalkTime.Instances[{n}]", lead))
            elif key == "Interruptions" and isinstance(value, dict):
                _put(attributes, "interruptions_count", value.get("TotalCount"))
                _put(attributes, "interruptions_ms", value.get("TotalTimeMillis"))
                by_role = mapping(value, "InterruptionsByInterrupter", f"{where}.Interruptions")
                for role, spans in by_role.items():
                    for n, span in enumerate(spans if isinstance(spans, list) else []):
                        field = f"{where}.Interruptions.InterruptionsByInterrupter.{role}[{n}]"
                        events.append(
                            {
                                **self._span("interruption", span, field, lead),
                                "by": ROLES.get(role, str(role).lower()),
                            }
                        )
            elif key in ("TalkTime", "TalkSpeed") and isinstance(value, dict):
                details = mapping(value, "DetailsByParticipant", f"{where}.{key}")
                metric = "TotalTimeMillis" if key == "TalkTime" else "AverageWordsPerMinute"
                name = "talk_time_ms" if key == "TalkTime" else "talk_speed_wpm"
                attributes[name] = {str(r).lower(): d.get(metric) for r, d in details.items() if isinstance(d, dict)}
                if key == "TalkTime" and value.get("TotalTimeMillis") is not None:
                    attributes["talk_time_ms"]["total"] = value["TotalTimeMillis"]
            elif key == "ContactSummary" and isinstance(value, dict):
                summary = (value.get("PostContactSummary") or {}).get("Content")
                if summary:
                    attributes["summary"] = summary
                rest = {k: v for k, v in value.items() if k != "PostContactSummary"}
                if rest:
                    attributes["contact_summary"] = rest
            else:
                attributes.setdefault(snake(key), value)
        return events

    @staticmethod
    def _span(kind: str, span: Any, field: str, lead: int) -> dict[str, Any]:
        if not isinstance(span, dict):
            raise AdapterError(f"{field}: expected an object", field=field, code="wrong_type")
        begin = count(span.get("BeginOffsetMillis"), f"{field}.BeginOffsetMillis")
        if begin is None:
            raise AdapterError(
                f"missing required field {field}.BeginOffsetMillis",
                field=f"{field}.BeginOffsetMillis",
                code="missing_field",
            )
        event: dict[str, Any] = {"type": kind, "offset_ms": begin + lead}
        end = count(span.get("EndOffsetMillis"), f"{field}.EndOffsetMillis")
        if end is not None:
            event["end_ms"] = end + lead
        if span.get("DurationMillis") is not None:
            event["duration_ms"] = span["DurationMillis"]
        return event
