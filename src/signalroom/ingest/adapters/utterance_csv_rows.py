"""Rows of an utterance CSV: parsing one row, and building a conversation's interaction.

Helper of :mod:`signalroom.ingest.adapters.utterance_csv`; the records and the header a row is read
with come from :mod:`signalroom.ingest.adapters.utterance_csv_records`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from signalroom.ingest.adapters import _records
from signalroom.ingest.adapters.base import AdapterError
from signalroom.ingest.adapters.utterance_csv_records import Layout, norm

# Fields read per row; the others describe the conversation (the first non-empty value is used).
TURN_FIELDS = ("conversation_id", "speaker", "text", "timestamp", "offset_ms", "end_ms", "offset_seconds")

SPEAKER_DEFAULTS = {
    **dict.fromkeys(("customer", "client", "caller", "user", "end_user", "end-user"), "customer"),
    **dict.fromkeys(("agent", "advisor", "rep", "representative", "operator", "human_agent"), "agent"),
    **dict.fromkeys(("bot", "virtual_agent", "assistant", "ivr"), "bot"),
    "system": "system",
}
CHANNEL_SYNONYMS = {
    "phone": "voice",
    "call": "voice",
    "telephony": "voice",
    "webchat": "chat",
    "web_chat": "chat",
    "live_chat": "chat",
    "livechat": "chat",
    "e-mail": "email",
    "mail": "email",
    "text": "sms",
    "whatsapp": "messaging",
}


DEFAULT_CHANNEL = "chat"
_DIRECTIONS = {"in": "inbound", "inbound": "inbound", "out": "outbound", "outbound": "outbound"}


@dataclass(frozen=True)
class Settings:
    """The adapter's options, checked."""

    columns: dict[str, str]
    speakers: dict[str, str]
    channel: str | None
    delimiter: str | None
    zone: tzinfo | None


