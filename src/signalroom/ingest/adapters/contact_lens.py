"""Amazon Connect: Contact Lens analysis output files, merged with contact records (CTRs).

An analysis file (``<contactId>_analysis_<timestamp>.json``) holds the transcript and analytics of
one contact but no start time, agent or queue; its contact record has those. :meth:`plan` picks one
analysis file per contact and indexes every contact record (see :mod:`._connect_ctr`); analysis
files are read first, each merged with its contact's newest record; contact records are read
afterwards and become interactions without turns. Whatever is not loaded because another record
supersedes it or took it in is yielded as :class:`Skipped`. See docs/adapters/contact-lens.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._connect_ctr import (
    CtrIndex,
    CtrOptions,
    is_contact_record,
    map_contact,
    project,
)
from signalroom.ingest.adapters._lens_analysis import ROLES, characteristic_events, transcript_turns
from signalroom.ingest.adapters._records import (
    Found,
    array,
    convert_records,
    count,
    first_object,
    head_of,
    is_json_lines,
    iter_records,
    mapping,
    parse_time,
    snake,
    text,
)
from signalroom.ingest.adapters._records import role as _role
from signalroom.ingest.adapters.base import (
    Adapter,
    AdapterError,
    Candidate,
    Item,
    ReadLimits,
    Rejected,
    Skipped,
    register,
)
from signalroom.ingest.reading import load_json_document

ANALYSIS_NAME = re.compile(
    r"^(?P<contact>.+?)_analysis_(?P<redacted>redacted_)?"
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}[:_]\d{2}[:_]\d{2}(?:\.\d+)?Z)\.json$"
)
# Skipped reasons (counted per reason in the load summary).
SUPERSEDED_BY_REDACTED = "superseded by the redacted analysis"
SUPERSEDED_BY_ORIGINAL = "superseded by the original analysis (prefer_redacted is off)"
SUPERSEDED_ANALYSIS = "superseded by another analysis file of the contact"
MERGED_CTR = "merged into the analysis of its contact"
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


def is_analysis(obj: dict[str, Any]) -> bool:
    return "CustomerMetadata" in obj and any(
        key in obj for key in ("Transcript", "ConversationCharacteristics", "Participants", "JobStatus")
    )


def _name_stamp(name: str) -> tuple[str, bool, datetime] | None:
    match = ANALYSIS_NAME.match(name)
    if match is None:
        return None
    stamp = match["ts"].replace("_", ":")
    return match["contact"], bool(match["redacted"]), datetime.fromisoformat(stamp)


def _analysis_key(name: str, doc: Any) -> tuple[str, bool] | None:
    """An analysis file's contact and whether it is the redacted one: from its name, else its content."""
    named = _name_stamp(name)
    if named is not None:
        return named[0], named[1]
    if not isinstance(doc, dict):
        return None
    meta = doc.get("CustomerMetadata")
    contact = meta.get("ContactId") if isinstance(meta, dict) else None
    content = doc.get("ContentMetadata")
    output = content.get("Output") if isinstance(content, dict) else None
    return (contact, output == "Redacted") if isinstance(contact, str) else None


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
        self._index = CtrIndex()
        self._chosen: dict[str, tuple[str, bool]] = {}  # contact -> (analysis file loaded, redacted)
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
            named = _name_stamp(path.name) is not None
            key = _analysis_key(path.name, None if named else load_json_document(path, limits.max_document_bytes))
            if key is None:
                continue
            contact, redacted = key
            current = chosen.get(contact)
            if current is None or redacted == self.prefer_redacted or current[1] != self.prefer_redacted:
                chosen[contact] = (path, redacted)
        self._chosen = {contact: (str(path), redacted) for contact, (path, redacted) in chosen.items()}
        self._index = CtrIndex()
        self._merged = set()
        for path in others:
            file = str(path)
            for found in iter_records(path, limits):
                if isinstance(found, Found):
                    self._index.add(found.obj, file, found.location, self._chosen)
        return analysis + others

    # -- reading ----------------------------------------------------------------------------

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        yield from convert_records(path, limits, self.convert)

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        if not isinstance(obj, dict):
            yield Rejected(file, location, line, raw, "wrong_type", f"expected a JSON object, got {type(obj).__name__}")
            return
        if is_analysis(obj):
            meta = obj.get("CustomerMetadata")
            contact = meta.get("ContactId") if isinstance(meta, dict) else None
            chosen = self._chosen.get(contact) if isinstance(contact, str) else None
            if chosen is not None and chosen[0] != file:
                why = self._superseded(file, obj, chosen[1])
                yield Skipped(file, location, line, raw, why, f"contact {contact!r}: {chosen[0]} is loaded")
                return
            try:
                ctr = self._index.records.get(contact) if isinstance(contact, str) else None
                record = self._analysis(obj, file, ctr)
            except AdapterError as exc:
                yield Rejected(file, location, line, raw, exc.code, exc.reason, exc.field)
                return
            self._merged.add(record["id"])
            yield Candidate(file, location, line, raw, record)
        elif is_contact_record(obj):
            ident = obj.get("ContactId")
            superseded = self._index.superseded(obj, file, location)
            if superseded is not None:
                yield Skipped(file, location, line, raw, *superseded)
                return
            if ident in self._merged:
                yield Skipped(file, location, line, raw, MERGED_CTR, f"contact {ident!r}")
                return
            try:
                record = self._contact_record(project(obj))
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

    def _superseded(self, file: str, doc: dict[str, Any], chosen_redacted: bool) -> str:
        """Why this analysis file of a contact gives way to the one loaded."""
        key = _analysis_key(Path(file).name, doc)
        if key is None or key[1] == chosen_redacted:
            return SUPERSEDED_ANALYSIS
        return SUPERSEDED_BY_REDACTED if chosen_redacted else SUPERSEDED_BY_ORIGINAL

    def _contact_record(self, ctr: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
        return map_contact(ctr, CtrOptions(self.customer_attribute, self.task_channel), names)

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
            role = _role(person, "ParticipantRole", f"{where}.ParticipantRole", ROLES)
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
            record = self._contact_record({**ctr, "Channel": ctr.get("Channel") or channel}, names)
            lead = (record.pop("_lead", None) or 0) if channel == "VOICE" else 0
            record.pop("_lead", None)
            if lead:
                record["attributes"]["transcript_offset_ms"] = lead
        else:
            record = self._estimated(contact, channel, file, duration, transcript, names)
            lead = 0
        attributes = record["attributes"]
        record["turns"], events = transcript_turns(transcript, roles, record["started_at"], lead)
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
        events.extend(characteristic_events(characteristics, attributes, lead))
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
        stamps = sorted(parse_time(t, "Transcript[].AbsoluteTime") for t in times if t)
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
        record = self._contact_record(
            {"ContactId": contact, "Channel": channel, "InitiationTimestamp": started.isoformat()}, names
        )
        record.pop("outcome")
        if duration is not None and channel == "VOICE":
            record["ended_at"] = started + timedelta(milliseconds=duration)
        record["attributes"]["started_at_estimated"] = True
        return record
