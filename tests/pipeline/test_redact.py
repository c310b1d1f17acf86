"""PII redaction: each entity gets its mark, non-PII numbers stay, spans point at the marks."""

from __future__ import annotations

import time

import pytest

from signalroom.pipeline.redact import ENTITIES, MARKS, Redaction, Redactor
from signalroom.pipeline.redact import redactor as redactor_module


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(
    ("text", "entity", "secret"),
    [
        ("Hello, my name is Priya Patel and I need help", "NAME", "Priya Patel"),
        ("Kind regards,\nSiobhan Murphy", "NAME", "Siobhan Murphy"),
        ("please email me at jo.bloggs@example.co.uk today", "EMAIL", "jo.bloggs@example.co.uk"),
        ("call me back on 07911 123456 please", "PHONE", "07911 123456"),
        ("my card number is 4111 1111 1111 1111", "CARD", "4111 1111 1111 1111"),
        ("and the CVV is 737", "CVV", "737"),
        ("it expires 09/28", "EXPIRY", "09/28"),
        ("my account number is 31926819", "ACCOUNT", "31926819"),
        ("pay it into GB82 WEST 1234 5698 7654 32 please", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("the sort code is 40-47-84", "ROUTING", "40-47-84"),
        ("routing number 021000021", "ROUTING", "021000021"),
        ("my SSN is 536-22-1234", "SSN", "536-22-1234"),
        ("my national insurance number is AB 12 34 56 C", "NATIONAL_ID", "AB 12 34 56 C"),
        ("I live at 125 Meadow View, CF11 3EL", "ADDRESS", "125 Meadow View, CF11 3EL"),
        ("my date of birth is 14/03/1983", "DOB", "14/03/1983"),
        ("my PIN is 4821", "PIN", "4821"),
        ("it's zero six six nine seven four double two one", "NUMBER", "zero six six nine seven four double two one"),
        ("four four seven seven double oh nine one two", "NUMBER", "four four seven seven double oh nine one two"),
    ],
)
def test_each_entity_is_redacted_with_its_mark(redactor: Redactor, text: str, entity: str, secret: str) -> None:
    out = redactor.redact(text)
    assert secret not in out.text
    assert MARKS[entity] in out.text
    assert entity in {s.entity for s in out.spans}


def test_the_mark_set_is_documented() -> None:
    assert set(MARKS) == set(ENTITIES)
    assert all(MARKS[e] == f"[{e}]" for e in ENTITIES)


def test_luhn_invalid_card_is_not_a_card(redactor: Redactor) -> None:
    out = redactor.redact("my card number is 4111 1111 1111 1112")
    assert "CARD" not in {s.entity for s in out.spans}
    assert "4111 1111 1111 1112" in out.text


@pytest.mark.parametrize(
    "text",
    [
        "I was charged £140.32 twice last night",
        "the refund of $1,250.00 hasn't arrived",
        "I ordered 3 items and waited 45 minutes",
        "I called at 10:30 and again at 14:15",
        "version 7.4.0 keeps crashing",
        "It's normally around £25 a month.",
    ],
)
def test_amounts_quantities_and_times_are_kept(redactor: Redactor, text: str) -> None:
    out = redactor.redact(text)
    assert out.text == text
    assert out.spans == ()


def test_known_names_are_redacted_even_without_a_cue(redactor: Redactor) -> None:
    text = "ok so zelphine wants the refund to go to the xanthu account"
    assert redactor.redact(text).text == text
    out = redactor.redact(text, known_names=["Zelphine Xanthu"])
    assert out.text == "ok so [NAME] wants the refund to go to the [NAME] account"
    assert all(s.recognizer == "SignalroomKnownNameRecognizer" for s in out.spans)
    many = redactor.redact_many([text, "nothing here"], known_names=["Zelphine Xanthu"])
    assert [r.text for r in many] == [out.text, "nothing here"]


def test_spans_point_at_the_marks_in_the_redacted_text(redactor: Redactor) -> None:
    text = "Hi, I'm Oliver Smith, card 5500 0000 0000 0004, email o.smith@example.com, born 02/05/1979."
    out = redactor.redact(text)
    assert [s.entity for s in out.spans] == ["NAME", "CARD", "EMAIL", "DOB"]
    for span in out.spans:
        assert out.text[span.start : span.end] == MARKS[span.entity]
        assert 0.0 < span.score <= 1.0 and span.recognizer
    assert [s.start for s in out.spans] == sorted(s.start for s in out.spans)
    # nothing of the originals survives, in the text or the spans
    for secret in ("Oliver", "Smith", "5500", "o.smith", "1979"):
        assert secret not in out.text
        assert secret not in repr(out.spans)


def test_find_gives_original_coordinates(redactor: Redactor) -> None:
    text = "my PIN is 4821"
    (span,) = redactor.find(text)
    assert (text[span.start : span.end], span.entity) == ("4821", "PIN")


def test_text_without_pii_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    redactor = Redactor()
    calls: list[str] = []
    real = redactor_module.Redactor._analyze

    def spy(self: Redactor, text: str, *args: object) -> Redaction:
        calls.append(text)
        return real(self, text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(redactor_module.Redactor, "_analyze", spy)
    plain = "Is there anything else I can help you with today?"
    out = redactor.redact(plain)
    assert out.text == plain and out.spans == () and not out.redacted
    assert calls == []
    redactor.redact("my PIN is 4821")
    assert calls == ["my PIN is 4821"]


def test_fast_path_is_fast(redactor: Redactor) -> None:
    texts = ["Is there anything else I can help you with today?", "Okay, let me check that for you now."] * 500
    redactor.redact(texts[0])
    start = time.process_time()
    redactor.redact_many(texts)
    per_text = (time.process_time() - start) / len(texts)
    assert per_text < 100e-6  # ~5 µs here; generous for a loaded CI machine


def test_empty_string(redactor: Redactor) -> None:
    assert redactor.redact("") == Redaction("", ())
    assert redactor.redact_many([]) == []


def test_very_long_text(redactor: Redactor) -> None:
    filler = "The broadband keeps dropping in the evening and nobody can tell me why. " * 700
    text = filler + "My card number is 4111 1111 1111 1111." + filler
    out = redactor.redact(text)
    assert out.text.count("[CARD]") == 1 and "4111" not in out.text
    assert len(out.text) == len(text) - len("4111 1111 1111 1111") + len("[CARD]")


@pytest.mark.parametrize(
    "text",
    [
        "Mein Name ist Jürgen Groß und meine Karte ist 4111 1111 1111 1111",
        "Je m'appelle Zoé, j'habite à Montréal",
        "我的电话号码是 13800138000",
        "Мой номер карты 4111 1111 1111 1111",
        "İstanbul'dan arıyorum, adım İpek",
        "😀 🙏 emoji only",
    ],
)
def test_non_english_text_does_not_crash(redactor: Redactor, text: str) -> None:
    out = redactor.redact(text)
    assert isinstance(out.text, str)
    for span in out.spans:
        assert out.text[span.start : span.end] == MARKS[span.entity]
    if "4111 1111 1111 1111" in text:
        assert "[CARD]" in out.text


def test_entities_option_limits_what_is_redacted() -> None:
    only_cards = Redactor(entities=("CARD",))
    out = only_cards.redact("I'm Oliver Smith, card 4111 1111 1111 1111")
    assert out.text == "I'm Oliver Smith, card [CARD]"
    with pytest.raises(ValueError, match="unknown entities"):
        Redactor(entities=("CREDIT",))


def test_params_are_stored_as_given() -> None:
    r = Redactor(entities=("NAME", "PIN"), score_threshold=0.7)
    params = r.get_params()
    assert params["entities"] == ("NAME", "PIN") and params["score_threshold"] == 0.7
    assert Redactor(**params).get_params() == params


def test_prescan_does_not_change_results(redactor: Redactor) -> None:
    no_prescan = Redactor(use_prescan=False)
    texts = [
        "Hi Graham! Lily here from the team.",
        "It's Ruby Khan... and 20 February 1954.",
        "Yes, it's CF11 3EL, 125 Meadow View.",
        "About £140.32 at a restaurant, last night.",
        "the sort code is 40-47-84 and account number 31926819",
        "Is there anything else I can help you with?",
    ]
    assert [redactor.redact(t) for t in texts] == [no_prescan.redact(t) for t in texts]
