"""The parts of a live session on their own: the protocol, the real-time scorecard criteria, the
supervisor alerts, the live reason, the resolutions mined, and the replay's messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signalroom.assist.alerts import AlertRules
from signalroom.assist.live_reason import LiveReasonClassifier
from signalroom.assist.nudges import LiveCompliance
from signalroom.assist.protocol import ProtocolError, TurnIn, parse
from signalroom.assist.resolutions import mine
from signalroom.assist.simulate import SimulateError, parse_speed, read_interactions, session_messages
from signalroom.qa.scorecard import ScorecardError, default_scorecard_paths, load_scorecard, parse_scorecard


@pytest.fixture(scope="module")
def compliance() -> LiveCompliance:
    return LiveCompliance([load_scorecard(p) for p in default_scorecard_paths()])


def test_a_turn_message_parses_and_a_bad_one_names_its_field() -> None:
    message = parse('{"type": "turn", "speaker": "agent", "text": "hi", "offset_ms": 5}', in_session=True)
    assert message == TurnIn(type="turn", speaker="agent", text="hi", offset_ms=5)
    with pytest.raises(ProtocolError, match=r"^turn message: offset_ms: Input should be greater than or equal to 0$"):
        parse({"type": "turn", "speaker": "agent", "text": "hi", "offset_ms": -1})
    with pytest.raises(ProtocolError, match="unknown message type 'start': expected one of turn, event, tick, end"):
        parse({"type": "start"}, in_session=True)


def test_the_disclosure_nudge_opens_at_30_seconds_and_closes_when_said(compliance: LiveCompliance) -> None:
    state = compliance.session(channel="voice", queue=None, direction="inbound", transferred_in=False)
    assert state.turn("agent", "Hello, how can I help?", 2000) == []
    assert state.clock(29_999) == []
    [opened] = state.clock(30_000)
    assert (opened.criterion, opened.status, opened.at_ms) == ("recording-disclosure", "open", 30_000)
    assert state.clock(31_000) == []  # told once
    [met] = state.turn("agent", "Just so you know this call is recorded for training", 35_000)
    assert (met.status, met.evidence) == ("met", "call is recorded")
    assert state.open_nudges == []


def test_a_disclosure_made_in_time_is_never_nudged_and_one_too_late_is_missed(compliance: LiveCompliance) -> None:
    early = compliance.session(channel="voice", queue=None, direction="inbound", transferred_in=False)
    assert early.turn("agent", "This call is recorded for quality.", 1000) == []
    assert early.clock(40_000) == []
    late = compliance.session(channel="voice", queue=None, direction="inbound", transferred_in=False)
    late.clock(31_000)
    [missed] = late.clock(61_000)
    assert missed.status == "missed"
    # On chat the voice scorecard does not apply; a handed-off call is not nudged either.
    assert compliance.session(channel="chat", queue=None, direction="inbound", transferred_in=False).clock(40_000) == []
    assert compliance.session(channel="voice", queue=None, direction=None, transferred_in=True).clock(40_000) == []


def test_an_account_change_before_verification_is_nudged_until_verified(compliance: LiveCompliance) -> None:
    state = compliance.session(channel="chat", queue=None, direction="inbound", transferred_in=False)
    assert state.turn("customer", "I don't want to change my address", 1000) == []  # negated
    [opened] = state.turn("customer", "I've moved house, can you update my address?", 2000)
    assert (opened.criterion, opened.status, opened.evidence) == ("verified-before-change", "open", "update my address")
    [met] = state.turn("agent", "Sure, first can you confirm your date of birth?", 3000)
    assert met.status == "met"
    verified = compliance.session(channel="chat", queue=None, direction="inbound", transferred_in=False)
    assert verified.turn("agent", "Can I take your date of birth please?", 1000) == []
    assert verified.turn("customer", "I need to change my address", 2000) == []


def test_realtime_is_refused_where_it_cannot_work() -> None:
    card = """
id: t
name: T
sections:
  - name: S
    criteria:
      - id: c
        name: C
        kind: sentiment
        check: end_not_negative
        realtime: {nudge: calm them}
