"""Rows of an utterance CSV: splitting records, mapping the header, parsing one row.

Helper of :mod:`signalroom.ingest.adapters.utterance_csv`. Records are split on physical lines
while tracking whether a quoted field is still open, so a record keeps its first line number, its
raw bytes and its own UTF-8 check, and an oversized record is never held whole in memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import IO, Any

from signalroom.ingest.adapters.base import AdapterError
from signalroom.ingest.reading import RAW_KEEP_BYTES

_CHUNK = 1024 * 1024
BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t", "|")

# Interchange field -> header names recognised without a mapping (compared normalised, see norm()).
ALIASES: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "conversation_id",
        "conversationid",
        "conversation",
        "dialogue_id",
        "dialog_id",
        "dialogueid",
        "dialogid",
        "call_id",
        "callid",
        "ticket_id",
        "ticketid",
        "chat_id",
        "session_id",
        "interaction_id",
        "contact_id",
        "case_id",
        "thread_id",
        "transcript_id",
    ),
    "speaker": ("speaker", "role", "participant", "party", "speaker_role", "participant_role", "sender"),
    "text": ("text", "utterance", "message", "transcript", "content", "body", "utterance_text"),
    "timestamp": ("timestamp", "time", "datetime", "date_time", "sent_at", "created_at", "at"),
    "offset_ms": ("offset_ms", "start_ms", "begin_ms", "start_offset_ms"),
    "end_ms": ("end_ms", "stop_ms", "end_offset_ms"),
    "offset_seconds": ("offset_seconds", "offset_s", "offset_sec", "start_seconds", "start_s", "offset"),
    "channel": ("channel", "medium"),
    "started_at": ("started_at", "start_at", "conversation_start", "call_start", "start_datetime"),
    "customer_id": ("customer_id", "customerid", "client_id", "caller_id", "user_id"),
    "customer_email": ("customer_email", "email"),
    "customer_phone": ("customer_phone", "phone", "phone_number", "caller_number", "ani"),
    "customer_name": ("customer_name", "client_name", "caller_name"),
    "agent_id": ("agent_id", "agentid", "advisor_id", "rep_id", "operator_id"),
    "agent_name": ("agent_name", "advisor_name", "rep_name", "operator_name", "agent"),
    "agent_team": ("agent_team", "team"),
    "queue": ("queue", "queue_name", "skill"),
    "direction": ("direction",),
    "language": ("language", "lang", "locale"),
    "parent_id": ("parent_id", "parent_conversation_id"),
}
FIELDS = tuple(ALIASES)
REQUIRED = ("conversation_id", "speaker", "text")
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


def norm(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower()).strip("_")


@dataclass(slots=True)
class RawRecord:
    line: int  # the physical line it starts on (1-based)
    data: bytes  # without the final line ending; cut to RAW_KEEP_BYTES when oversized
    size: int
    oversized: bool
    unclosed: bool = False  # the file ended inside a quoted field


def _still_quoted(line: bytes, inside: bool, at_start: bool, delim: bytes) -> bool:
    """Whether a quoted field is open at the end of ``line``, given the state at its start. A quote
    opens a field only at the field's start (as Python's csv reader reads it); "" is an escape."""
    if b'"' not in line:
        return inside
    pos = 0
    opener = delim + b'"'
    while True:
        if inside:
            i = line.find(b'"', pos)
            if i < 0:
                return True
            if line[i + 1 : i + 2] == b'"':
                pos = i + 2
                continue
            inside, pos = False, i + 1
        else:
            if at_start and pos == 0 and line.startswith(b'"'):
                inside, pos = True, 1
                continue
            i = line.find(opener, pos)
            if i < 0:
                return False
            inside, pos = True, i + 2


def iter_records(handle: IO[bytes], max_bytes: int, delimiter: str, first_line: int = 1) -> Iterator[RawRecord]:
    """Yield the non-blank CSV records of a binary stream, quoted multi-line fields kept together."""
    delim = delimiter.encode("utf-8")
    number = 0
    parts: list[bytes] = []
    size = 0
    start = 0
    inside = False
    big = False
    chunk = b""
    while True:
        if not size:
            start = number + 1
        last, chunk = chunk, handle.readline(_CHUNK)
        if not chunk:
            if size:
                record = _finish(start, parts, size, big, last, max_bytes, unclosed=inside)
                if record.size:
                    yield record
            return
        inside = _still_quoted(chunk, inside, not size, delim)
        size += len(chunk)
        if not big:
            parts.append(chunk)
            if size > max_bytes + 2:
                big = True
                parts = [b"".join(parts)[:RAW_KEEP_BYTES]]
        if chunk.endswith(b"\n"):
            number += 1
            if not inside:
                record = _finish(start, parts, size, big, chunk, max_bytes)
                parts, size, big = [], 0, False
                if record.size:
                    yield record


def _finish(
    start: int,
    parts: list[bytes],
    size: int,
    big: bool,
    tail: bytes,
    limit: int,
    *,
    unclosed: bool = False,
) -> RawRecord:
    data = b"".join(parts)
    if start == 1 and data.startswith(BOM):
        data, size = data[len(BOM) :], size - len(BOM)
    size -= len(tail) - len(tail.rstrip(b"\r\n"))
    if big:
        return RawRecord(start, data.rstrip(b"\r\n"), size, True, unclosed)
    data = data.rstrip(b"\r\n")
    if not data.strip():
        return RawRecord(start, b"", 0, False)
    return RawRecord(start, data, size, size > limit, unclosed)


def parse_fields(text: str, delimiter: str) -> list[str] | str:
    """The fields of one record, or what is wrong with it."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'))
    except csv.Error as exc:
        return f"cannot parse the row: {exc}"
    if len(rows) != 1:
        return f"the row reads as {len(rows)} rows"
    return rows[0]