class RowError(Exception):
    def __init__(self, fld: str | None, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = fld, code, message


@dataclass(slots=True)
class Row:
    line: int
    cid: str
    speaker: str
    text: str
    at: datetime | None
    offset_ms: int | None
    end_ms: int | None
    conv: dict[str, str]  # conversation-level fields with a value on this row
    extras: dict[str, str]
    raw: str


def conversation_id(fields: list[str], layout: Layout) -> str | None:
    i = layout.index["conversation_id"]
    value = fields[i].strip() if i < len(fields) else ""
    return value or None


_TIME_PROBLEMS = {
    "bad_timestamp": "{value!r} is not an RFC 3339 timestamp (e.g. 2026-03-02T09:15:00+01:00)",
    "timestamp_without_offset": "timestamp {value!r} has no UTC offset (write e.g. 2026-03-02T09:15:00+01:00, "
    "or name the zone it is in with --timezone Europe/London)",
}


def parse_time(value: str, zone: tzinfo | None, fld: str) -> datetime:
    """A row's timestamp (see :func:`._records.parse_time`); one without an offset is read in
    ``zone`` (option ``--timezone``) when given."""
    try:
        return _records.parse_time(value, fld, zone=zone)
    except AdapterError as exc:
        problem = _TIME_PROBLEMS.get(exc.code)
        raise RowError(fld, exc.code, problem.format(value=value) if problem else exc.reason) from None


def _millis(value: str, fld: str, scale: int) -> int:
    text = value.strip()
    try:
        if scale == 1000 and ":" in text:
            seconds = 0.0
            for part in text.split(":"):
                seconds = seconds * 60 + float(part)
            number = seconds
        else:
            number = float(text)
    except ValueError:
        raise RowError(fld, "bad_number", f"{value!r} is not a number") from None
    if not number >= 0 or number == float("inf"):
        raise RowError(fld, "out_of_range", f"{value!r} is not a non-negative number")
    return round(number * scale)


def parse_row(
    line: int, text: str, fields: list[str], layout: Layout, speakers: dict[str, str], zone: tzinfo | None
) -> Row:
    """One row as a turn plus conversation-level values, or a RowError naming the field."""
    width = len(layout.names)
    if len(fields) > width and not any(f.strip() for f in fields[width:]):
        fields = fields[:width]
    if len(fields) != width:
        raise RowError(None, "ragged_row", f"the row has {len(fields)} fields, the header has {width}")
    idx = layout.index
    get = {fld: fields[i].strip() for fld, i in idx.items()}
    cid = get["conversation_id"]
    if not cid:
        raise RowError("conversation_id", "missing_value", "empty conversation id")
    label = get["speaker"]
    speaker = speakers.get(label.lower())
    if speaker is None:
        shown = label or "(empty)"
        raise RowError(
            "speaker",
            "unknown_speaker",
            f"unknown speaker {label!r} (map it with --speaker {shown}=customer|agent|bot|system)"
            if label
            else f"empty speaker {shown}",
        )
    at = parse_time(get["timestamp"], zone, "timestamp") if get.get("timestamp") else None
    offset = None
    if get.get("offset_ms"):
        offset = _millis(get["offset_ms"], "offset_ms", 1)
    elif get.get("offset_seconds"):
        offset = _millis(get["offset_seconds"], "offset_seconds", 1000)
    end = _millis(get["end_ms"], "end_ms", 1) if get.get("end_ms") else None
    if end is not None and offset is not None and end < offset:
        raise RowError("end_ms", "out_of_range", f"end {end} ms is before the start {offset} ms")
    if get.get("started_at"):
        parse_time(get["started_at"], zone, "started_at")
    conv = {f: v for f, v in get.items() if v and f not in TURN_FIELDS}
    extras = {name: fields[i] for i, name in layout.extras if fields[i].strip()}
    return Row(line, cid, speaker, fields[idx["text"]], at, offset, end, conv, extras, text)


def column_of(layout: Layout, fld: str | None) -> str:
    if fld is None or fld not in layout.index:
        return ""
    return f'column "{layout.names[layout.index[fld]]}": '


def payload_attrs(rows: list[Row]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Extra columns: a value shared by every row goes to the interaction's attributes, columns
    whose value varies go to each turn (rows without a value leave it out)."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.extras))
    shared: dict[str, Any] = {}
    per_turn: list[dict[str, str]] = [{} for _ in rows]
    for name in names:
        values = [row.extras.get(name) for row in rows]
        if all(v == values[0] for v in values):
            shared[name] = values[0]
            continue
        for turn, value in zip(per_turn, values, strict=True):
            if value is not None:
                turn[name if name not in _TURN_KEYS else f"column_{name}"] = value
    return shared, per_turn


_TURN_KEYS = {"speaker", "text", "at", "offset_ms", "end_ms"}


def interaction(
    cid: str, rows: list[Row], bad: int, layout: Layout, settings: Settings
) -> list[dict[str, Any]] | AdapterError:
    """One conversation's good rows as an interchange interaction (or why it cannot be built).
    Turns are ordered by timestamp (else offset) when every row has one, else in file order;
    conversation-level values come from the first row that has them."""
    if all(row.at is not None for row in rows):
        rows = sorted(rows, key=lambda row: row.at)  # type: ignore[arg-type, return-value]
    elif all(row.offset_ms is not None for row in rows):
        rows = sorted(rows, key=lambda row: row.offset_ms)  # type: ignore[arg-type, return-value]
    conv: dict[str, str] = {}
    for row in sorted(rows, key=lambda row: row.line):
        for key, value in row.conv.items():
            conv.setdefault(key, value)
    times = [row.at for row in rows if row.at is not None]
    if "started_at" in conv:
        started = parse_time(conv["started_at"], settings.zone, "started_at")
    elif times:
        started = min(times)
    else:
        hint = (
            "its started_at column is empty"
            if "started_at" in layout.index
            else "there is no started_at column (map one with --column started_at=COLUMN)"
        )
        return AdapterError(
            f"conversation {cid}: no start time: no row of it has a timestamp and {hint}",
            field="started_at",
            code="missing_start",
        )
    shared, per_turn = payload_attrs(rows)
    turns = []
    for row, extra in zip(rows, per_turn, strict=True):
        turn: dict[str, Any] = {"speaker": row.speaker, "text": row.text}
        if row.at is not None:
            turn["at"] = row.at
        if row.offset_ms is not None:
            turn["offset_ms"] = row.offset_ms
        if row.end_ms is not None:
            turn["end_ms"] = row.end_ms
        turns.append({**extra, **turn})
    channel = conv.get("channel")
    channel = CHANNEL_SYNONYMS.get(norm(channel), norm(channel)) if channel else None
    record: dict[str, Any] = {
        "kind": "interaction",
        "id": cid,
        "channel": channel or settings.channel or DEFAULT_CHANNEL,
        "started_at": started,
        "customer": {},
        "turns": turns,
    }
    ends = times or [started + timedelta(milliseconds=r.end_ms or r.offset_ms or 0) for r in rows]
    if ends and max(ends) > started:
        record["ended_at"] = max(ends)
    for part in ("id", "email", "phone", "name"):
        if f"customer_{part}" in conv:
            record["customer"][part] = conv[f"customer_{part}"]
    if not any(k in record["customer"] for k in ("id", "email", "phone")):
        record["customer"]["id"] = f"unknown:{cid}"
        shared["customer_unidentified"] = True
    if "agent_id" in conv or "agent_name" in conv:
        agent = {"id": conv.get("agent_id") or conv["agent_name"]}
        agent.update({k: conv[f"agent_{k}"] for k in ("name", "team") if f"agent_{k}" in conv})
        record["agent"] = agent
    elif "agent_team" in conv:
        shared["agent_team"] = conv["agent_team"]
    for key in ("queue", "language", "parent_id"):
        if key in conv:
            record[key] = conv[key]
    if "direction" in conv:
        record["direction"] = _DIRECTIONS.get(conv["direction"].lower(), conv["direction"].lower())
    if bad:
        shared["rows_quarantined"] = bad
    if shared:
        record["attributes"] = shared
    return [record]
