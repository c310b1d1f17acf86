"""Records and header of an utterance CSV: splitting records, finding the delimiter, mapping columns.

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
from typing import IO

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


def iter_records(handle: IO[bytes], max_bytes: int, delimiter: str) -> Iterator[RawRecord]:
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
