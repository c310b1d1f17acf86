"""The situation record: each field with its exact evidence, absences, flags and the round-trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signalroom.pipeline.situation import Evidence, Situation, SituationExtractor
from signalroom.pipeline.views import CallEventView, InteractionView, JourneyEvent, TurnView

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday


def view(*turns: tuple[str, str], events: tuple[JourneyEvent, ...] = (), **kw: object) -> InteractionView:
    return InteractionView(
        source="test",
        id=str(kw.pop("id", "c-1")),
        channel=str(kw.pop("channel", "voice")),
        started_at=T0,
        ended_at=T0 + timedelta(minutes=8),
        turns=tuple(TurnView(i, s, t) for i, (s, t) in enumerate(turns)),
        events_before=events,
        **kw,  # type: ignore[arg-type]
    )


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


X = SituationExtractor()


def test_failed_self_service_is_the_trigger_with_attempts_and_timing() -> None:
    events = (
        JourneyEvent("page_view", T0 - timedelta(minutes=50), "web", {"page": "/login"}),
        JourneyEvent("password_reset_failed", T0 - timedelta(minutes=40), "web", {"attempt": 1}),
        JourneyEvent("password_reset_failed", T0 - timedelta(minutes=30), "web", {"attempt": 2}),
    )
    s = X.extract(
        view(("agent", "How can I help?"), ("customer", "Hello, my password reset keeps failing."), events=events)
    )
    assert s.trigger is not None
    assert (s.trigger.kind, s.trigger.detail, s.trigger.attempts, s.trigger.minutes_before) == (
        "self_service_failure",
        "password_reset_failed",
        2,
        30.0,
    )
    assert [e.event_index for e in s.trigger.evidence] == [1, 2]
    assert s.trigger.evidence[0].event_at == T0 - timedelta(minutes=40)
    # friction starts at the first failed event, not at the page view
    assert s.friction_start is not None and s.friction_start.source == "event"
    assert s.friction_start.evidence[0].event_index == 1
    assert s.friction_start.minutes_before == 40.0


def test_failure_outside_the_window_is_not_a_trigger() -> None:
    events = (JourneyEvent("login_failed", T0 - timedelta(hours=20), "app", {}),)
    s = X.extract(view(("customer", "I'd like to upgrade my phone."), events=events))
    assert s.trigger is None
    assert s.friction_start is None


@pytest.mark.parametrize(
    ("text", "part", "kind", "detail"),
    [
        (
            "Hi. I got a letter saying my direct debit was returned.",
            "I got a letter",
            "communication_received",
            "letter",
        ),
        (
            "Since the update the app keeps crashing.",
            "Since the update",
            "price_or_policy_change",
            "app_or_product_update",
        ),
        ("Why have you put my price up again?", "you put my price up", "price_or_policy_change", "price_rise"),
        ("I've moved house and need to change my address.", "I've moved house", "life_event", "moving_house"),
        ("My wallet was stolen with my card in it.", "wallet was stolen", "life_event", "lost_or_stolen"),
        ("I called last week about the same thing.", "I called last week", "previous_contact", "earlier_contact"),
        ("This is the third time I've called.", "This is the third time", "previous_contact", "repeat_contact"),
    ],
)
def test_text_triggers_with_exact_spans(text: str, part: str, kind: str, detail: str) -> None:
    s = X.extract(view(("agent", "Hello, how can I help?"), ("customer", text)))
    assert s.trigger is not None
    assert (s.trigger.kind, s.trigger.detail) == (kind, detail)
    ev = s.trigger.evidence[0]
    assert (ev.kind, ev.turn_seq, (ev.start, ev.end), ev.text) == ("turn", 1, span(text, part), part)


def test_no_trigger_when_nothing_supports_one() -> None:
    s = X.extract(view(("agent", "How can I help?"), ("customer", "I'd like to upgrade my phone please.")))
    assert s.trigger is None and s.other_triggers == ()
    assert s.friction_start is None


def test_previous_contact_ranks_before_a_letter() -> None:
    text = "I got a letter about my refund. I called yesterday about this already."
    s = X.extract(view(("customer", text)))
    assert s.trigger is not None and s.trigger.kind == "previous_contact"
    assert [t.kind for t in s.other_triggers] == ["communication_received"]


@pytest.mark.parametrize(
    ("text", "lead", "phrase", "rule"),
    [
        (
            "I want to cancel the contract, it's too dear.",
            "I want to cancel the contract",
            "cancel the contract",
            "want.want",
        ),
        ("Can you unblock my card please?", "Can you unblock my card please", "unblock my card", "want.can_you"),
        (
            "I'd like a refund for the double charge.",
            "I'd like a refund for the double charge",
            "get a refund for the double charge",
            "want.would_like",
        ),
        (
            "Hi, I'm calling about my new bill.",
            "I'm calling about my new bill",
            "help with my new bill",
            "want.calling_about",
        ),
        ("How do I freeze my card?", "How do I freeze my card", "freeze my card", "want.how_do_i"),
    ],
)
def test_wants_from_request_patterns(text: str, lead: str, phrase: str, rule: str) -> None:
    s = X.extract(view(("agent", "Hi, how can I help?"), ("customer", text)))
    assert s.wants is not None
    assert (s.wants.phrase, s.wants.rule) == (phrase, rule)
    ev = s.wants.evidence[0]
    assert (ev.turn_seq, (ev.start, ev.end), ev.text) == (1, span(text, lead), lead)


def test_friction_is_the_first_problem_turn() -> None:
    s = X.extract(
        view(
            ("customer", "Hello there."),
            ("agent", "Hi, what can I do for you?"),
            ("customer", "My card was declined in Spain and I'm stuck."),
        )
    )
    assert s.friction_start is not None and s.friction_start.source == "turn"
    ev = s.friction_start.evidence[0]
    assert (ev.turn_seq, ev.text, (ev.start, ev.end)) == (2, "declined", (12, 20))
    assert s.friction_start.description == "My card was declined in Spain and I'm stuck."


def test_follow_up_promised_with_its_due_time() -> None:
    agent = "I've chased it for you, and someone will be in touch within 48 hours."
    s = X.extract(view(("customer", "I'm still waiting for my refund."), ("agent", agent), ("customer", "Okay.")))
    assert s.ended.status == "follow_up_promised"
    assert s.ended.due == "within 48 hours"
    assert s.ended.due_by == T0 + timedelta(minutes=8) + timedelta(hours=48)
    ev = s.ended.evidence[0]
    assert (ev.turn_seq, ev.text, (ev.start, ev.end)) == (
        1,
        "someone will be in touch",
        span(agent, "someone will be in touch"),
    )
    assert s.likely_next[0].rule == "next.callback_due"
    assert s.likely_next[0].due_by == s.ended.due_by


def test_resolved_unresolved_and_transferred() -> None:
    fixed = X.extract(
        view(
            ("customer", "I've lost my card."),
            ("agent", "I've cancelled that card and ordered a replacement."),
            ("customer", "Brilliant, thank you."),
        )
    )
    assert fixed.ended.status == "resolved"
    assert fixed.ended.evidence[0].text == "I've cancelled"
    assert fixed.likely_next[0].action == "activation of the new card"
    still = X.extract(
        view(
            ("customer", "My broadband is down."), ("agent", "Let me check."), ("customer", "So it's still not fixed?")
        )
    )
    assert still.ended.status == "unresolved"
    assert still.ended.evidence[0].text == "still not"
    assert any(n.rule == "next.repeat_contact" for n in still.likely_next)
    moved = X.extract(
        view(("customer", "My bill is wrong."), ("agent", "Okay."), events_in_call=(CallEventView("transfer", 9000),))
    )
    assert moved.ended.status == "transferred"
    assert moved.ended.evidence[0].kind == "call_event"


def test_outcome_fields_are_used_when_the_text_says_nothing() -> None:
    v = view(("customer", "Hi."), ("agent", "Okay."), disposition="callback_promised", resolved=False)
    assert X.extract(v).ended.status == "follow_up_promised"
    assert SituationExtractor(use_outcome_fields=False).extract(v).ended.status == "unknown"


def test_reason_keyed_next_step() -> None:
    v = view(("customer", "I want to dispute a payment."), ("agent", "Done, I've refunded it."))
    s = X.extract(v, reason="dispute_transaction")
    assert ("dispute outcome", "next.reason.dispute_transaction") in [(n.action, n.rule) for n in s.likely_next]


def test_flags() -> None:
    assert X.extract(view()).flags == ("empty_transcript",)
    assert X.extract(view()).ended.status == "unknown"
    agent_only = X.extract(view(("agent", "Hello, are you there?"), ("agent", "I'll end the chat now.")))
    assert set(agent_only.flags) == {"no_customer_turns", "agent_only"}
    foreign = X.extract(view(("customer", "Hola, mi tarjeta no funciona en el cajero de la estación, necesito ayuda")))
    assert "non_english" in foreign.flags
    english = X.extract(view(("customer", "Hello, my card is not working at the cash machine and I need help")))
    assert "non_english" not in english.flags
    long = view(*[("customer" if i % 2 else "agent", f"Turn number {i} of the chat.") for i in range(500)])
    s = SituationExtractor(max_turns=40).extract(long)
    assert "truncated" in s.flags


def test_round_trip_and_params() -> None:
    events = (JourneyEvent("payment_failed", T0 - timedelta(minutes=5), "app", {"code": "DECLINED"}),)
    v = view(
        ("customer", "I'm in Spain and my card keeps getting declined. Can you unblock my card?"),
        ("agent", "Someone will call you back by the end of the week."),
        events=events,
    )
    s = X.extract(v, reason="card_declined_abroad")
    d = s.to_dict()
    assert Situation.from_dict(d) == s
    assert d["trigger"]["evidence"][0]["event_type"] == "payment_failed"
    assert Evidence.from_dict(Evidence("turn", "r", "x", 1, 0, 1).to_dict()) == Evidence("turn", "r", "x", 1, 0, 1)
    params = SituationExtractor(failure_window_minutes=30).get_params()
    assert params["failure_window_minutes"] == 30 and params["use_outcome_fields"] is True
    with pytest.raises(TypeError):
        SituationExtractor(30)  # type: ignore[call-arg]
