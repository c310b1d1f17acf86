"""Genesys Cloud: analytics conversation details, with Speech & Text Analytics transcripts.

One conversation becomes one interaction. Transcripts are separate files; :meth:`plan` indexes
them by conversation id (path and location only) and each is read when its conversation is
mapped. See docs/adapters/genesys.md for the field mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._genesys_map import (
    _AGENT,
    _AUTOMATED,
    _CUSTOMER,
    _channel,
    _customer,
    _dicts,
    _is_transcript,
    _last_segment_value,
    _main_agent,
    _page,
    _transcript_turns,
)
from signalroom.ingest.adapters._records import (
    Found,
    first_object,
    head_of,
    iter_records,
    load_at,
    millis,
    parse_time,
    text,
)
from signalroom.ingest.adapters.base import Adapter, AdapterError, Item, ReadLimits, Rejected, Skipped, register

MERGED_TRANSCRIPT = "merged into the interaction of its conversation"


@register
class GenesysAdapter(Adapter):
    name = "genesys"
    description = "Genesys Cloud analytics conversation details, with Speech & Text Analytics transcripts"
    extensions = (".json", ".jsonl", ".ndjson")

    def __init__(self) -> None:
        self._limits = ReadLimits()
        self._transcripts: dict[str, list[tuple[Path, str]]] = {}
        self._transcript_files: set[Path] = set()
        self._listing_files: set[Path] = set()
        self._names: dict[str, str] = {}
        self._merged: set[str] = set()
        self._failed: set[str] = set()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        first = first_object(head)
        if first is not None and "kind" in first:
            return False
        if b'"conversationId"' in head:
            return b'"conversationStart"' in head or (b'"transcripts"' in head and b'"phrases"' in head)
        return b'"entities"' in head and b'"/api/v2/routing/' in head

    def plan(self, paths: list[Path], limits: ReadLimits) -> list[Path]:
        self._limits = limits
        details: list[Path] = []
        for path in paths:
            head = head_of(path)
            if b'"transcripts"' in head and b'"conversationStart"' not in head:
                self._transcript_files.add(path)
            elif b'"entities"' in head and b'"/api/v2/routing/' in head:
                self._listing_files.add(path)
            else:
                details.append(path)
        for path in sorted(self._transcript_files):
            for unit in iter_records(path, limits, _page):
                if isinstance(unit, Found) and isinstance(unit.obj, dict):
                    cid = unit.obj.get("conversationId")
                    if isinstance(cid, str) and cid:
                        self._transcripts.setdefault(cid, []).append((path, unit.location))
        for path in sorted(self._listing_files):
            for unit in iter_records(path, limits, _page):
                if isinstance(unit, Found) and isinstance(unit.obj, dict):
                    ident, label = unit.obj.get("id"), unit.obj.get("name")
                    if isinstance(ident, str) and isinstance(label, str) and label:
                        self._names[ident] = label
        ordered = [p for p in paths if p in self._listing_files] + details
        return ordered + [p for p in paths if p in self._transcript_files]

    def supplements(self, path: Path) -> bool:
        return path in self._transcript_files or path in self._listing_files

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        file = str(path)
        for unit in iter_records(path, limits, _page):
            if isinstance(unit, Rejected):
                yield unit
            elif path in self._listing_files:
                continue  # queue / wrap-up code names, used by plan()
            else:
                yield from self.convert(unit.obj, file=file, location=unit.location, line=unit.line, raw=unit.raw)

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        if _is_transcript(obj):
            yield from self._transcript_item(obj, file=file, location=location, line=line, raw=raw)
            return
        try:
            record = self._conversation(obj)
        except AdapterError as exc:
            if isinstance(obj, dict) and isinstance(obj.get("conversationId"), str):
                self._failed.add(obj["conversationId"])
            yield from self._mapped(exc, file=file, location=location, line=line, raw=raw)
            return
        if record["id"] in self._transcripts:
            self._merged.add(record["id"])
        yield from self._mapped([record], file=file, location=location, line=line, raw=raw)

    # -- transcripts -----------------------------------------------------------------------

    def _transcript_item(
        self, obj: dict[str, Any], *, file: str, location: str, line: int | None, raw: bytes | str
    ) -> Iterator[Item]:
        try:
            cid, _ = _transcript_turns(obj, None)
        except AdapterError as exc:
            yield Rejected(file, location, line, raw, exc.code, f"transcript: {exc.reason}", exc.field)
            return
        if cid in self._merged:
            yield Skipped(file, location, line, raw, MERGED_TRANSCRIPT, f"conversation {cid!r}")
            return
        if cid in self._failed:
            why = "its conversation detail was quarantined; fix it and ingest both files again"
        else:
            why = "its conversation detail is not in this load; ingest the details file with it"
        yield Rejected(
            file,
            location,
            line,
            raw,
            "missing_conversation",
            f"transcript of conversation {cid!r} not merged: {why}",
            "conversationId",
        )

    def _turns_for(self, cid: str, start: datetime) -> tuple[list[dict[str, Any]], list[str]]:
        turns: list[dict[str, Any]] = []
        communications: list[str] = []
        for path, location in self._transcripts.get(cid, []):
            unit = load_at(path, location, self._limits, _page)
            if unit is None:
                continue
            try:
                _, found = _transcript_turns(unit.obj, start)
            except AdapterError:
                continue  # reported as rejected when the transcript file is read
            turns.extend(found)
            comm = unit.obj.get("communicationId")
            if isinstance(comm, str):
                communications.append(comm)
        turns.sort(key=lambda t: (t["at"], t.get("offset_ms") or 0))
        return turns, communications

    # -- conversations ---------------------------------------------------------------------

    def _conversation(self, conv: Any) -> dict[str, Any]:
        if not isinstance(conv, dict):
            raise AdapterError(f"expected a conversation object, got {type(conv).__name__}", code="wrong_type")
        cid = text(conv, "conversationId", "conversationId", required=True)
        assert cid is not None
        start = parse_time(conv.get("conversationStart"), "conversationStart")
        end = None
        if conv.get("conversationEnd") is not None:
            end = parse_time(conv["conversationEnd"], "conversationEnd")
        if not conv.get("participants"):
            raise AdapterError("missing required field participants", field="participants", code="missing_field")
        participants = _dicts(conv["participants"], "participants")
        sessions = [_dicts(p.get("sessions"), f"participants[{i}].sessions") for i, p in enumerate(participants)]

        cust = next((i for want in _CUSTOMER for i, p in enumerate(participants) if p.get("purpose") == want), None)
        if cust is None:
            raise AdapterError(
                "no participant with purpose customer or external (an internal call?)",
                field="participants[].purpose",
                code="missing_customer",
            )
        channel, session, sidx, media = _channel(sessions[cust], cust)
        attributes: dict[str, Any] = {"media_type": media}
        if session.get("messageType"):
            attributes["message_type"] = session["messageType"]
        direction = conv.get("originatingDirection") or session.get("direction")
        if direction not in ("inbound", "outbound"):
            if direction is not None:
                attributes["originating_direction"] = direction
            direction = None
        customer = _customer(participants[cust], session, channel, direction, f"participants[{cust}].sessions[{sidx}]")

        def offset(value: Any, field: str) -> int:
            moment = parse_time(value, field)
            ms = millis(start, moment)
            if ms < 0:
                raise AdapterError(f"{field}: {value!r} is before conversationStart", field=field, code="invalid_value")
            return ms

        events: list[dict[str, Any]] = []
        holds: set[tuple[int, int | None]] = set()
        transferred = False
        metrics: dict[str, float] = {}
        agents: list[int] = []
        automated: list[dict[str, Any]] = []
        for i, (part, part_sessions) in enumerate(zip(participants, sessions, strict=True)):
            purpose = part.get("purpose")
            if purpose in _AGENT and isinstance(part.get("userId"), str):
                agents.append(i)
            if purpose in _AUTOMATED:
                automated.append({k: v for k, v in (("purpose", purpose), ("name", part.get("participantName"))) if v})
            for j, sess in enumerate(part_sessions):
                where = f"participants[{i}].sessions[{j}]"
                for metric in _dicts(sess.get("metrics"), f"{where}.metrics"):
                    value = metric.get("value")
                    if isinstance(metric.get("name"), str) and isinstance(value, int | float):
                        metrics[metric["name"]] = metrics.get(metric["name"], 0) + value
                if isinstance(sess.get("flow"), dict) and sess["flow"].get("flowName"):
                    automated.append({"purpose": "flow", "name": sess["flow"]["flowName"]})
                for k, seg in enumerate(_dicts(sess.get("segments"), f"{where}.segments")):
                    seg_where = f"{where}.segments[{k}]"
                    if seg.get("segmentType") == "hold" and purpose in (*_AGENT, *_CUSTOMER):
                        begin = offset(seg.get("segmentStart"), f"{seg_where}.segmentStart")
                        finish = None
                        if seg.get("segmentEnd") is not None:
                            finish = offset(seg["segmentEnd"], f"{seg_where}.segmentEnd")
                        holds.add((begin, finish))
                    disconnect = seg.get("disconnectType")
                    if purpose in _AGENT and isinstance(disconnect, str) and disconnect.startswith("transfer"):
                        transferred = True
                        at = seg.get("segmentEnd") or seg.get("segmentStart")
                        events.append(
                            {
                                "type": "transfer",
                                "offset_ms": offset(at, f"{seg_where}.segmentEnd"),
                                "disconnect_type": disconnect,
                                "from_user_id": part.get("userId"),
                            }
                        )
        for begin, finish in sorted(holds, key=lambda h: (h[0], h[1] or 0)):
            events.append({"type": "hold_start", "offset_ms": begin})
            if finish is not None:
                events.append({"type": "hold_end", "offset_ms": finish})
        events.sort(key=lambda e: e["offset_ms"])
        if metrics.get("nTransferred", 0) > 0:
            transferred = True

        record: dict[str, Any] = {
            "kind": "interaction",
            "id": cid,
            "channel": channel,
            "started_at": start,
            "customer": customer,
        }
        if end is not None:
            record["ended_at"] = end
        if direction:
            record["direction"] = direction
        main = _main_agent(participants, sessions, agents)
        if main is not None:
            agent = {"id": participants[main]["userId"]}
            if isinstance(participants[main].get("participantName"), str):
                agent["name"] = participants[main]["participantName"]
            record["agent"] = agent
            if len(agents) > 1:
                attributes["agent_ids"] = [participants[i]["userId"] for i in agents]
        queue_id = _last_segment_value(participants, sessions, "queueId", main)
        if queue_id is not None:
            record["queue"] = self._names.get(queue_id, queue_id)
            if queue_id in self._names:
                attributes["queue_id"] = queue_id
        outcome: dict[str, Any] = {"transferred": transferred}
        code = _last_segment_value(participants, sessions, "wrapUpCode", main, only_main=True)
        if code is not None:
            outcome["disposition"] = self._names.get(code, code)[:256]
            if code in self._names:
                attributes["wrapup_code_id"] = code
        note = _last_segment_value(participants, sessions, "wrapUpNote", main, only_main=True)
        if note is not None:
            attributes["wrapup_note"] = note
        record["outcome"] = outcome
        record["events_in_call"] = events
        turns, communications = self._turns_for(cid, start)
        if turns:
            record["turns"] = turns
            attributes["transcript_communication_ids"] = communications
        if conv.get("divisionIds"):
            attributes["division_ids"] = conv["divisionIds"]
        if metrics:
            attributes["metrics"] = metrics
        if automated:
            attributes["automated_participants"] = automated
        record["attributes"] = attributes
        return record
