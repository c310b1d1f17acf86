"""The phrase-pattern language and the one compiled matcher (docs/qa-phrases.md)."""

from __future__ import annotations

import pytest

from signalroom.qa.phrases import (
    PatternError,
    PhraseMatch,
    PhraseMatcher,
    TurnText,
    after,
    before,
    by_speaker,
    normalise,
    parse_pattern,
    within_first,
)


def find(pattern: str, *texts: str) -> list[PhraseMatch]:
    turns = [TurnText("agent" if i % 2 == 0 else "customer", t, i * 5000) for i, t in enumerate(texts)]
    return PhraseMatcher({"p": pattern}).find(turns).get("p", [])


def texts(pattern: str, *turns: str) -> list[str]:
    return [m.text for m in find(pattern, *turns)]


@pytest.mark.parametrize(
    "forms",
    [
        "verify verifies verified verifying",
        "record records recorded recording",
        "call calls called calling",
        "stop stops stopped stopping",
        "use uses used using",
        "close closes closed closing",
        "agree agrees agreed agreeing",
        "apologise apologises apologised apologising",
        "process processes processed processing",
        "transfer transfers transferred transferring",
        "try tries tried trying",
        "add adds added adding",
        "staff staffed",
        "need needs needed",
        "box boxes",
        "customer customers customer's",
    ],
)
def test_inflections_share_one_normal_form(forms: str) -> None:
    assert len({normalise(w) for w in forms.split()}) == 1, {w: normalise(w) for w in forms.split()}


@pytest.mark.parametrize(
    "a, b",
    [
        ("verify", "verification"),  # derivations are other words
        ("one", "on"),
        ("even", "evening"),
        ("new", "news"),
        ("it's", "it"),
        ("need", "ne"),
        ("thing", "th"),
        ("was", "wa"),
    ],
)
def test_different_words_stay_apart(a: str, b: str) -> None:
    assert normalise(a) != normalise(b)


def test_inflections_match_both_ways() -> None:
    assert texts("verify", "I verified it", "verifying now", "she verifies") == ["verified", "verifying", "verifies"]
    assert texts("verified", "please verify", "not recorded") == ["verify"]
    assert texts("recording", "this call is recorded") == ["recorded"]
    assert texts("call", "thanks for calling", "two calls", "I called") == ["calling", "calls", "called"]


def test_quoted_words_are_exact() -> None:
    assert texts('"verify"', "I verified it", "please VERIFY") == ["VERIFY"]
    assert texts('"this call is recorded"', "this call is recorded", "this call was recorded") == [
        "this call is recorded"
    ]
    assert texts('thank "you"', "thank you", "thanks you", "thank yous") == ["thank you", "thanks you"]


def test_phrases_need_adjacent_words_in_order() -> None:
    assert texts("this call is recorded", "This call is recorded.", "this call, is recorded") == [
        "This call is recorded",
        "this call, is recorded",
    ]
    assert texts("this call is recorded", "this call is being recorded", "recorded is call this") == []


def test_wildcards() -> None:
    assert texts("verif*", "verification done", "we verified", "very nice") == ["verification", "verified"]
    assert texts("for * purposes", "for training purposes", "for purposes", "for quality control purposes") == [
        "for training purposes"
    ]
    assert texts("* purposes", "purposes first") == []  # * is a word, and there is none before
    assert texts("for * purposes", "this is for", "purposes") == []  # nor is a turn break


def test_alternatives() -> None:
    pattern = "this call (is|may be) (recorded|monitored)"
    got = texts(pattern, "this call is monitored", "this call may be recorded", "this call may recorded")
    assert got == ["this call is monitored", "this call may be recorded"]
    assert len(parse_pattern(pattern).sides[0]) == 4
    assert texts("(postcode|post code)", "my post code is", "postcodes") == ["post code", "postcodes"]


def test_near_either_order_within_distance() -> None:
    pattern = "card NEAR:3 number"
    assert texts(pattern, "card number") == ["card number"]
    assert texts(pattern, "the number on your card") == ["number on your card"]
    assert texts(pattern, "card, the sixteen digit number") == ["card, the sixteen digit number"]
    assert texts(pattern, "card and the long sixteen digit number") == []  # four words between
    assert texts(pattern, "my card", "my number") == []  # never across turns
    assert texts("card NEAR:0 number", "number card", "card x number") == ["number card"]