"""
    with pytest.raises(ScorecardError, match="a sentiment criterion cannot be checked live"):
        parse_scorecard(card, "t.yaml")
    phrase = card.replace("kind: sentiment\n        check: end_not_negative", "kind: phrase\n        patterns: [hi]")
    with pytest.raises(ScorecardError, match="a phrase criterion needs after_seconds"):
        parse_scorecard(phrase, "t.yaml")


@pytest.mark.parametrize(
    ("said", "kinds"),
    [
        (["Hi there", "I want to cancel my account right now"], ["cancel_intent"]),
        (["Hi there", "I cancelled the subscription last week"], []),
        (["Hi there", "I'm not going to cancel"], []),
        (["Hi", "I'll be taking this to the ombudsman"], ["legal_threat"]),
        (["Thanks, that's great", "This is useless, the worst service ever, I hate it"], ["sentiment_collapse"]),
        (["This is a disgrace, absolutely terrible service", "Awful, just awful and useless"], ["sentiment_collapse"]),
    ],
)
def test_alerts_are_raised_once_by_what_the_customer_says(said: list[str], kinds: list[str]) -> None:
    state = AlertRules().session()
    raised = [a.kind for i, text in enumerate(said) for a in state.turn("customer", text, i * 1000)]
    assert raised == kinds
    assert state.turn("agent", "I want to cancel my account", 9000) == []  # agents do not raise alerts
    if kinds:
        assert [a.kind for a in state.turn("customer", said[-1], 10_000)] == []  # once per session


def test_the_live_reason_is_learned_from_opening_words_and_abstains_when_unsure() -> None:
    texts = [f"my card was declined abroad at the {p}" for p in ("hotel", "shop", "airport", "cafe")] * 10
    texts += [f"I need to change my address after {p}" for p in ("moving", "a move", "the move", "relocating")] * 10
    reasons = [1] * 40 + [2] * 40
    model = LiveReasonClassifier().fit(texts, reasons, {1: "card declined abroad", 2: "change of address"})
    assert model.get_params() == {"min_confidence": 0.35, "held_out": 0.2, "max_features": 50_000, "seed": 0}
    found = model.predict("hello, my card got declined in a shop abroad")
    assert found is not None and (found.id, found.label) == (1, "card declined abroad") and found.confidence > 0.5
    assert model.predict("zzz qqq") is None
    assert LiveReasonClassifier().fit(texts[:5], reasons[:5], {}).predict("my card") is None  # too few to learn


def test_resolutions_are_the_agent_turn_that_resolved_it_with_the_article_it_linked() -> None:
    turns = [
        {"seq": 0, "speaker": "customer", "text": "my card is blocked"},
        {"seq": 1, "speaker": "agent", "text": "I've unblocked it, see https://help.example/cards."},
        {"seq": 2, "speaker": "customer", "text": "Perfect, thanks"},
    ]
    ended = {"status": "resolved", "evidence": [{"kind": "turn", "turn_seq": 2}]}
    row = {"source": "s", "id": "i1", "ended": ended, "topic_id": 7, "turns": turns}
    [past] = mine([row, {**row, "id": "i2", "ended": {"evidence": []}}], {7: "card blocked"},
                  {"https://help.example/cards": "kb-cards"})  # fmt: skip
    assert (past.interaction, past.reason, past.article_id) == ("s/i1", "card blocked", "kb-cards")
    assert past.resolution == turns[1]["text"] and past.text == "my card is blocked"


def test_a_replay_sends_ticks_through_silences_and_the_bot_conversation_as_handoff(tmp_path: Path) -> None:
    started = datetime(2026, 3, 2, 9, tzinfo=UTC).isoformat()
    bot = {"kind": "interaction", "id": "b1", "channel": "bot", "started_at": started, "customer": {"id": "C1"},
           "turns": [{"speaker": "customer", "text": "card declined"}]}  # fmt: skip
    call = {"kind": "interaction", "id": "c1", "channel": "voice", "started_at": started, "customer": {"id": "C1"},
            "parent_id": "b1", "outcome": {"resolved": True},
            "turns": [{"speaker": "agent", "text": "hello", "offset_ms": 0},
                      {"speaker": "customer", "text": "hi", "offset_ms": 12_000}]}  # fmt: skip
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(bot) + "\n" + json.dumps(call) + "\n")
    records = read_interactions([path])
    start, steps = session_messages(records[1], prefix="sim-", by_id={r.id: r for r in records}, handoff_source="demo")
    assert start["session"]["id"] == "sim-c1"
    assert start["session"]["handoff"] == {"kind": "bot", "interaction_id": "b1", "source": "demo",
                                           "turns": [{"speaker": "customer", "text": "card declined"}]}  # fmt: skip
    assert [(at, m["type"]) for at, m in steps] == [(0, "turn"), (5000, "tick"), (10000, "tick"), (12000, "turn"),
                                                   (12000, "end")]  # fmt: skip
    assert steps[-1][1]["outcome"] == {"resolved": True}
    assert [parse_speed(s) for s in ("10x", "1", "0.5x", "max")] == [10.0, 1.0, 0.5, 0.0]
    with pytest.raises(SimulateError, match="speed must look like 10x"):
        parse_speed("fast")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "interaction", "id": "x"}\n')
    with pytest.raises(SimulateError, match=r"bad.jsonl: line 1"):
        read_interactions([bad])
