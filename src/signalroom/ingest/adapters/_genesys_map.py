"""Genesys Cloud mapping helpers: media types, addresses, agents, segments and STA transcripts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from signalroom.ingest.adapters._records import epoch, is_email, is_phone, list_in, millis, text
from signalroom.ingest.adapters.base import AdapterError

_MEDIA = {"voice": "voice", "callback": "voice", "chat": "chat", "email": "email", "video": "video"}
_MESSAGE_TYPES = {
    "sms": "sms",
    "facebook": "social",
    "twitter": "social",
    "instagram": "social",
    "whatsapp": "messaging",
    "line": "messaging",
    "telegram": "messaging",
    "open": "messaging",
    "webmessaging": "messaging",
    "apple": "messaging",
}
_CUSTOMER = ("customer", "external")
_AGENT = ("agent", "user")
_AUTOMATED = ("ivr", "workflow", "bot", "voicemail")
_PHRASE_SPEAKERS = {
    "external": "customer",
    "customer": "customer",
    "internal": "agent",
    "agent": "agent",
    "user": "agent",
    "ivr": "bot",
    "bot": "bot",
    "workflow": "bot",
}
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,38}$")
_MILLISECOND = timedelta(milliseconds=1)


_page = list_in("conversations", "entities")  # a details page; a routing API listing


def _is_transcript(obj: Any) -> bool:
    return isinstance(obj, dict) and "transcripts" in obj and "conversationStart" not in obj


def _dicts(value: Any, field: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise AdapterError(f"{field}: expected a list of objects", field=field, code="wrong_type")
    return value


def _channel(sessions: list[dict[str, Any]], index: int) -> tuple[str, dict[str, Any], int, str]:
    """The customer's first session on a known media type, and the channel it maps to."""
    if not sessions:
        field = f"participants[{index}].sessions"
        raise AdapterError(f"{field}: the customer participant has no sessions", field=field, code="missing_field")
    for j, sess in enumerate(sessions):
        media = sess.get("mediaType")
        if media in _MEDIA:
            return _MEDIA[media], sess, j, media
        if media == "message":
            kind = str(sess.get("messageType") or "").lower()
            return _MESSAGE_TYPES.get(kind, "messaging"), sess, j, media
    field = f"participants[{index}].sessions[0].mediaType"
    raise AdapterError(
        f"{field}: unknown media type {sessions[0].get('mediaType')!r} (expected voice, callback, chat, "
        "email, message or video)",
        field=field,
        code="unknown_channel",
    )


def _address(value: Any) -> tuple[str, str] | None:
    """(kind, value) of a session address: tel:/sip:/mailto: prefixes understood."""
    if not isinstance(value, str) or not value.strip():
        return None
    address = value.strip()
    lowered = address.lower()
    if lowered.startswith("tel:"):
        return "phone", address[4:]
    if lowered.startswith("mailto:"):
        return "email", address[7:]
    if lowered.startswith("sip:"):
        return "handle", address
    if is_email(address):
        return "email", address
    if _PHONE.match(address):
        return "phone", address
    return "handle", address


def _customer(
    part: dict[str, Any], sess: dict[str, Any], channel: str, direction: str | None, where: str
) -> dict[str, Any]:
    if channel in ("voice", "video", "sms"):
        pair = ("dnis", "ani") if direction == "outbound" else ("ani", "dnis")
    else:
        pair = ("addressTo", "addressFrom") if direction == "outbound" else ("addressFrom", "addressTo")
    keys = (*pair, "addressOther")
    customer: dict[str, Any] = {}
    for key in keys:
        found = _address(sess.get(key))
        if found is not None:
            kind, value = found
            if kind == "phone" and not is_phone(value):
                kind = "handle"
            customer[kind] = value[:512]
            break
    if isinstance(part.get("externalContactId"), str):
        customer["id"] = part["externalContactId"]
    if isinstance(part.get("externalOrganizationId"), str):
        customer["account"] = part["externalOrganizationId"]
    if not customer:
        raise AdapterError(
            f"{where}: no customer identifier (no {', '.join(keys)} and no externalContactId)",
            field=f"{where}.{keys[0]}",
            code="missing_customer",
        )
    if isinstance(part.get("participantName"), str) and part["participantName"]:
        customer["name"] = part["participantName"][:256]
    return customer


def _main_agent(
    participants: list[dict[str, Any]], sessions: list[list[dict[str, Any]]], agents: list[int]
) -> int | None:
    """The last agent who interacted with the customer (else the last agent offered the contact)."""
    for i in reversed(agents):
        if any(seg.get("segmentType") == "interact" for s in sessions[i] for seg in s.get("segments") or []):
            return i
    return agents[-1] if agents else None


def _last_segment_value(
    participants: list[dict[str, Any]],
    sessions: list[list[dict[str, Any]]],
    key: str,
    main: int | None,
    *,
    only_main: bool = False,
) -> str | None:
    """The last value of a segment field on the main agent, else on ACD participants, else anywhere."""
    order: list[list[int]] = [[main] if main is not None else []]
    if not only_main:
        order.append([i for i, p in enumerate(participants) if p.get("purpose") == "acd"])
        order.append(list(range(len(participants))))
    for indexes in order:
        found = None
        for i in indexes:
            for sess in sessions[i]:
                for seg in sess.get("segments") or []:
                    value = seg.get(key) if isinstance(seg, dict) else None
                    if isinstance(value, str) and value:
                        found = value
        if found is not None:
            return found
    return None


def _transcript_turns(obj: dict[str, Any], start: datetime | None) -> tuple[str, list[dict[str, Any]]]:
    """Validate an STA transcript; its phrases as turns (offsets from ``start`` when known)."""
    cid = text(obj, "conversationId", "conversationId", required=True)
    assert cid is not None
    turns: list[dict[str, Any]] = []
    for t, transcript in enumerate(_dicts(obj.get("transcripts"), "transcripts")):
        utterance = transcript.get("utteranceId")
        for p, phrase in enumerate(_dicts(transcript.get("phrases"), f"transcripts[{t}].phrases")):
            where = f"transcripts[{t}].phrases[{p}]"
            said = phrase.get("text")
            if not isinstance(said, str):
                raise AdapterError(
                    f"{where}.text: expected the phrase text, got {said!r}",
                    field=f"{where}.text",
                    code="missing_field" if said is None else "wrong_type",
                )
            if not said.strip():
                continue
            at = epoch(phrase.get("startTimeMs"), f"{where}.startTimeMs", _MILLISECOND)
            purpose = phrase.get("participantPurpose")
            turn: dict[str, Any] = {
                "speaker": _PHRASE_SPEAKERS.get(str(purpose).lower(), "system"),
                "text": said,
                "at": at,
                "participant_purpose": purpose,
            }
            duration = phrase.get("duration")
            length = duration.get("milliseconds") if isinstance(duration, dict) else None
            if start is not None and (offset := millis(start, at)) >= 0:
                turn["offset_ms"] = offset
                if isinstance(length, int) and not isinstance(length, bool) and length >= 0:
                    turn["end_ms"] = offset + length
            for key in ("confidence", "stability"):
                if phrase.get(key) is not None:
                    turn[key] = phrase[key]
            if phrase.get("utteranceId", utterance) is not None:
                turn["utterance_id"] = phrase.get("utteranceId", utterance)
            if obj.get("communicationId"):
                turn["communication_id"] = obj["communicationId"]
            turns.append(turn)
    return cid, turns
