"""Conversation metrics: exact values on constructed views, and missing data flagged, not invented."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from signalroom.pipeline.conversation_metrics import ConversationMetrics, conversation_metrics
from signalroom.pipeline.views import CallEventView, InteractionView, TurnView

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


END = s(60)


Timed = tuple[str, str, int | None, int | None]
Stamped = tuple[str, str, float | None]


def call(
    turns: Sequence[Timed],
    events: Sequence[tuple[str, int]] = (),
    *,
    ended_at: datetime | None = END,
    transferred: bool | None = None,
) -> InteractionView:
    return InteractionView(
        source="test",
        id="call-1",
        channel="voice",
        started_at=T0,
        ended_at=ended_at,
        turns=tuple(TurnView(i + 1, sp, tx, None, a, b) for i, (sp, tx, a, b) in enumerate(turns)),
        events_in_call=tuple(CallEventView(t, ms) for t, ms in events),
        transferred=transferred,
    )


def chat(
    turns: Sequence[Stamped],
    *,
    channel: str = "chat",
    ended: float | None = 600,
    transferred: bool | None = None,
) -> InteractionView:
    return InteractionView(
        source="test",
        id="chat-1",
        channel=channel,
        started_at=T0,
        ended_at=s(ended) if ended is not None else None,
        turns=tuple(TurnView(i + 1, sp, tx, s(at) if at is not None else None) for i, (sp, tx, at) in enumerate(turns)),
        transferred=transferred,
    )


VOICE: list[Timed] = [
    ("agent", "Hello how can I help you today", 0, 5000),
    ("customer", "My card was declined yesterday", 6000, 10000),  # 1 s gap: turn-taking, not silence
    ("agent", "Oh sorry let me check", 9000, 12000),  # starts 1 s before the customer ended
    ("customer", "Okay thanks", 15000, 20000),  # 3 s silence before it
    # hold 21 s → 31 s, then 2 s of silence
    ("agent", "Thanks for holding it is fixed now", 33000, 38000),
    ("customer", "Brilliant thank you", 37000, 42000),  # the customer talks over the agent for 1 s
    ("customer", "Bye", 42500, 44000),
]
EVENTS = [("hold_start", 21000), ("hold_end", 31000), ("transfer", 45000), ("hold_start", 50000)]


def test_voice_exact() -> None:
    m = conversation_metrics(call(VOICE, EVENTS))
    assert m.mode == "voice"
    assert m.duration_s == 60.0
    assert m.turns == {"agent": 3, "customer": 4}
    assert m.words == {"agent": 19, "customer": 11}
    assert m.talk_time_s == {"agent": 13.0, "customer": 15.5}
    assert m.talk_ratio_customer == pytest.approx(0.5439, abs=1e-4)
    assert m.silence_s == 5.0  # 3 s + 2 s; the 1 s and 0.5 s gaps are under the floor
    assert m.silence_pct == pytest.approx(8.33)
    assert m.longest_silence_s == 3.0
    assert m.holds == 2 and m.hold_s == 20.0  # 10 s closed + 10 s unclosed to the call end
    assert m.interruptions == {"agent": 1, "customer": 1}
    assert m.overlap_ms == {"agent": 1000, "customer": 1000}
    assert m.words_per_minute == {"agent": 87.7, "customer": 42.6}
    assert m.transfers == 1
    assert m.bot_session is False
    assert "unclosed hold: ended at the call end" in m.flags
    assert m.first_response_s is None and m.exchanges is None  # text metrics do not apply


def test_silence_after_the_last_turn_and_during_hold_is_not_silence() -> None:
    turns = [("agent", "one", 0, 1000), ("customer", "two", 21000, 22000)]
    m = conversation_metrics(call(turns, [("hold_start", 1500), ("hold_end", 20000)]))
    assert m.silence_s == 0.0  # 0.5 s before the hold, 1 s after it
    assert m.hold_s == 18.5 and m.holds == 1
    assert m.longest_silence_s == 0.0


def test_hold_events_out_of_pairs() -> None:
    events = [("hold_end", 1000), ("hold_start", 2000), ("hold_start", 3000), ("hold_end", 7000)]
    m = conversation_metrics(call([("agent", "hi", 0, 500)], events))
    assert m.holds == 1 and m.hold_s == 5.0
    assert any("without a hold_start" in f for f in m.flags)


def test_voice_without_offsets() -> None:
    turns: list[tuple[str, str, int | None, int | None]] = [
        ("agent", "Hello", None, None),
        ("customer", "Hi", None, None),
    ]
    m = conversation_metrics(call(turns, [("hold_start", 1000), ("hold_end", 4000)]))
    assert m.talk_time_s is None and m.silence_pct is None and m.interruptions is None
    assert m.words_per_minute is None
    assert m.hold_s == 3.0  # the events still carry their own timing
    assert any(f.startswith("no turn timing") for f in m.flags)
    assert m.turns == {"agent": 1, "customer": 1}


def test_voice_partial_offsets_and_no_end() -> None:
    turns = [("agent", "Hello there", 0, 2000), ("customer", "Hi", 5000, None)]
    m = conversation_metrics(call(turns, ended_at=None))
    assert m.duration_s == 2.0
    assert any("no ended_at" in f for f in m.flags)
    assert any("without offset_ms/end_ms" in f for f in m.flags)
    assert m.talk_time_s == {"agent": 2.0}


CHAT: list[Stamped] = [
    ("agent", "Hi, how can I help?", 10),
    ("customer", "hi", 20),
    ("customer", "my card is blocked", 30),
    ("agent", "Let me check that for you", 80),  # 60 s after the first unanswered customer turn
    ("customer", "ok", 100),
    ("agent", "Unblocked now", 110),  # 10 s
    ("customer", "thanks", 200),  # never answered: waits until the end (600 s)
]


def test_chat_exact() -> None:
    m = conversation_metrics(chat(CHAT))
    assert m.mode == "text"
    assert m.duration_s == 600.0
    assert m.first_response_s == 60.0
    assert m.responses == 2
    assert (m.response_mean_s, m.response_median_s, m.response_max_s) == (35.0, 35.0, 60.0)
    assert m.exchanges == 2
    assert m.customer_wait_max_s == 400.0
    assert m.turns == {"agent": 3, "customer": 4}
    assert m.words == {"agent": 13, "customer": 7}
    assert "the customer's last turn was not answered" in m.flags
    assert m.talk_time_s is None and m.silence_pct is None


def test_email_duration_from_timestamps() -> None:
    turns = [
        ("customer", "Dear team, my refund has not arrived.", 0),
        ("agent", "Hello, the refund was sent today.", 3 * 3600),
        ("customer", "Thanks.", 5 * 3600),
    ]
    m = conversation_metrics(chat(turns, channel="email", ended=None))
    assert m.first_response_s == 10800.0
    assert m.response_max_s == 10800.0
    assert m.exchanges == 1
    assert m.duration_s == 18000.0
    assert "no ended_at: duration from the turn timestamps" in m.flags
    assert m.customer_wait_max_s == 10800.0  # the last "Thanks." has no end to wait until


def test_chat_without_timestamps() -> None:
    m = conversation_metrics(chat([("customer", "hello", None), ("agent", "hi", None)], ended=None))
    assert m.first_response_s is None and m.response_mean_s is None and m.customer_wait_max_s is None
    assert m.exchanges == 1
    assert m.duration_s is None
    assert any(f.startswith("no turn timestamps") for f in m.flags)
    assert any("duration not measured" in f for f in m.flags)


def test_bot_session_and_transfer_from_outcome() -> None:
    turns = [("bot", "Hi, I'm Hari.", 0), ("customer", "refund", 5), ("bot", "Let me get an agent.", 6)]
    m = conversation_metrics(chat(turns, transferred=True))
    assert m.bot_session is True
    assert m.transfers == 1
    assert m.first_response_s == 1.0
    assert m.turns == {"agent": 0, "bot": 2, "customer": 1}


def test_reply_before_the_customer_is_flagged() -> None:
    m = conversation_metrics(chat([("customer", "hi", 50), ("agent", "hello", 40)]))
    assert m.responses == 0 and m.first_response_s is None
    assert any("before the customer turn" in f for f in m.flags)


def test_empty_interaction_does_not_crash() -> None:
    for v in (call([], ended_at=None), chat([], ended=None)):
        m = conversation_metrics(v)
        assert m.turns == {"agent": 0, "customer": 0}
        assert m.duration_s is None


def test_json_serialisable_with_definitions() -> None:
    m = conversation_metrics(call(VOICE, EVENTS))
    data = orjson.loads(orjson.dumps(m.to_dict()))
    assert data["definitions"] == ConversationMetrics.definitions == "docs/metrics.md#conversation-metrics"
    assert data["hold_s"] == 20.0
    with pytest.raises(AttributeError):
        m.hold_s = 1.0  # type: ignore[misc]
