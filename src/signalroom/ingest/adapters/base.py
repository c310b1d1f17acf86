"""The adapter contract: read a platform's export, yield interchange records or rejections.

An adapter never writes and never validates the interchange format itself: it maps a platform's
records to interchange dicts (or, for interchange JSONL, passes the line through) and the loader
validates every candidate the same way. Whatever it cannot map it yields as a :class:`Rejected`
with a reason, and whatever it deliberately does not load (an older version of a record, one merged
into another) as a :class:`Skipped`, so nothing is silently dropped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import orjson

DEFAULT_MAX_RECORD_BYTES = 2 * 1024 * 1024
# A whole-document export (one JSON file holding many records) is parsed at once; cap it.
DEFAULT_MAX_DOCUMENT_BYTES = 512 * 1024 * 1024


@dataclass(slots=True)
class Candidate:
    """One interchange record, with where it came from."""

    file: str
    location: str
    line: int | None
    raw: bytes | str
    payload: bytes | dict[str, Any]  # interchange JSON text, or a dict an adapter built


@dataclass(slots=True)
class Rejected:
    """A source record that could not be mapped, with the reason it is quarantined."""

    file: str
    location: str
    line: int | None
    raw: bytes | str
    code: str
    reason: str
    field: str | None = None
    raw_bytes: int | None = None
    raw_truncated: bool = False


@dataclass(slots=True)
class Skipped:
    """A source record deliberately not loaded because another one supersedes it (an older
    version of the same ticket, the raw twin of a redacted transcript). It is counted in the load
    summary under its reason, not quarantined: nothing it holds is lost.

    ``reason`` is the same text for every record skipped for the same cause (the summary counts by
    it); ``detail`` says which record superseded or took in this one (the contact, the location of
    the newer version), for whoever reads the items themselves."""

    file: str
    location: str
    line: int | None
    raw: bytes | str
    reason: str
    detail: str | None = None


Item = Candidate | Rejected | Skipped


class AdapterError(ValueError):
    """A source record does not match the platform format; names the field and what is wrong."""

    def __init__(self, reason: str, *, field: str | None = None, code: str = "bad_source_record"):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.code = code


@dataclass(frozen=True)
class ReadLimits:
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES


class Adapter(ABC):
    """Base class. Subclasses set ``name`` and ``description``; constructors take keyword-only
    options and only store them, so every adapter can be built from the CLI's options."""

    name: ClassVar[str]
    description: ClassVar[str]
    # File name endings this adapter reads, for documentation and auto-detection.
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def __init__(self) -> None:  # noqa: B027 - deliberately empty: no options
        """Adapters without options take none; those with options define their own."""

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        """Whether this file looks like this adapter's format (``head`` = its first 64 KiB)."""

    def plan(self, paths: list[Path], limits: ReadLimits) -> list[Path]:
        """Called once with every file of a load before reading; may index companion files
        (e.g. contact trace records) and returns the files to read, in order."""
        return paths

    def supplements(self, path: Path) -> bool:
        """Whether a planned file only supplements other files' records (transcripts, users,
        contact trace records…), so that it yielding no record of its own is expected."""
        return False

    @abstractmethod
    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        """Yield every record of one file, mapped or rejected."""

    def reconvert(self, raw: str, *, file: str, location: str, line: int | None) -> Iterator[Item]:
        """Map one quarantined source record again (``quarantine retry``)."""
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield Rejected(file, location, line, raw, "malformed_json", f"malformed JSON: {exc}")
            return
        yield from self.convert(obj, file=file, location=location, line=line, raw=raw)

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        """Map one parsed source record; adapters that read JSON override this. Without it, a
        stored record cannot be mapped on its own: the retry says so and the entry stays."""
        yield Rejected(
            file,
            location,
            line,
            raw,
            "not_retryable",
            f"the {self.name} format cannot map a single stored record: fix the file and load it again",
        )

    def _mapped(
        self,
        records: Iterable[dict[str, Any]] | AdapterError,
        *,
        file: str,
        location: str,
        line: int | None,
        raw: bytes | str,
    ) -> Iterator[Item]:
        """Turn a mapping's result into candidates, or one rejection naming the field."""
        if isinstance(records, AdapterError):
            yield Rejected(file, location, line, raw, records.code, records.reason, records.field)
            return
        for record in records:
            yield Candidate(file, location, line, raw, record)


_REGISTRY: dict[str, type[Adapter]] = {}


def register(cls: type[Adapter]) -> type[Adapter]:
    if cls.name in _REGISTRY:
        raise ValueError(f"adapter {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Adapter]]:
    # Importing the package registers the built-in adapters.
    import signalroom.ingest.adapters  # noqa: F401

    return dict(_REGISTRY)
