"""Contact Lens analysis documents: their transcript as turns, their conversation characteristics
as attributes and events. Helper of :mod:`signalroom.ingest.adapters.contact_lens`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from signalroom.ingest.adapters._records import array, count, mapping, millis, parse_time, snake, text
from signalroom.ingest.adapters.base import AdapterError

ROLES = {
    "AGENT": "agent",
    "SUPERVISOR": "agent",
    "CUSTOMER": "customer",
    "SYSTEM": "system",
    "AUTOMATED": "bot",
    "CUSTOM_BOT": "bot",
    "BOT": "bot",
}
_TURN_KEYS = {"ParticipantId", "Content", "BeginOffsetMillis", "EndOffsetMillis", "AbsoluteTime"}


def _by_role(obj: dict[str, Any]) -> dict[str, Any]:
    return {str(role).lower(): value for role, value in obj.items()}


def _put(attributes: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        attributes[key] = value


def transcript_turns(
    transcript: list[Any], roles: dict[str, str], started: datetime, lead: int
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
        at = parse_time(item["AbsoluteTime"], f"{where}.AbsoluteTime") if item.get("AbsoluteTime") else None
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


def characteristic_events(cc: dict[str, Any], attributes: dict[str, Any], lead: int) -> list[dict[str, Any]]:
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
                events.append(_span("non_talk_time", gap, f"{where}.NonTalkTime.Instances[{n}]", lead))
        elif key == "Interruptions" and isinstance(value, dict):
            _put(attributes, "interruptions_count", value.get("TotalCount"))
            _put(attributes, "interruptions_ms", value.get("TotalTimeMillis"))
            by_role = mapping(value, "InterruptionsByInterrupter", f"{where}.Interruptions")
            for role, spans in by_role.items():
                for n, span in enumerate(spans if isinstance(spans, list) else []):
                    field = f"{where}.Interruptions.InterruptionsByInterrupter.{role}[{n}]"
                    events.append(
                        {
                            **_span("interruption", span, field, lead),
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
