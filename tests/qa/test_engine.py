"""The scoring engine on hand-made conversations: each criterion kind's answer, its evidence and
confidence, not-applicable rules, auto-fail and the normalised score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from signalroom.qa.engine import QaInput, Scoring
from signalroom.qa.phrases import TurnText
from signalroom.qa.scorecard import default_scorecard_paths, load_scorecard

CARDS = {p.stem: load_scorecard(p) for p in default_scorecard_paths()}
SCORING = Scoring(list(CARDS.values()))


def _call(*turns: tuple[str, str], **extra: Any) -> QaInput:
    return QaInput(
        source="t", id="c1", channel=extra.pop("channel", "voice"),
        turns=[TurnText(s, t, 5000 * i) for i, (s, t) in enumerate(turns)], turn_seqs=list(range(len(turns))),
        **extra,
    )  # fmt: skip


def _answers(item: QaInput) -> dict[str, dict[str, Any]]:
    out = {}
    for result in SCORING.score(item):
        for a in result.answers:
            out[a.criterion_id] = {"value": a.value, "evidence": a.evidence, "confidence": a.confidence,
                                   "why": a.explanation}  # fmt: skip
    return out


def _result(item: QaInput, card: str) -> Any:
    return next(r for r in SCORING.score(item) if r.scorecard_id == card)


def test_disclosure_found_with_its_evidence() -> None:
    item = _call(("agent", "Hello, just so you know this call may be recorded for training."), ("customer", "Fine."))
    a = _answers(item)["recording-disclosure"]
    assert a["value"] == "pass" and a["confidence"] == 0.95
    [e] = a["evidence"]
    text = item.turns[0].text
    assert e.turn == 0 and e.speaker == "agent" and text[e.start : e.end] == e.text
    assert "call" in e.text.lower() and "recorded" in e.text.lower()


def test_missing_or_negated_disclosure_fails_and_auto_fails_the_scorecard() -> None:
    missing = _call(("agent", "Hello, how can I help?"), ("customer", "My card was declined."))
    assert _answers(missing)["recording-disclosure"]["value"] == "fail"
    result = _result(missing, "voice-compliance")
    assert result.auto_failed and result.score == 0.0
    negated = _call(("agent", "Don't worry, we never record this call."), ("customer", "Ok."))
    assert _answers(negated)["recording-disclosure"]["value"] == "fail"
    said_by_customer = _call(("customer", "Is this call recorded?"), ("agent", "How can I help?"))
    assert _answers(said_by_customer)["recording-disclosure"]["value"] == "fail"


def test_disclosure_is_not_applicable_on_a_transferred_leg_or_a_chat() -> None:
    leg = _call(("agent", "Hi, you're through to loans."), transferred_in=True)
    assert _answers(leg)["recording-disclosure"]["value"] == "na"
    chat = _call(("agent", "Hi there!"), channel="chat")
    assert "voice-compliance" not in {r.scorecard_id for r in SCORING.score(chat)}


def test_verification_must_come_before_an_account_change() -> None:
    good = _call(("agent", "Can you confirm your date of birth?"), ("customer", "1 May 1980."),
                 ("agent", "Thanks. I've updated your address now."))  # fmt: skip
    assert _answers(good)["verified-before-change"]["value"] == "pass"
    bad = _call(("agent", "I've updated your address now."), ("agent", "Can you confirm your date of birth?"))
    assert _answers(bad)["verified-before-change"]["value"] == "fail"
    nothing_changed = _call(("agent", "Can you confirm your date of birth?"))
    assert _answers(nothing_changed)["verified-before-change"]["value"] == "na"


def test_metric_and_sentiment_criteria() -> None:
    quiet = _call(("agent", "Hello."), metrics={"longest_silence_s": 42.5})
    a = _answers(quiet)["no-long-silence"]
    assert a["value"] == "fail" and a["why"] == "longest_silence_s = 42.5 (expected ≤ 30)"
    assert _answers(_call(("agent", "Hello.")))["no-long-silence"]["value"] == "na"
    unhappy = _call(("customer", "This is useless."), sentiment={"parties": {"customer": {"turns": 1, "end": -0.6}}})
    assert _answers(unhappy)["customer-not-left-negative"]["value"] == "fail"


def test_empathy_counts_only_after_the_customer_turns_negative() -> None:
    moments = {"parties": {"customer": {"turns": 2, "end": 0.2}},
               "negative_moments": [{"seq": 1, "speaker": "customer"}], "recovered": True}  # fmt: skip
    after = _call(("agent", "Hello."), ("customer", "I've been waiting for weeks!"),
                  ("agent", "I'm so sorry to hear that."), sentiment=moments)  # fmt: skip
    assert _answers(after)["empathy-after-negative"]["value"] == "pass"
    before = _call(("agent", "Sorry to hear you've had trouble."), ("customer", "I've been waiting for weeks!"),
                   ("agent", "Let me look."), sentiment=moments)  # fmt: skip
    assert _answers(before)["empathy-after-negative"]["value"] == "fail"
    calm = _call(
        ("agent", "Hello."), ("customer", "Hi."), sentiment={"parties": {"customer": {"turns": 1, "end": 0.3}}}
    )
    assert _answers(calm)["empathy-after-negative"]["value"] == "na"


def test_the_score_is_earned_over_applicable_potential() -> None:
    item = _call(("agent", "Is there anything else I can help with?"), ("customer", "No thanks."),
                 ("agent", "Thanks for calling, have a lovely day."), channel="chat")  # fmt: skip
    result = _result(item, "customer-experience")
    values = {a.criterion_id: a.value for a in result.answers}
    assert values == {"empathy-after-negative": "na", "customer-not-left-negative": "na", "next-steps": "fail",
                      "resolution-confirmed": "pass", "proper-closing": "pass", "no-long-silence": "na"}  # fmt: skip
    # next-steps 4 (fail), resolution-confirmed 3 and proper-closing 2 (pass): 5 of 9.
    assert (result.earned, result.potential) == (5.0, 9.0)
    assert result.score == round(5 / 9, 6) and not result.auto_failed


def test_semantic_criteria_pass_on_the_closest_turn_above_the_threshold() -> None:
    from signalroom.qa.scorecard import parse_scorecard

    card = parse_scorecard(
        "id: empathy\nname: Empathy\nsections:\n  - name: Empathy\n    criteria:\n"
        "      - id: sorry\n        name: Says sorry\n        kind: semantic\n        speaker: agent\n"
        '        threshold: 0.7\n        examples: ["I\'m so sorry to hear that", "I apologise for the trouble"]\n'
    )
    scoring = Scoring([card])
    kind = _call(("customer", "My card was stolen."), ("agent", "Oh no, I am really sorry to hear that."))
    [result] = scoring.score(kind)
    [answer] = result.answers
    assert answer.value == "pass" and answer.evidence[0].turn == 1 and answer.evidence[0].speaker == "agent"
    cold = _call(("customer", "My card was stolen."), ("agent", "What is your account number?"))
    [result] = scoring.score(cold)
    assert result.answers[0].value == "fail"
    assert result.answers[0].evidence[0].text == "What is your account number?"


def test_a_full_card_number_read_back_by_the_agent_fails_with_where_it_was() -> None:
    text = "Let me read that back: [CARD], is that right?"
    full = {"start": 23, "end": 29, "entity": "CARD", "recognizer": "CreditCardRecognizer"}
    item = _call(("customer", "It's [CARD]."), ("agent", text), marks=[[dict(full, start=5, end=11)], [full]])
    a = _answers(item)["no-full-card-number"]
    assert a["value"] == "fail" and a["why"] == "[CARD] said by the agent (redacted)"
    [e] = a["evidence"]
    assert (e.turn, e.speaker, e.text, e.start, e.end) == (1, "agent", "[CARD]", 23, 29)
    assert _result(item, "data-security").auto_failed
    last_four = {"start": 16, "end": 22, "entity": "CARD", "recognizer": "SignalroomContextRecognizer"}
    fine = _call(("agent", "The card ending [CARD] is now blocked."), marks=[[last_four]])
    assert _answers(fine)["no-full-card-number"]["value"] == "pass"


def test_card_numbers_are_found_through_redaction_at_ingest(tmp_path: Path) -> None:
    from signalroom.ingest.loader import Loader
    from signalroom.pipeline.analyze import analyze
    from signalroom.pipeline.redact.at_ingest import IngestRedactor
    from signalroom.qa.run import score
    from signalroom.store import Store
    from support import interaction, write_jsonl

    record = interaction("c-1", channel="chat", turns=[
        {"speaker": "customer", "text": "I want to check a payment on my card."},
        {"speaker": "agent", "text": "Sure, is your card number 4111 1111 1111 1111?"},
    ])  # fmt: skip
    with Store.open(tmp_path / "w.duckdb") as store:
        loader = Loader(store)
        loader.redactor = IngestRedactor()
        loader.ingest([write_jsonl(tmp_path / "one.jsonl", [record])], fmt="jsonl", source="t")
        analyze(store, tier="fast", skip=["purpose", "embed", "reasons"])
        score(store)
        value, evidence = store.connection.execute(
            "SELECT value, evidence FROM qa_answers WHERE criterion_id = 'no-full-card-number'"
        ).fetchall()[0]
    assert value == "fail" and '"text":"[CARD]"' in evidence and "4111" not in evidence


def test_a_malformed_scorecard_never_stops_the_others_from_scoring(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from signalroom.cli.app import app
    from signalroom.ingest.loader import Loader
    from signalroom.pipeline.analyze import analyze
    from signalroom.store import Store
    from support import interaction, write_jsonl

    good = tmp_path / "good.yaml"
    good.write_text(
        "id: greeting\nname: Greeting\nsections:\n  - name: Opening\n    criteria:\n"
        "      - id: hello\n        name: Says hello\n        kind: phrase\n        speaker: agent\n"
        "        patterns: [hello]\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("id: greeting", "id: broken").replace("speaker: agent", "speakr: agent"))
    db = tmp_path / "w.duckdb"
    record = interaction("c-1", channel="chat", turns=[{"speaker": "agent", "text": "Hello there!"}])
    with Store.open(db) as store:
        Loader(store).ingest([write_jsonl(tmp_path / "one.jsonl", [record])], fmt="jsonl", source="t")
        analyze(store, tier="fast", skip=["purpose", "embed", "reasons"])
    result = CliRunner().invoke(
        app, ["qa", "score", "--scorecard", str(bad), "--scorecard", str(good), "--db", str(db), "--json"]
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    [error] = report["sync"]["errors"]
    assert error.startswith(f"{bad}: line 9: sections[0].criteria[0].speakr: Extra inputs are not permitted")
    assert "greeting" in report["scorecards"] and report["interactions"] == 1
    with Store.open(db, read_only=True) as store:
        assert store.connection.execute(
            "SELECT value FROM qa_answers WHERE scorecard_id = 'greeting' AND criterion_id = 'hello'"
        ).fetchall() == [("pass",)]
