"""Reading source files in constant memory, with every defect turned into a located reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.adapters.base import Rejected

_CHUNK = 1024 * 1024
# Quarantine keeps this much of an oversized record; the rest is re-read from its file on retry.
RAW_KEEP_BYTES = 64 * 1024


@dataclass(slots=True)
class Line:
    number: int
    data: bytes  # without the line ending; truncated to the limit when oversized
    size: int  # the whole line's size in bytes
    oversized: bool


def iter_lines(path: Path, max_bytes: int) -> Iterator[Line]:
    """Yield the non-blank lines of a file, 1-based. A line longer than ``max_bytes`` is yielded
    once, cut to RAW_KEEP_BYTES and flagged, without ever holding more than one chunk of it."""
    with path.open("rb") as handle:
        number = 0
        while True:
            data = handle.readline(max_bytes + 1)
            if not data:
                return
            number += 1
            if len(data) > max_bytes and not data.endswith(b"\n"):
                size = len(data)
                kept = data[:RAW_KEEP_BYTES]
                while True:
                    rest = handle.readline(_CHUNK)
                    size += len(rest)
                    if not rest or rest.endswith(b"\n"):
                        size -= len(rest) - len(rest.rstrip(b"\r\n"))
                        break
                yield Line(number, kept, size, True)
                continue
            stripped = data.rstrip(b"\r\n")
            if stripped.strip():
                yield Line(number, stripped, len(stripped), len(stripped) > max_bytes)


def read_lines_at(path: Path, numbers: set[int]) -> dict[int, bytes]:
    """The whole lines with these 1-based numbers (for retrying oversized records), read in one
    pass over the file; numbers beyond its end are absent from the result."""
    found: dict[int, bytes] = {}
    if not numbers:
        return found
    last = max(numbers)
    with path.open("rb") as handle:
        for index, data in enumerate(handle, start=1):
            if index in numbers:
                found[index] = data.rstrip(b"\r\n")
            if index >= last:
                break
    return found


def decode_line(file: str, line: Line) -> str | Rejected:
    """The line as text, or a rejection saying where its UTF-8 breaks."""
    try:
        return line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(
            file,
            f"line {line.number}",
            line.number,
            line.data,
            "invalid_utf8",
            f"invalid UTF-8 at byte {exc.start} of line {line.number}",
        )


def oversized(file: str, line: Line, max_bytes: int) -> Rejected:
    return Rejected(
        file,
        f"line {line.number}",
        line.number,
        line.data,
        "oversized",
        f"record of {line.size:,} bytes exceeds the limit of {max_bytes:,} bytes (raise it with --max-record-bytes)",
        raw_bytes=line.size,
        raw_truncated=line.size > len(line.data),
    )


def parse_json_line(file: str, line: Line) -> Any | Rejected:
    """A JSONL line parsed, or a rejection naming what is wrong with it."""
    text = decode_line(file, line)
    if isinstance(text, Rejected):
        return text
    try:
        return orjson.loads(line.data)
    except orjson.JSONDecodeError as exc:
        return Rejected(file, f"line {line.number}", line.number, text, "malformed_json", f"malformed JSON: {exc}")


def load_json_document(path: Path, max_bytes: int) -> Any | Rejected:
    """A whole JSON file parsed, or a rejection for the file."""
    size = path.stat().st_size
    name = str(path)
    if size > max_bytes:
        with path.open("rb") as handle:
            head = handle.read(RAW_KEEP_BYTES)
        return Rejected(
            name,
            "file",
            None,
            head,
            "oversized",
            f"file of {size:,} bytes exceeds the document limit of {max_bytes:,} bytes",
            raw_bytes=size,
            raw_truncated=True,
        )
    data = path.read_bytes()
    if not data.strip():
        return Rejected(name, "file", None, data, "empty_file", "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejected(name, "file", None, data, "invalid_utf8", f"invalid UTF-8 at byte {exc.start} of the file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Rejected(name, "file", None, text, "malformed_json", f"malformed JSON: {exc}")


def raw_text(raw: bytes | str) -> str:
    """Raw source text for the quarantine: undecodable bytes shown as \\xNN escapes."""
    if isinstance(raw, str):
        return raw
    return raw.decode("utf-8", "backslashreplace")