def test_negation_is_reported_not_filtered() -> None:
    got = find(
        "verify", "I didn't get to verify", "I have not yet verified", "I verified it", "no, we really did verify it"
    )
    assert [(m.text, m.negated) for m in got] == [
        ("verify", True),  # three words before
        ("verified", True),
        ("verified", False),
        ("verify", False),  # "no" is four words before
    ]
    assert find("verify", "Don’t verify")[0].negated  # typographic apostrophe
    assert find("verify", "I never", "verify")[0].negated is False  # only the same turn


def test_spans_map_back_to_the_original_text() -> None:
    text = "Hi—I'm Sam; “don’t” worry: it's 'recorded', for... TRAINING purposes!"
    matcher = PhraseMatcher(
        {"im": "i'm sam", "dont": "don't worry", "rec": "recorded", "train": "for training purposes", "its": "it's"}
    )
    found = matcher.find([TurnText("agent", text)])
    for pid, expected in [
        ("im", "I'm Sam"),
        ("dont", "don’t” worry"),
        ("rec", "recorded"),
        ("train", "for... TRAINING purposes"),
        ("its", "it's"),
    ]:
        (m,) = found[pid]
        assert text[m.start : m.end] == m.text == expected
    assert found["rec"][0].tokens == (6, 7)


def test_ascii_and_unicode_paths_agree() -> None:
    plain = "I can't verify your card number, sorry: it's for training purposes."
    fancy = "I can’t verify your card number — sorry… it’s for training purposes."
    patterns = {"a": "can't verify", "b": "card NEAR:2 number", "c": "for * purposes", "d": "sorry"}
    one = PhraseMatcher(patterns).find([TurnText("agent", plain)])
    two = PhraseMatcher(patterns).find([TurnText("agent", fancy + " café")])
    assert {k: [m.tokens for m in v] for k, v in one.items()} == {k: [m.tokens for m in v] for k, v in two.items()}
    assert [m.text for m in two["a"]] == ["can’t verify"]


def test_case_insensitive() -> None:
    assert texts("Thank You", "THANK YOU", "thank you") == ["THANK YOU", "thank you"]


def test_non_ascii_text() -> None:
    assert texts("café", "un Café crème") == ["Café"]
    assert texts("naïve", "that’s ‘naïve’") == ["naïve"]
    assert texts("straße", "Hauptstraße 5, die Straße") == ["Straße"]
    assert texts("zoë", "Zoë's account") == ["Zoë's"]
    assert texts("日本", "日本 is one word here") == ["日本"]


def test_empty_and_odd_turns() -> None:
    assert PhraseMatcher({"p": "hello"}).find([]) == {}
    assert texts("hello", "", "   ", "...", "hello") == ["hello"]
    (m,) = find("hello", "", "hello")
    assert m.turn == 1
    # A NUL in a text is punctuation, not a turn break: the turns after it keep their index.
    assert [(m.turn, m.text) for m in find("world", "hello\x00world", "world")] == [(0, "world"), (1, "world")]
    assert texts("hello world", "hello\x00world") == ["hello\x00world"]
    assert PhraseMatcher({}).find([TurnText("agent", "hello")]) == {}


def test_patterns_sharing_prefixes_and_words() -> None:
    matcher = PhraseMatcher(
        {
            "thanks": "thank you",
            "thanks_calling": "thank you for calling",
            "thanks_calling_acme": "thank you for calling acme",
            "calling": "calling",
            "you_for": "you for",
        }
    )
    found = matcher.find([TurnText("agent", "Thank you for calling Acme, thank you")])
    assert {k: [m.text for m in v] for k, v in found.items()} == {
        "thanks": ["Thank you", "thank you"],
        "thanks_calling": ["Thank you for calling"],
        "thanks_calling_acme": ["Thank you for calling Acme"],
        "calling": ["calling"],
        "you_for": ["you for"],
    }


