"""Conversation metrics of one interaction: talk, silence, holds, overtalk, response times.

A pure function of an :class:`~signalroom.pipeline.views.InteractionView`. Voice and video calls
are measured from the turns' ``offset_ms``/``end_ms`` and the call events; chats, messaging,
email, social and SMS from the turns' ``at`` timestamps. What the data cannot support is
``None`` with a ``flags`` entry saying why: nothing is estimated or invented. Every metric is
defined in ``docs/metrics.md`` (section "Conversation metrics").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, ClassVar

from signalroom.pipeline.records import shallow_dict
from signalroom.pipeline.views import InteractionView, TurnView

__all__ = ["SILENCE_FLOOR_MS", "VOICE_CHANNELS", "ConversationMetrics", "conversation_metrics"]

VOICE_CHANNELS = frozenset({"voice", "video", "call", "phone"})
SILENCE_FLOOR_MS = 2000  # gaps shorter than this are ordinary turn-taking, not silence
STAFF = frozenset({"agent", "bot"})


@dataclass(frozen=True, slots=True)
class ConversationMetrics:
    interaction_id: str
    channel: str
    mode: str  # "voice" (offsets) | "text" (timestamps)
    duration_s: float | None
    turns: dict[str, int]  # per speaker (customer, agent, bot, system)
    words: dict[str, int]
    transfers: int
    bot_session: bool
    # voice / video
    talk_time_s: dict[str, float] | None = None
    talk_ratio_customer: float | None = None  # customer talk / (customer + agent + bot talk)
    silence_s: float | None = None
    silence_pct: float | None = None
    longest_silence_s: float | None = None
    hold_s: float | None = None
    holds: int | None = None
    interruptions: dict[str, int] | None = None  # by the party who interrupted
    overlap_ms: dict[str, int] | None = None
    words_per_minute: dict[str, float | None] | None = None
    # chat / messaging / email / social / sms
    first_response_s: float | None = None
    response_mean_s: float | None = None
    response_median_s: float | None = None
    response_max_s: float | None = None
    responses: int | None = None
    exchanges: int | None = None
    customer_wait_max_s: float | None = None
    flags: tuple[str, ...] = field(default=())

    definitions: ClassVar[str] = "docs/metrics.md#conversation-metrics"

    def to_dict(self) -> dict[str, Any]:
        out = shallow_dict(self)
        out["flags"] = list(self.flags)
        out["definitions"] = self.definitions
        return out


def _words(text: str) -> int:
    return len(text.split())


def _seconds(ms: float) -> float:
    return round(ms / 1000, 3)


def _merge(intervals: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _holds(view: InteractionView, call_end: int | None, flags: list[str]) -> list[tuple[int, int]]:
    periods: list[tuple[int, int]] = []
    opened: int | None = None
    for event in sorted(view.events_in_call, key=lambda e: e.offset_ms):
        if event.type == "hold_start":
            if opened is None:
                opened = event.offset_ms
        elif event.type == "hold_end":
            if opened is None:
                flags.append(f"hold_end at {event.offset_ms} ms without a hold_start: ignored")
            else:
                periods.append((opened, max(opened, event.offset_ms)))
                opened = None
    if opened is not None:
        if call_end is None:
            flags.append("unclosed hold and no call end: that hold not measured")
        else:
            flags.append("unclosed hold: ended at the call end")
            periods.append((opened, max(opened, call_end)))
    return periods


def _voice(view: InteractionView, flags: list[str], duration_ms: int | None) -> dict[str, Any]:
    timed = [t for t in view.turns if t.offset_ms is not None and t.end_ms is not None]
    bad = [t for t in timed if t.end_ms is not None and t.offset_ms is not None and t.end_ms < t.offset_ms]
    if bad:
        flags.append(f"{len(bad)} turn(s) end before they start: not timed")
        timed = [t for t in timed if t not in bad]
    untimed = len(view.turns) - len(timed)
    ends = [t.end_ms for t in timed if t.end_ms is not None]
    ends += [e.offset_ms for e in view.events_in_call]
    call_end = duration_ms if duration_ms is not None else (max(ends) if ends else None)
    periods = _holds(view, call_end, flags)
    out: dict[str, Any] = {
        "hold_s": _seconds(sum(b - a for a, b in periods)),
        "holds": len(periods),
    }
    if not timed:
        flags.append("no turn timing: talk, silence, overtalk and talk speed not measured")
        return out
    if untimed:
        flags.append(f"{untimed} turn(s) without offset_ms/end_ms: left out of talk, silence and overtalk")
    spans = [(t, int(t.offset_ms or 0), int(t.end_ms or 0)) for t in timed]
    talk: dict[str, int] = {}
    words: dict[str, int] = {}
    for t, a, b in spans:
        talk[t.speaker] = talk.get(t.speaker, 0) + (b - a)
        words[t.speaker] = words.get(t.speaker, 0) + _words(t.text)
    out["talk_time_s"] = {k: _seconds(v) for k, v in sorted(talk.items())}
    spoken = sum(v for k, v in talk.items() if k in ("customer", "agent", "bot"))
    out["talk_ratio_customer"] = round(talk.get("customer", 0) / spoken, 4) if spoken else None
    out["words_per_minute"] = {k: round(words[k] / (v / 60000), 1) if v > 0 else None for k, v in sorted(talk.items())}
    # Silence: gaps of ≥ 2 s between the first turn's start and the last turn's end where nobody
    # speaks and the customer is not on hold.
    first = min(a for _, a, _ in spans)
    last = max(b for _, _, b in spans)
    occupied = _merge([(a, b) for _, a, b in spans] + periods)
    gaps: list[int] = []
    cursor = first
    for a, b in occupied:
        if a > cursor and a - cursor >= SILENCE_FLOOR_MS and cursor < last:
            gaps.append(min(a, last) - cursor)
        cursor = max(cursor, b)
    silence = sum(gaps)
    out["silence_s"] = _seconds(silence)
    out["longest_silence_s"] = _seconds(max(gaps)) if gaps else 0.0
    length = call_end if call_end else None
    if length:
        out["silence_pct"] = round(100 * silence / length, 2)
    else:
        flags.append("no call length: silence % not measured")
    # Overtalk: a turn starting before the other party's latest earlier turn has ended.
    interruptions: dict[str, int] = {}
    overlap: dict[str, int] = {}
    ordered = sorted(spans, key=lambda s: (s[1], s[0].seq))
    latest: dict[str, tuple[int, int]] = {}  # speaker -> (start, end) of their latest turn so far
    for t, a, b in ordered:
        others = [v for k, v in latest.items() if k != t.speaker and t.speaker != "system" and k != "system"]
        if others:
            prev_start, prev_end = max(others)
            if a < prev_end and a >= prev_start:
                interruptions[t.speaker] = interruptions.get(t.speaker, 0) + 1
                overlap[t.speaker] = overlap.get(t.speaker, 0) + (min(b, prev_end) - a)
        latest[t.speaker] = (a, b)
    out["interruptions"] = dict(sorted(interruptions.items()))
    out["overlap_ms"] = dict(sorted(overlap.items()))
    return out


def _text(view: InteractionView, flags: list[str]) -> dict[str, Any]:
    turns = sorted(view.turns, key=lambda t: t.seq)
    talkers = [t for t in turns if t.speaker != "system"]
    exchanges = sum(1 for x, y in pairwise(talkers) if x.speaker == "customer" and y.speaker in STAFF)
    out: dict[str, Any] = {"exchanges": exchanges}
    stamped = [t for t in talkers if t.at is not None]
    if not stamped:
        flags.append("no turn timestamps: response times and waits not measured")
        return out
    if len(stamped) < len(talkers):
        flags.append(f"{len(talkers) - len(stamped)} turn(s) without a timestamp: left out of response times")
    replies: list[float] = []
    waits: list[float] = []
    first_response: float | None = None
    waiting_since: TurnView | None = None  # the first customer turn not yet answered
    backwards = 0
    for t in stamped:
        if t.speaker == "customer":
            if waiting_since is None:
                waiting_since = t
        elif t.speaker in STAFF and waiting_since is not None:
            assert t.at is not None and waiting_since.at is not None
            delta = (t.at - waiting_since.at).total_seconds()
            if delta < 0:
                backwards += 1
            else:
                replies.append(delta)
                if first_response is None:
                    first_response = delta
            waiting_since = None
    if backwards:
        flags.append(f"{backwards} reply(ies) timestamped before the customer turn: left out")
    waits.extend(replies)
    if waiting_since is not None and waiting_since.at is not None:
        if view.ended_at is not None and view.ended_at >= waiting_since.at:
            waits.append((view.ended_at - waiting_since.at).total_seconds())
        flags.append("the customer's last turn was not answered")
    if not any(t.speaker == "customer" for t in stamped):
        flags.append("no timed customer turn: first response not measured")
    elif first_response is None:
        flags.append("no agent or bot reply to the customer: response times not measured")
    out.update(
        {
            "first_response_s": round(first_response, 3) if first_response is not None else None,
            "responses": len(replies),
            "response_mean_s": round(statistics.fmean(replies), 3) if replies else None,
            "response_median_s": round(statistics.median(replies), 3) if replies else None,
            "response_max_s": round(max(replies), 3) if replies else None,
            "customer_wait_max_s": round(max(waits), 3) if waits else None,
        }
    )
    return out


def conversation_metrics(view: InteractionView) -> ConversationMetrics:
    """The conversation metrics of one interaction (definitions in ``docs/metrics.md``)."""
    flags: list[str] = []
    has_offsets = any(t.offset_ms is not None for t in view.turns)
    has_stamps = any(t.at is not None for t in view.turns)
    if view.channel in VOICE_CHANNELS:
        mode = "voice"
    elif has_offsets and not has_stamps:
        mode = "voice"
        flags.append(f"channel {view.channel!r} with call offsets: measured as a call")
    else:
        mode = "text"
    turns: dict[str, int] = {}
    words: dict[str, int] = {}
    for t in view.turns:
        turns[t.speaker] = turns.get(t.speaker, 0) + 1
        words[t.speaker] = words.get(t.speaker, 0) + _words(t.text)
    for party in ("customer", "agent"):
        turns.setdefault(party, 0)
        words.setdefault(party, 0)
    # Duration: ended_at − started_at; else from the turns.
    duration_ms: int | None = None
    if view.ended_at is not None:
        duration_ms = round((view.ended_at - view.started_at).total_seconds() * 1000)
        if duration_ms < 0:
            flags.append("ended_at before started_at: duration not measured")
            duration_ms = None
    if duration_ms is None and view.ended_at is None:
        if mode == "voice":
            ends = [t.end_ms for t in view.turns if t.end_ms is not None]
            if ends:
                duration_ms = max(ends)
                flags.append("no ended_at: duration from the last turn's end_ms")
        else:
            stamps = [t.at for t in view.turns if t.at is not None]
            if stamps:
                duration_ms = round((max(stamps) - min([view.started_at, *stamps])).total_seconds() * 1000)
                flags.append("no ended_at: duration from the turn timestamps")
        if duration_ms is None:
            flags.append("no ended_at and no turn timing: duration not measured")
    transfers = sum(1 for e in view.events_in_call if e.type == "transfer")
    if transfers == 0 and view.transferred:
        transfers = 1
    bot_session = view.channel == "bot" or (turns.get("bot", 0) > 0 and turns.get("agent", 0) == 0)
    extra = _voice(view, flags, duration_ms) if mode == "voice" else _text(view, flags)
    return ConversationMetrics(
        interaction_id=view.id,
        channel=view.channel,
        mode=mode,
        duration_s=_seconds(duration_ms) if duration_ms is not None else None,
        turns=dict(sorted(turns.items())),
        words=dict(sorted(words.items())),
        transfers=transfers,
        bot_session=bot_session,
        flags=tuple(flags),
        **extra,
    )