def sniff_delimiter(header: str, sample: str, columns: dict[str, str]) -> str:
    """The delimiter under which the header names the required columns; else csv.Sniffer's
    guess; else the candidate the header line holds most of."""
    fitting = [d for d in DELIMITERS if not isinstance(resolve(split_header(header, d), columns), str)]
    if len(fitting) == 1:
        return fitting[0]
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = ""
    if guess and (not fitting or guess in fitting):
        return guess
    return (fitting or sorted(DELIMITERS, key=header.count, reverse=True))[0]


def split_header(text: str, delimiter: str) -> list[str]:
    fields = parse_fields(text, delimiter)
    return [] if isinstance(fields, str) else [name.strip() for name in fields]


@dataclass
class Layout:
    """Which header column holds which interchange field; the others are kept as attributes."""

    names: list[str]
    index: dict[str, int]
    extras: list[tuple[int, str]] = field(default_factory=list)


def resolve(names: list[str], columns: dict[str, str]) -> Layout | str:
    """Map a header to fields, or the reason the file cannot be read with it."""
    exact = {name: i for i, name in reversed(list(enumerate(names)))}
    folded = {name.lower(): i for i, name in reversed(list(enumerate(names)))}
    normal = {norm(name): i for i, name in reversed(list(enumerate(names)))}
    index: dict[str, int] = {}
    found = ", ".join(repr(n) for n in names) or "no columns"
    for fld, column in columns.items():
        i = exact.get(column, folded.get(column.lower(), normal.get(norm(column))))
        if i is None:
            return (
                f'column "{column}" (mapped to {fld} with --column {fld}={column}) is not in the '
                f"header; the header has {found}"
            )
        index[fld] = i
    taken = set(index.values())
    for fld, aliases in ALIASES.items():
        if fld in index:
            continue
        for alias in aliases:
            i = normal.get(alias)
            if i is not None and i not in taken:
                index[fld] = i
                taken.add(i)
                break
    missing = [f for f in REQUIRED if f not in index]
    if missing:
        hints = " ".join(f"--column {f}=COLUMN" for f in missing)
        return f"the header has no {', '.join(missing)} column (found {found}); map them with {hints}"
    if "timestamp" not in index and "started_at" not in index:
        return (
            f"the header has no column saying when conversations happened (found {found}); map a "
            "turn time with --column timestamp=COLUMN or a start time with --column started_at=COLUMN"
        )
    extras = []
    for i, name in enumerate(names):
        if i not in taken:
            extras.append((i, name or f"column_{i + 1}"))
    return Layout(names, index, extras)


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


def parse_time(value: str, zone: tzinfo | None, fld: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RowError(
            fld, "bad_timestamp", f"{value!r} is not an RFC 3339 timestamp (e.g. 2026-03-02T09:15:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        if zone is None:
            raise RowError(
                fld,
                "timestamp_without_offset",
                f"timestamp {value!r} has no UTC offset (write e.g. 2026-03-02T09:15:00+01:00, "
                "or name the zone it is in with --timezone Europe/London)",
            )
        moment = moment.replace(tzinfo=zone)
    return moment


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