def test_overlapping_alternatives_are_reported_once() -> None:
    assert texts("(call|calls|calling)", "calling now") == ["calling"]
    assert texts("(thank you|thank) (you|for)", "thank you for") == ["thank you", "thank you for"]


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ("this call (is|was", "'(' at column 11 is not closed"),
        ("this call is|was)", "'|' at column 13 is outside parentheses"),
        ("recorded)", "')' at column 9 has no '('"),
        ("this call (is|) recorded", "empty alternative"),
        ("()", "empty alternative"),
        ("card NEAR number", "NEAR needs a number"),
        ("card NEAR:x number", "NEAR needs a number"),
        ("NEAR:3 number", "no words before it"),
        ("card NEAR:3", "no words after it"),
        ("a NEAR:1 b NEAR:2 c", "only one NEAR"),
        ("(a NEAR:1 b)", "inside parentheses"),
        ('"this call', "quote at column 1 is not closed"),
        ('""', "empty quotes"),
        ('"verif*"', "no wildcards inside quotes"),
        ("*verify", "* may only end a word"),
        ("*", "needs a word beside it"),
        ("* *", "needs a word beside it"),
        ("", "no words in it"),
        ("...", "no words in it"),
        (" ".join(["(a|b|c|d)"] * 5), "more than 256"),
    ],
)
def test_bad_patterns(pattern: str, problem: str) -> None:
    with pytest.raises(PatternError) as raised:
        parse_pattern(pattern)
    assert problem in str(raised.value)
    assert repr(pattern) in str(raised.value)


def test_matcher_names_the_bad_pattern() -> None:
    with pytest.raises(PatternError, match=r"'closing\.bye'.*'\(bye\|\)'.*empty alternative"):
        PhraseMatcher({"greeting": "hello", "closing.bye": "(bye|)"})


def test_lowercase_near_is_a_word() -> None:
    assert texts("near the card", "somewhere near the card") == ["near the card"]


CALL = [
    TurnText("agent", "Thank you for calling, this call is recorded", 0),
    TurnText("customer", "Thank you, I want to verify something", 4000),
    TurnText("agent", "Sure, I will verify your name first", 9000),
    TurnText("customer", "ok", None),
    TurnText("agent", "Thank you, anything else?", 40000),
]


def test_speaker_and_position_helpers() -> None:
    found = PhraseMatcher({"thanks": "thank you", "verify": "verify", "recorded": "recorded"}).find(CALL)
    thanks, verify = found["thanks"], found["verify"]
    assert [m.turn for m in by_speaker(thanks, CALL, "agent")] == [0, 4]
    assert [m.turn for m in by_speaker(thanks, CALL, {"customer", "bot"})] == [1]
    assert [m.turn for m in within_first(thanks, CALL, n_turns=2)] == [0, 1]
    assert [m.turn for m in within_first(thanks, CALL, n_turns=2, speaker="agent")] == [0]
    assert [m.turn for m in within_first(thanks, CALL, seconds=10)] == [0, 1]
    assert [m.turn for m in within_first(thanks, CALL, seconds=40)] == [0, 1, 4]
    assert [m.turn for m in within_first(thanks, CALL, n_turns=1, seconds=10)] == [0]
    assert [m.turn for m in within_first(verify, CALL, seconds=100)] == [1, 2]
    assert [m.turn for m in before(thanks, verify)] == [0, 1]  # turn 1 thanks before it verifies
    assert before(thanks, []) == thanks
    assert [m.turn for m in after(thanks, verify)] == [4]
    assert after(thanks, []) == []
    assert [m.turn for m in before(found["recorded"], thanks)] == []  # it starts after the first thanks
    with pytest.raises(ValueError):
        within_first(thanks, CALL)


def test_within_first_keeps_turns_it_cannot_place_in_time() -> None:
    found = PhraseMatcher({"ok": "ok"}).find(CALL)
    assert [m.turn for m in within_first(found["ok"], CALL, seconds=1)] == [3]
    assert within_first(found["ok"], CALL, n_turns=3) == []


def test_within_first_counts_seconds_from_the_first_offset() -> None:
    late = [TurnText(t.speaker, t.text, None if t.offset_ms is None else t.offset_ms + 60_000) for t in CALL]
    found = PhraseMatcher({"thanks": "thank you"}).find(late)
    assert [m.turn for m in within_first(found["thanks"], late, seconds=10)] == [0, 1]
    assert [m.turn for m in within_first(found["thanks"], late, seconds=4)] == [0, 1]
    assert [m.turn for m in within_first(found["thanks"], late, seconds=3.9)] == [0]
