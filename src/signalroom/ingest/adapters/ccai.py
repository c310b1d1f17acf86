"""Google Contact Center AI (CCAI) Insights: ``Conversation`` resources and chat transcript uploads.

A file holds one Conversation, a JSON array of them, a ``conversations.list`` response
(``{"conversations": [...]}``) or JSON Lines; each conversation becomes one interaction. The chat
transcript upload format (``{"entries": [...]}``) carries no conversation id: it is taken from the
file name. See docs/adapters/ccai.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._records import (
    array,
    convert_records,
    duration_ms,
    epoch,
    first_object,
    list_in,
    mapping,
    millis,
    parse_time,
    snake,
    text,
)
from signalroom.ingest.adapters._records import role as _role
from signalroom.ingest.adapters.base import Adapter, AdapterError, Item, ReadLimits, Rejected, register

ROLES = {"HUMAN_AGENT": "agent", "ANY_AGENT": "agent", "AUTOMATED_AGENT": "bot", "END_USER": "customer"}
ENTRY_ROLES = {"AGENT": "agent", "AUTOMATED_AGENT": "bot", "CUSTOMER": "customer", "END_USER": "customer"}
MEDIA = {"PHONE_CALL": "voice", "CHAT": "chat", "MEDIUM_UNSPECIFIED": "voice"}
_RESOURCE = re.compile(rb'"name"\s*:\s*"projects/[^"]*/conversations/')
_SEGMENT_KEYS = {"text", "words", "segmentParticipant", "messageTime"}
_HANDLED = {
    "name",
    "startTime",
    "duration",
    "medium",
    "agentId",
    "languageCode",
    "labels",
    "callMetadata",
    "transcript",
    "qualityMetadata",
    "latestAnalysis",
    "latestSummary",
    "dataSource",
    "createTime",
    "updateTime",
    "turnCount",
    "customerId",
    "obfuscatedUserId",
}
_EVENTS = {"holdData": "hold", "interruptionData": "interruption", "silenceData": "silence"}
_PAGE = list_in("conversations")  # a conversations.list response
_MICROSECOND = timedelta(microseconds=1)


def _names(value: Any) -> list[Any]:
    """Display names of a map of matched resources (phrase matchers, intents)."""
    if not isinstance(value, dict):
        return []
    return [v.get("displayName", k) if isinstance(v, dict) else k for k, v in value.items()]


@register
class CcaiAdapter(Adapter):
    name = "ccai"
    description = "Google CCAI Insights conversations (JSON, list responses, JSONL) and chat transcript uploads"
    extensions = (".json", ".jsonl", ".ndjson")

    def __init__(self, *, customer_id: str | None = None, customer_label: str | None = None) -> None:
        self.customer_id = customer_id
        self.customer_label = customer_label

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        obj = first_object(head)
        if obj is not None and "kind" in obj:
            return False
        if b'"transcriptSegments"' in head or b'"segmentParticipant"' in head or _RESOURCE.search(head):
            return True
        return b'"entries"' in head and b'"start_timestamp_usec"' in head

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        yield from convert_records(path, limits, self.convert, _PAGE)

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        if not isinstance(obj, dict):
            yield Rejected(
                file,
                location,
                line,
                raw,
                "wrong_type",
                f"expected a Conversation object, got {type(obj).__name__}",
            )
            return
        try:
            record = self._entries(obj, file) if "entries" in obj else self._conversation(obj)
        except AdapterError as exc:
            yield Rejected(file, location, line, raw, exc.code, exc.reason, exc.field)
            return
        yield from self._mapped([record], file=file, location=location, line=line, raw=raw)

    # -- Conversation resources -------------------------------------------------------------

    def _conversation(self, conv: dict[str, Any]) -> dict[str, Any]:
        name = text(conv, "name", "name", required=True) or ""
        ident = name.rstrip("/").rsplit("/", 1)[-1]
        medium = text(conv, "medium", "medium") or "PHONE_CALL"
        if medium not in MEDIA:
            raise AdapterError(
                f"medium: unknown medium {medium!r} (expected PHONE_CALL or CHAT)",
                field="medium",
                code="unknown_channel",
            )
        channel = MEDIA[medium]
        segments = array(
            mapping(conv, "transcript", "transcript"), "transcriptSegments", "transcript.transcriptSegments"
        )
        attributes: dict[str, Any] = {"resource_name": name}
        if conv.get("startTime"):
            started = parse_time(conv["startTime"], "startTime")
        else:
            times = [s.get("messageTime") for s in segments if isinstance(s, dict) and s.get("messageTime")]
            if not times:
                raise AdapterError(
                    "missing required field startTime (and no segment has a messageTime)",
                    field="startTime",
                    code="missing_field",
                )
            started = min(parse_time(t, "transcript.transcriptSegments[].messageTime") for t in times)
            attributes["started_at_estimated"] = True
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": ident,
            "channel": channel,
            "started_at": started,
        }
        if conv.get("duration"):
            record["ended_at"] = started + timedelta(milliseconds=duration_ms(conv["duration"], "duration"))
        if text(conv, "languageCode", "languageCode"):
            record["language"] = conv["languageCode"]
        calls = mapping(conv, "callMetadata", "callMetadata")
        tags = {
            calls[key]: who
            for key, who in (("customerChannel", "customer"), ("agentChannel", "agent"))
            if isinstance(calls.get(key), int)
        }
        record["turns"], words = self._turns(segments, tags, started, channel)
        record["customer"] = self._customer(conv, segments, ident, attributes)
        quality = mapping(conv, "qualityMetadata", "qualityMetadata")
        agents = array(quality, "agentInfo", "qualityMetadata.agentInfo")
        first = agents[0] if agents and isinstance(agents[0], dict) else {}
        agent_id = text(conv, "agentId", "agentId") or text(first, "agentId", "qualityMetadata.agentInfo[0].agentId")
        if agent_id:
            agent = {"id": agent_id}
            for key, target in (("displayName", "name"), ("team", "team"), ("location", "site")):
                if isinstance(first.get(key), str) and first[key]:
                    agent[target] = first[key]
            record["agent"] = agent
        if len(agents) > 1:
            attributes["agent_info"] = agents
        if isinstance(first.get("dispositionCode"), str) and first["dispositionCode"]:
            record["outcome"] = {"disposition": first["dispositionCode"]}
        rating = quality.get("customerSatisfactionRating")
        if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5:
            record["survey"] = {"csat": rating}
        elif rating is not None:
            attributes["customer_satisfaction_rating"] = rating
        if quality.get("waitDuration"):
            attributes["wait_ms"] = duration_ms(quality["waitDuration"], "qualityMetadata.waitDuration")
        for key, value in quality.items():
            if key not in ("agentInfo", "customerSatisfactionRating", "waitDuration"):
                attributes[snake(key)] = value
        if conv.get("labels"):
            attributes["labels"] = mapping(conv, "labels", "labels")
        if calls:
            attributes["call_metadata"] = calls
        for key, target in (
            ("dataSource", "data_source"),
            ("createTime", "created_at"),
            ("updateTime", "updated_at"),
        ):
            if conv.get(key):
                attributes[target] = conv[key]
        summary = mapping(conv, "latestSummary", "latestSummary")
        if isinstance(summary.get("text"), str) and summary["text"]:
            attributes["summary"] = summary["text"]
        analysis = mapping(conv, "latestAnalysis", "latestAnalysis")
        record["events_in_call"] = self._analysis(analysis, tags, record["turns"], words, attributes)
        for key, value in conv.items():
            if key not in _HANDLED:
                attributes.setdefault(snake(key), value)
        record["attributes"] = attributes
        return record

    def _customer(
        self, conv: dict[str, Any], segments: list[Any], ident: str, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        labels = conv.get("labels")
        chosen: Any = None
        if self.customer_label and isinstance(labels, dict):
            chosen = labels.get(self.customer_label)
        chosen = chosen or text(conv, "customerId", "customerId")
        chosen = chosen or text(conv, "obfuscatedUserId", "obfuscatedUserId")
        if not chosen:
            for segment in segments:
                person = segment.get("segmentParticipant") if isinstance(segment, dict) else None
                if isinstance(person, dict) and person.get("role") == "END_USER":
                    chosen = person.get("userId") or person.get("obfuscatedExternalUserId")
                    if chosen:
                        break
        chosen = chosen or self.customer_id
        if isinstance(chosen, str) and chosen:
            return {"id": chosen}
        attributes["customer_anonymous"] = True
        return {"id": f"ccai-conversation:{ident}"}

    def _turns(
        self, segments: list[Any], tags: dict[Any, str], started: datetime, channel: str
    ) -> tuple[list[dict[str, Any]], list[list[int]]]:
        """The turns, and per turn the start offsets of its words (for analysis boundaries)."""
        turns: list[dict[str, Any]] = []
        word_starts: list[list[int]] = []
        for index, segment in enumerate(segments):
            where = f"transcript.transcriptSegments[{index}]"
            if not isinstance(segment, dict):
                raise AdapterError(f"{where}: expected an object", field=where, code="wrong_type")
            person = mapping(segment, "segmentParticipant", f"{where}.segmentParticipant")
            role = person.get("role")
            if role in ROLES:
                speaker = ROLES[role]
            elif (
                role in (None, "ROLE_UNSPECIFIED")
                and isinstance(segment.get("channelTag"), int)
                and segment["channelTag"] in tags
            ):
                speaker = tags[segment["channelTag"]]
            elif role in (None, "ROLE_UNSPECIFIED"):
                raise AdapterError(
                    f"{where}: no segmentParticipant.role and channelTag {segment.get('channelTag')!r} is "
                    "neither callMetadata.customerChannel nor callMetadata.agentChannel",
                    field=f"{where}.segmentParticipant.role",
                    code="unknown_speaker",
                )
            else:
                raise AdapterError(
                    f"{where}.segmentParticipant.role: unknown role {role!r} (expected one of {', '.join(ROLES)})",
                    field=f"{where}.segmentParticipant.role",
                    code="unknown_speaker",
                )
            content = segment.get("text", "")
            if not isinstance(content, str):
                raise AdapterError(f"{where}.text: expected a string", field=f"{where}.text", code="wrong_type")
            turn: dict[str, Any] = {"speaker": speaker, "text": content}
            starts: list[int] = []
            words = array(segment, "words", f"{where}.words")
            for n, word in enumerate(words):
                if isinstance(word, dict) and word.get("startOffset") is not None:
                    starts.append(duration_ms(word["startOffset"], f"{where}.words[{n}].startOffset"))
            if starts:
                turn["offset_ms"] = starts[0]
                last = words[-1] if isinstance(words[-1], dict) else {}
                if last.get("endOffset") is not None:
                    turn["end_ms"] = duration_ms(last["endOffset"], f"{where}.words[{len(words) - 1}].endOffset")
                turn["at"] = started + timedelta(milliseconds=starts[0])
            if segment.get("messageTime"):
                turn["at"] = parse_time(segment["messageTime"], f"{where}.messageTime")
                offset = millis(started, turn["at"])
                if offset >= 0 and "offset_ms" not in turn:
                    turn["offset_ms"] = offset
            for key, value in person.items():
                if key != "role":
                    turn[snake(key)] = value
            for key, value in segment.items():
                if key not in _SEGMENT_KEYS:
                    turn[snake(key)] = value
            turns.append(turn)
            word_starts.append(starts)
        return turns, word_starts

    def _analysis(
        self,
        analysis: dict[str, Any],
        tags: dict[Any, str],
        turns: list[dict[str, Any]],
        words: list[list[int]],
        attributes: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Analysis results to attributes; hold, interruption and silence annotations to events."""
        if not analysis:
            return []
        for key, target in (("name", "analysis_name"), ("createTime", "analysis_time")):
            if analysis.get(key):
                attributes[target] = analysis[key]
        meta = mapping(
            mapping(analysis, "analysisResult", "latestAnalysis.analysisResult"),
            "callAnalysisMetadata",
            "latestAnalysis.analysisResult.callAnalysisMetadata",
        )
        events: list[dict[str, Any]] = []
        for key, value in meta.items():
            if key == "annotations" and isinstance(value, list):
                for annotation in value:
                    events.extend(self._annotation(annotation, tags, turns, words))
            elif key == "sentiments" and isinstance(value, list):
                attributes["sentiments"] = {
                    tags.get(s["channelTag"], f"channel_{s['channelTag']}"): s.get("sentimentData")
                    for s in value
                    if isinstance(s, dict) and isinstance(s.get("channelTag"), int)
                }
            elif key == "silence" and isinstance(value, dict):
                if value.get("silenceDuration"):
                    attributes["silence_ms"] = duration_ms(
                        value["silenceDuration"],
                        "latestAnalysis.analysisResult.callAnalysisMetadata.silence.silenceDuration",
                    )
                if value.get("silencePercentage") is not None:
                    attributes["silence_percentage"] = value["silencePercentage"]
            elif key == "issueModelResult" and isinstance(value, dict):
                attributes["issues"] = [
                    {"name": i.get("displayName") or i.get("issue"), "score": i.get("score")}
                    for i in value.get("issues") or []
                    if isinstance(i, dict)
                ]
            elif key in ("phraseMatchers", "intents"):
                attributes["phrase_matchers" if key == "phraseMatchers" else "intents"] = _names(value)
            elif key == "entities" and isinstance(value, dict):
                attributes["entities"] = [
                    {"name": e.get("displayName"), "type": e.get("type"), "salience": e.get("salience")}
                    for e in value.values()
                    if isinstance(e, dict)
                ]
            else:
                attributes.setdefault(snake(key), value)
        events.sort(key=lambda event: event["offset_ms"])
        return events

    @staticmethod
    def _annotation(
        annotation: Any, tags: dict[Any, str], turns: list[dict[str, Any]], words: list[list[int]]
    ) -> list[dict[str, Any]]:
        if not isinstance(annotation, dict):
            return []
        kind = next((_EVENTS[key] for key in _EVENTS if key in annotation), None)

        def at(boundary: Any) -> int | None:
            if not isinstance(boundary, dict):
                return None
            index, word = boundary.get("transcriptIndex", 0), boundary.get("wordIndex", 0)
            if not isinstance(index, int) or not 0 <= index < len(turns):
                return None
            if isinstance(word, int) and 0 <= word < len(words[index]):
                return words[index][word]
            offset = turns[index].get("offset_ms")
            return offset if isinstance(offset, int) else None

        begin = at(annotation.get("annotationStartBoundary"))
        if kind is None or begin is None:
            return []
        event: dict[str, Any] = {"type": kind, "offset_ms": begin}
        end = at(annotation.get("annotationEndBoundary"))
        if end is not None and end >= begin:
            event["end_ms"] = end
        if isinstance(annotation.get("channelTag"), int) and annotation["channelTag"] in tags:
            event["by"] = tags[annotation["channelTag"]]
        return [event]

    # -- chat transcript uploads ------------------------------------------------------------

    def _entries(self, doc: dict[str, Any], file: str) -> dict[str, Any]:
        ident, _, from_name = Path(file).stem.partition("__")
        entries = array(doc, "entries", "entries")
        if not entries:
            raise AdapterError("entries: the transcript has no entries", field="entries", code="missing_field")
        turns: list[dict[str, Any]] = []
        people: dict[str, list[int]] = {"customer": [], "agent": []}
        for index, entry in enumerate(entries):
            where = f"entries[{index}]"
            if not isinstance(entry, dict):
                raise AdapterError(f"{where}: expected an object", field=where, code="wrong_type")
            role = _role(entry, "role", f"{where}.role", ENTRY_ROLES)
            content = entry.get("text")
            if not isinstance(content, str):
                raise AdapterError(f"missing required field {where}.text", field=f"{where}.text", code="missing_field")
            if "start_timestamp_usec" not in entry:
                raise AdapterError(
                    f"missing required field {where}.start_timestamp_usec",
                    field=f"{where}.start_timestamp_usec",
                    code="missing_field",
                )
            moment = epoch(entry["start_timestamp_usec"], f"{where}.start_timestamp_usec", _MICROSECOND)
            turn: dict[str, Any] = {"speaker": ENTRY_ROLES[role], "text": content, "at": moment}
            user = entry.get("user_id")
            if isinstance(user, int) and not isinstance(user, bool) and ENTRY_ROLES[role] in people:
                people[ENTRY_ROLES[role]].append(user)
            for key, value in entry.items():
                if key not in ("role", "text", "start_timestamp_usec"):
                    turn[key] = value
            turns.append(turn)
        started = min(turn["at"] for turn in turns)
        for turn in turns:
            turn["offset_ms"] = millis(started, turn["at"])
        attributes: dict[str, Any] = {"upload_format": "entries"}
        customer = self.customer_id or from_name
        if not customer and people["customer"]:
            customer = f"ccai-user:{people['customer'][0]}"
        if not customer:
            customer = f"ccai-conversation:{ident}"
            attributes["customer_anonymous"] = True
        info = mapping(doc, "conversation_info", "conversation_info")
        categories = [
            c.get("display_name")
            for c in array(info, "categories", "conversation_info.categories")
            if isinstance(c, dict)
        ]
        if categories:
            attributes["categories"] = categories
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": ident,
            "channel": "chat",
            "started_at": started,
            "ended_at": max(turn["at"] for turn in turns),
            "customer": {"id": customer},
            "turns": turns,
            "attributes": attributes,
        }
        if people["agent"]:
            record["agent"] = {"id": str(people["agent"][0])}
        return record
