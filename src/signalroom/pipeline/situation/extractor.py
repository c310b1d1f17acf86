"""``SituationExtractor``: explainable rules over one interaction's turns and the journey before it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from signalroom.pipeline.situation import patterns as P
from signalroom.pipeline.situation.ending import decide_ending
from signalroom.pipeline.situation.model import Evidence, FrictionStart, Situation, Trigger, Want
from signalroom.pipeline.situation.nextsteps import likely_next
from signalroom.pipeline.situation.text import Blob
from signalroom.pipeline.views import InteractionView, JourneyEvent

_TRIGGER_ORDER = {
    "previous_contact": 0,
    "self_service_failure": 1,
    "communication_received": 2,
    "price_or_policy_change": 3,
    "life_event": 4,
}


def is_failure(event_type: str) -> bool:
    return event_type in P.FAILED_EVENTS or event_type.endswith(("_failed", "_error"))


class SituationExtractor:
    """Extract a :class:`Situation` from an :class:`InteractionView`. Options are keyword-only and only stored."""

    def __init__(
        self,
        *,
        failure_window_minutes: float = 180.0,
        max_turns: int = 120,
        max_turn_chars: int = 2000,
        closing_turns: int = 6,
        min_english_ratio: float = 0.15,
        min_language_tokens: int = 6,
        use_outcome_fields: bool = True,
    ) -> None:
        self.failure_window_minutes = failure_window_minutes
        self.max_turns = max_turns
        self.max_turn_chars = max_turn_chars
        self.closing_turns = closing_turns
        self.min_english_ratio = min_english_ratio
        self.min_language_tokens = min_language_tokens
        self.use_outcome_fields = use_outcome_fields

    def get_params(self) -> dict[str, Any]:
        return {
            "failure_window_minutes": self.failure_window_minutes,
            "max_turns": self.max_turns,
            "max_turn_chars": self.max_turn_chars,
            "closing_turns": self.closing_turns,
            "min_english_ratio": self.min_english_ratio,
            "min_language_tokens": self.min_language_tokens,
            "use_outcome_fields": self.use_outcome_fields,
        }

    # -- the record ---------------------------------------------------------------------------------

    def extract(self, view: InteractionView, *, reason: str | None = None) -> Situation:
        flags: list[str] = []
        turns = [t for t in view.turns if t.text and t.text.strip()]
        if not turns:
            flags.append("empty_transcript")
        elif len(turns) > self.max_turns:
            head = self.max_turns // 2
            turns = turns[:head] + turns[len(turns) - (self.max_turns - head) :]
            flags.append("truncated")
        if any(len(t.text) > self.max_turn_chars for t in turns):
            flags.append("long_turn_clipped")
        customer = [t for t in turns if t.speaker == "customer"]
        if turns and not customer:
            flags.append("no_customer_turns")
            if all(t.speaker == "agent" for t in turns):
                flags.append("agent_only")
        cblob = Blob(customer, self.max_turn_chars)
        if self._non_english(view, cblob.text if customer else " ".join(t.text for t in turns[:6])):
            flags.append("non_english")

        failures = self._failures(view)
        triggers = self._text_triggers(cblob)
        if failures:
            triggers.append(self._failure_trigger(view, failures))
        triggers.sort(key=lambda t: _TRIGGER_ORDER[t.kind])
        wants = self._wants(cblob)
        friction = self._friction(view, failures, cblob)
        ending = decide_ending(view, turns, self.max_turn_chars, self.closing_turns, self.use_outcome_fields, flags)
        nxt = likely_next(view, turns, self.max_turn_chars, reason, triggers, wants, ending)
        return Situation(
            interaction_id=view.id,
            trigger=triggers[0] if triggers else None,
            other_triggers=tuple(triggers[1:]),
            wants=wants,
            friction_start=friction,
            ended=ending,
            likely_next=nxt,
            flags=tuple(flags),
        )

    # -- language -------------------------------------------------------------------------------------

    def _non_english(self, view: InteractionView, text: str) -> bool:
        if view.language and not view.language.lower().startswith("en"):
            return True
        words = P.WORD_RE.findall(text[:3000].lower())
        if len(words) < self.min_language_tokens:
            return False
        hits = sum(1 for w in words if w in P.ENGLISH_STOPWORDS)
        return hits / len(words) < self.min_english_ratio

    # -- triggers ---------------------------------------------------------------------------------

    def _failures(self, view: InteractionView) -> list[tuple[int, JourneyEvent]]:
        window = timedelta(minutes=self.failure_window_minutes)
        start = view.started_at
        return [
            (i, e)
            for i, e in enumerate(view.events_before)
            if is_failure(e.type) and timedelta(0) <= start - e.at <= window
        ]

    def _failure_trigger(self, view: InteractionView, failures: list[tuple[int, JourneyEvent]]) -> Trigger:
        last = failures[-1][1]
        same = [(i, e) for i, e in failures if e.type == last.type]
        attempts = max(
            len(same), max((int(e.properties.get("attempt", 0) or 0) for _, e in same if _is_int(e)), default=0)
        )
        evidence = tuple(
            Evidence("event", "event.self_service_failure", e.type, event_index=i, event_type=e.type, event_at=e.at)
            for i, e in same
        )
        return Trigger(
            kind="self_service_failure",
            detail=last.type,
            rule="event.self_service_failure",
            evidence=evidence,
            minutes_before=round((view.started_at - last.at).total_seconds() / 60, 1),
            attempts=attempts,
        )

    def _text_triggers(self, blob: Blob) -> list[Trigger]:
        found: dict[str, Trigger] = {}
        for rule, m in P.scan(P.TRIGGER_RULESET, blob.text, blob.low, first=True):
            kind = P.TRIGGER_KIND[rule.split(".", 1)[0]]
            if kind in found:
                continue
            if rule in P.TRIGGER_DETAIL:
                detail = P.TRIGGER_DETAIL[rule]
            else:
                word = P.COMM_WORD.search(m.group())
                detail = word.group().lower().replace("-", "") if word else "communication"
            found[kind] = Trigger(kind, detail, rule, (blob.evidence(m.start(), m.end(), rule),))
        return list(found.values())

    # -- wants --------------------------------------------------------------------------------------

    def _wants(self, blob: Blob) -> Want | None:
        text = blob.text
        for rule, m in P.scan(P.WANT_RULESET, text, blob.low):
            phrase, end = _object(text, m.end())
            prefix = P.WANT_PREFIX.get(rule, "")
            if rule == "want.calling_about" and m.group().lower().rstrip().endswith(("about", "regarding", " re")):
                prefix = "help with "
            phrase = _normalise(phrase, prefix)
            if phrase:
                return Want(phrase, rule, (blob.evidence(m.start(), end, rule),))
        m2 = P.CANT_RE.search(text)
        if m2:
            phrase, end = _object(text, m2.end())
            phrase = _normalise(phrase, "be able to ")
            if phrase:
                return Want(phrase, "want.cant", (blob.evidence(m2.start(), end, "want.cant"),))
        m3 = P.BROKEN_RE.search(text)
        if m3:
            subject = m3.group(1).lower()
            return Want(f"fix my {subject}", "want.broken", (blob.evidence(m3.start(), m3.end(), "want.broken"),))
        return None

    # -- friction -------------------------------------------------------------------------------------

    def _friction(
        self, view: InteractionView, failures: list[tuple[int, JourneyEvent]], blob: Blob
    ) -> FrictionStart | None:
        if failures:
            i, e = failures[0]
            ev = Evidence("event", "friction.failed_event", e.type, event_index=i, event_type=e.type, event_at=e.at)
            minutes = round((view.started_at - e.at).total_seconds() / 60, 1)
            return FrictionStart("event", f"{e.type} {minutes:g} min before", "friction.failed_event", (ev,), minutes)
        m = P.PROBLEM_RE.search(blob.text)
        if m is None:
            return None
        turn, offset = blob.locate(m.start())
        sentence = _sentence(turn.text, offset)
        return FrictionStart(
            "turn", sentence, "friction.problem_turn", (blob.evidence(m.start(), m.end(), "friction.problem_turn"),)
        )


def _is_int(e: JourneyEvent) -> bool:
    value = e.properties.get("attempt")
    return isinstance(value, int) and not isinstance(value, bool)


def _object(text: str, start: int) -> tuple[str, int]:
    stop = P.OBJ_END.search(text, start)
    end = stop.start() if stop else len(text)
    end = min(end, start + 120)
    return text[start:end].rstrip(), start + len(text[start:end].rstrip())


_SPACES = re.compile(r"\s+")


def _normalise(phrase: str, prefix: str) -> str:
    phrase = _SPACES.sub(" ", phrase).strip(" ,'\"")
    phrase = P.LEADING_FILLER.sub("", phrase)
    phrase = P.TRAILING_FILLER.sub("", phrase).strip()
    words = phrase.split(" ")[:8]
    if not words or not words[0]:
        return ""
    first = words[0].lower()
    if first != "i" and not words[0].isupper():
        words[0] = first
    phrase = " ".join(words)
    if phrase.lower() in P.GENERIC_WANTS:
        return ""
    if not prefix:
        if first in P.DETERMINERS:
            prefix = "get "
        elif first == "have":
            phrase, prefix = phrase[5:], "get "
    return prefix + phrase


def _sentence(text: str, offset: int) -> str:
    begin = max(text.rfind(".", 0, offset), text.rfind("?", 0, offset), text.rfind("!", 0, offset)) + 1
    ends = [i for i in (text.find(".", offset), text.find("?", offset), text.find("!", offset)) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[begin:end].strip()[:200]
