"""CSV (or TSV…) with one utterance per row, grouped into interchange interactions.

Reading is two streaming passes over the file. The first reads only the conversation id of each
row and records, in a temporary on-disk SQLite database, each run of consecutive rows sharing an
id; ids with more than one run are the *split* conversations. The second pass parses every row:
a contiguous conversation is emitted as soon as its run ends, while the rows of split
conversations are spilled to the same database and assembled, in file order, at the end. Memory
holds one conversation at a time, whatever the file's size. See docs/adapters/utterance-csv.md.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from signalroom.ingest.adapters.base import (
    Adapter,
    Item,
    ReadLimits,
    Rejected,
    register,
)
from signalroom.ingest.adapters.utterance_csv_records import (
    ALIASES,
    BOM,
    DELIMITERS,
    FIELDS,
    Layout,
    RawRecord,
    iter_records,
    norm,
    parse_fields,
    resolve,
    sniff_delimiter,
    split_header,
)
from signalroom.ingest.adapters.utterance_csv_rows import (
    CHANNEL_SYNONYMS,
    SPEAKER_DEFAULTS,
    Row,
    RowError,
    Settings,
    column_of,
    conversation_id,
    interaction,
    parse_row,
)
from signalroom.interchange.models import CHANNELS, SPEAKERS

_HEAD_BYTES = 64 * 1024
_DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


@dataclass
class _Header:
    line: int
    text: str
    delimiter: str
    layout: Layout


@register
class UtteranceCsvAdapter(Adapter):
    name = "utterance-csv"
    description = "CSV/TSV transcripts with one utterance per row, grouped into interactions"
    extensions = (".csv", ".tsv", ".txt")

    def __init__(
        self,
        *,
        columns: dict[str, str] | None = None,
        speakers: dict[str, str] | None = None,
        channel: str | None = None,
        delimiter: str | None = None,
        timezone: str | None = None,
    ) -> None:
        self.columns = columns
        self.speakers = speakers
        self.channel = channel
        self.delimiter = delimiter
        self.timezone = timezone
        self._checked: Settings | None = None

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in cls.extensions:
            return False
        first = head.removeprefix(BOM).lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
        text = first.decode("utf-8", "replace")
        ids, texts = set(ALIASES["conversation_id"]), set(ALIASES["text"])
        for delimiter in DELIMITERS:
            names = {norm(name) for name in split_header(text, delimiter)}
            if names & ids and names & texts:
                return True
        return False

    # -- options ------------------------------------------------------------------------------

    def _settings(self) -> Settings:
        """The options checked once; a wrong one stops the load before anything is read."""
        if self._checked is not None:
            return self._checked
        from signalroom.ingest.loader import IngestError

        columns = dict(self.columns or {})
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise IngestError(f"--column: unknown field(s) {', '.join(unknown)}; expected one of {', '.join(FIELDS)}")
        if any(not isinstance(c, str) or not c.strip() for c in columns.values()):
            raise IngestError("--column: every FIELD=COLUMN needs a column name")
        speakers = dict(SPEAKER_DEFAULTS)
        for label, speaker in (self.speakers or {}).items():
            if speaker.strip().lower() not in SPEAKERS:
                raise IngestError(f"--speaker {label}={speaker}: expected one of {', '.join(SPEAKERS)} after the =")
            speakers[label.strip().lower()] = speaker.strip().lower()
        channel = None
        if self.channel is not None:
            channel = CHANNEL_SYNONYMS.get(norm(self.channel), norm(self.channel))
            if channel not in CHANNELS:
                raise IngestError(f"--channel {self.channel}: expected one of {', '.join(CHANNELS)}")
        delimiter = self.delimiter
        if delimiter is not None:
            delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise IngestError(f"--delimiter {self.delimiter!r}: expected one character (or tab)")
        zone = None
        if self.timezone is not None:
            try:
                zone = ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise IngestError(f"--timezone {self.timezone}: not an IANA time zone (e.g. Europe/London)") from None
        self._checked = Settings(columns, speakers, channel, delimiter, zone)
        return self._checked

    def plan(self, paths: list[Path], limits: ReadLimits) -> list[Path]:
        self._settings()
        return paths

    # -- reading ------------------------------------------------------------------------------

    def _header(self, file: str, handle: IO[bytes], limits: ReadLimits) -> _Header | Rejected:
        """The file's header, from the start of ``handle``, or the rejection of the whole file."""
        settings = self._settings()
        head = handle.read(_HEAD_BYTES)
        handle.seek(0)
        if not head.removeprefix(BOM).strip():
            return Rejected(file, "file", None, head, "empty_file", "the file is empty (no header row)")
        delimiter = settings.delimiter
        if delimiter is None:
            first = next(iter_records(io.BytesIO(head), _HEAD_BYTES, ","))
            sample = head.decode("utf-8", "replace")
            delimiter = sniff_delimiter(first.data.decode("utf-8", "replace"), sample, settings.columns)
        record = next(iter_records(handle, limits.max_record_bytes, delimiter))
        where = f"line {record.line}"
        if record.oversized:
            return Rejected(
                file,
                where,
                record.line,
                record.data,
                "oversized",
                f"header of {record.size:,} bytes exceeds the limit of {limits.max_record_bytes:,} bytes",
                raw_bytes=record.size,
                raw_truncated=True,
            )
        try:
            text = record.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected(
                file,
                where,
                record.line,
                record.data,
                "invalid_utf8",
                f"header (line {record.line}): invalid UTF-8 at byte {exc.start}",
            )
        layout = resolve(split_header(text, delimiter), settings.columns)
        if isinstance(layout, str):
            shown = "tab" if delimiter == "\t" else repr(delimiter)
            return Rejected(
                file,
                where,
                record.line,
                text,
                "missing_columns",
                f"header (line {record.line}, read with delimiter {shown}): {layout}",
            )
        return _Header(record.line, text, delimiter, layout)

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        file = str(path)
        csv.field_size_limit(max(csv.field_size_limit(), limits.max_record_bytes))
        with path.open("rb") as handle:
            header = self._header(file, handle, limits)
        if isinstance(header, Rejected):
            yield header
            return
        with tempfile.TemporaryDirectory(prefix="signalroom-csv-") as tmp:
            db = sqlite3.connect(Path(tmp) / "spill.sqlite")
            try:
                split = self._find_split(path, header, limits, db)
                yield from self._convert_rows(file, path, header, limits, db if split else None)
            finally:
                db.close()

    def _rows(self, path: Path, header: _Header, limits: ReadLimits) -> Iterator[RawRecord]:
        with path.open("rb") as handle:
            records = iter_records(handle, limits.max_record_bytes, header.delimiter)
            for record in records:
                if record.line > header.line:
                    yield record

    @staticmethod
    def _key(record: RawRecord, header: _Header) -> str | None:
        """The conversation a row belongs to, when it can be read at all (both passes agree); an
        oversized row is read from the part kept of it."""
        fields = parse_fields(record.data.decode("utf-8", "replace"), header.delimiter)
        return None if isinstance(fields, str) else conversation_id(fields, header.layout)

    def _find_split(self, path: Path, header: _Header, limits: ReadLimits, db: sqlite3.Connection) -> bool:
        """Pass 1: whether any conversation's rows are not contiguous (they go to table split)."""
        db.execute("CREATE TABLE runs (cid TEXT)")
        previous: str | None = None
        pending: list[tuple[str]] = []
        for record in self._rows(path, header, limits):
            cid = self._key(record, header)
            if cid is None or cid == previous:
                continue
            previous = cid
            pending.append((cid,))
            if len(pending) >= 10_000:
                db.executemany("INSERT INTO runs VALUES (?)", pending)
                pending.clear()
        db.executemany("INSERT INTO runs VALUES (?)", pending)
        db.execute("CREATE TABLE split AS SELECT cid FROM runs GROUP BY cid HAVING count(*) > 1")
        db.execute("DROP TABLE runs")
        if not db.execute("SELECT count(*) FROM split").fetchone()[0]:
            return False
        db.execute("CREATE UNIQUE INDEX split_cid ON split (cid)")
        db.execute("CREATE TABLE spill (seq INTEGER PRIMARY KEY, cid TEXT, line INTEGER, raw BLOB, bad INTEGER)")
        return True

    def _convert_rows(
        self, file: str, path: Path, header: _Header, limits: ReadLimits, db: sqlite3.Connection | None
    ) -> Iterator[Item]:
        """Pass 2: rows to interactions; rows of split conversations wait in ``db``."""
        current: str | None = None
        rows: list[Row] = []
        bad = 0
        spilling = False
        for record in self._rows(path, header, limits):
            cid = self._key(record, header)
            item = self._row(file, record, header, limits)
            if cid is not None and cid != current:
                if current is not None and not spilling:
                    yield from self._build(file, header, current, rows, bad)
                current, rows, bad = cid, [], 0
                spilling = db is not None and bool(db.execute("SELECT 1 FROM split WHERE cid = ?", (cid,)).fetchone())
            if isinstance(item, Rejected):
                yield item
            if cid is None:
                continue
            if spilling and db is not None:
                raw = None if isinstance(item, Rejected) else record.data
                db.execute(
                    "INSERT INTO spill (cid, line, raw, bad) VALUES (?, ?, ?, ?)",
                    (cid, record.line, raw, int(raw is None)),
                )
            elif isinstance(item, Rejected):
                bad += 1
            else:
                rows.append(item)
        if current is not None and not spilling:
            yield from self._build(file, header, current, rows, bad)
        if db is None:
            return
        db.execute("CREATE INDEX spill_cid ON spill (cid, seq)")
        order = db.execute("SELECT cid FROM spill GROUP BY cid ORDER BY min(seq)").fetchall()
        for (cid,) in order:
            rows, bad = [], 0
            for line, raw, is_bad in db.execute("SELECT line, raw, bad FROM spill WHERE cid = ? ORDER BY seq", (cid,)):
                if is_bad:
                    bad += 1
                    continue
                again = self._row(file, RawRecord(line, raw, len(raw), False), header, limits)
                if isinstance(again, Row):
                    rows.append(again)
            yield from self._build(file, header, cid, rows, bad)

    def _row(self, file: str, record: RawRecord, header: _Header, limits: ReadLimits) -> Row | Rejected:
        """One record parsed, or its rejection naming the row and column."""
        n = record.line
        where = f"line {n}"
        raw_bytes = header.text.encode("utf-8") + b"\n" + record.data
        if record.oversized:
            return Rejected(
                file,
                where,
                n,
                raw_bytes,
                "oversized",
                f"row {n}: record of {record.size:,} bytes exceeds the limit of "
                f"{limits.max_record_bytes:,} bytes (raise it with --max-record-bytes)",
                raw_bytes=len(raw_bytes) - len(record.data) + record.size,
                raw_truncated=True,
            )
        try:
            text = record.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejected(file, where, n, raw_bytes, "invalid_utf8", f"row {n}: invalid UTF-8 at byte {exc.start}")
        raw = f"{header.text}\n{text}"
        if record.unclosed:
            return Rejected(
                file,
                where,
                n,
                raw,
                "unclosed_quote",
                f"row {n}: a quoted field opened in this row is never closed (the file ends inside it)",
            )
        fields = parse_fields(text, header.delimiter)
        if isinstance(fields, str):
            return Rejected(file, where, n, raw, "malformed_row", f"row {n}: {fields}")
        settings = self._settings()
        try:
            return parse_row(n, text, fields, header.layout, settings.speakers, settings.zone)
        except RowError as exc:
            reason = f"row {n}: {column_of(header.layout, exc.field)}{exc.message}"
            return Rejected(file, where, n, raw, exc.code, reason, exc.field)

    # -- building -----------------------------------------------------------------------------

    def _build(
        self, file: str, header: _Header, cid: str, rows: list[Row], bad: int, location: str | None = None
    ) -> Iterator[Item]:
        """One conversation's good rows (in file order) as an interaction candidate."""
        if not rows:
            return  # every row of it is quarantined already
        first = min(row.line for row in rows)
        where = location or f"conversation {cid} (line {first})"
        raw = header.text + "\n" + "\n".join(row.raw for row in rows)
        yield from self._mapped(
            interaction(cid, rows, bad, header.layout, self._settings()),
            file=file,
            location=where,
            line=first,
            raw=raw,
        )

    # -- quarantine retry ---------------------------------------------------------------------

    def reconvert(self, raw: str, *, file: str, location: str, line: int | None) -> Iterator[Item]:
        """A conversation entry is rebuilt from its raw text (header + its rows, as corrected);
        a row entry (header + row, or the row alone) is put back in its conversation, whose
        other rows are re-read from the file, which must still be there."""
        settings = self._settings()
        data = raw.encode("utf-8", "surrogateescape")
        csv.field_size_limit(max(csv.field_size_limit(), ReadLimits().max_record_bytes, len(data)))
        first = next(iter_records(io.BytesIO(data), len(data) + 1, ","), None)
        delimiter = settings.delimiter
        if delimiter is None and first is not None:
            text = first.data.decode("utf-8", "replace")
            delimiter = sniff_delimiter(text, raw, settings.columns)
        records = list(iter_records(io.BytesIO(data), len(data) + 1, delimiter or ","))

        def refuse(code: str, reason: str) -> Iterator[Item]:
            yield Rejected(file, location, line, raw, code, reason)

        if location.startswith("conversation ") and len(records) >= 2:
            header = self._header(file, io.BytesIO(data), ReadLimits(max_record_bytes=len(data) + 1))
            if isinstance(header, Rejected):
                yield from refuse(header.code, header.reason)
                return
            rows = []
            for record in records[1:]:
                item = self._row(file, record, header, ReadLimits())
                if isinstance(item, Rejected):
                    yield from refuse(item.code, item.reason)
                    return
                rows.append(item)
            for cid in dict.fromkeys(row.cid for row in rows):
                mine = [row for row in rows if row.cid == cid]
                yield from self._build(file, header, cid, mine, 0, location)
            return
        path = Path(file)
        if not location.startswith("line ") or line is None or not records:
            yield from refuse("not_retryable", "cannot be retried alone; fix the file and load it again")
            return
        if not path.is_file():
            yield from refuse("source_missing", f"{file} is needed to rebuild this row's conversation; it is not there")
            return
        limits = ReadLimits()
        with path.open("rb") as handle:
            header = self._header(file, handle, limits)
        if isinstance(header, Rejected) or line <= header.line:
            yield from refuse(
                "not_retryable",
                "a header problem cannot be retried row by row: fix the header or map the columns "
                "with --column FIELD=COLUMN, then load the file again",
            )
            return
        row_header = header
        if len(records) >= 2:
            own = self._header(file, io.BytesIO(data), ReadLimits(max_record_bytes=len(data) + 1))
            if isinstance(own, Rejected):
                yield from refuse(own.code, own.reason)
                return
            row_header = own
        retried = records[-1]
        item = self._row(file, RawRecord(line, retried.data, retried.size, False, retried.unclosed), row_header, limits)
        if isinstance(item, Rejected):
            yield from refuse(item.code, item.reason)
            return
        rows, bad = [item], 0
        for record in self._rows(path, header, limits):
            if record.line == line or self._key(record, header) != item.cid:
                continue
            other = self._row(file, record, header, limits)
            if isinstance(other, Row):
                rows.append(other)
            else:
                bad += 1
        rows.sort(key=lambda row: row.line)
        yield from self._build(file, header, item.cid, rows, bad, location)
