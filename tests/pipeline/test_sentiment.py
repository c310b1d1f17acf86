"""Contact-centre sentiment: per-turn scores, trajectories, negative moments, accuracy floor."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from signalroom.pipeline.sentiment import SentimentScorer, TurnSentiment, trajectory
from signalroom.pipeline.views import InteractionView, TurnView

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sentiment"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


def view(*turns: tuple[str, str]) -> InteractionView:
    return InteractionView(
        source="test",
        id="c-1",
        channel="chat",
        started_at=T0,
        ended_at=None,
        turns=tuple(TurnView(i + 1, speaker, text) for i, (speaker, text) in enumerate(turns)),
    )


def test_options_are_stored() -> None:
    s = SentimentScorer(moment_threshold=-0.5, trajectory_threshold=0.2)
    params = s.get_params()
    assert params["moment_threshold"] == -0.5
    assert params["trajectory_threshold"] == 0.2
    assert set(params) >= {"domain", "positive_threshold", "negative_threshold", "drop_threshold"}
    with pytest.raises(TypeError):
        SentimentScorer(True)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "text",
    [
        "My card was declined at the till.",
        "You've charged me twice this month.",
        "It's still not fixed.",
        "This is the third time I've called about this.",
        "I want to cancel my contract.",
        "I want to make a complaint.",
        "Honestly, this is ridiculous.",
        "I'm not happy at all.",
        "So I have to wait again? Great.",
    ],
)
def test_clear_negatives(scorer: SentimentScorer, text: str) -> None:
    assert scorer.score(text) < -0.05


@pytest.mark.parametrize(
    "text",
    ["Brilliant, that's sorted, thank you.", "You've been really helpful.", "That's a relief, thanks so much."],
)
def test_clear_positives(scorer: SentimentScorer, text: str) -> None:
    assert scorer.score(text) > 0.3


@pytest.mark.parametrize(
    "text", ["I'd like to check my balance, please.", "My postcode is LS1 4AB.", "Yes, that's right.", "Okay, fine."]
)
def test_neutral_requests(scorer: SentimentScorer, text: str) -> None:
    assert scorer.label(scorer.score(text)) == "neutral"


def test_negation(scorer: SentimentScorer) -> None:
    assert scorer.score("I am happy with that.") > 0.3
    assert scorer.score("I am not happy with that.") < -0.3
    assert scorer.score("That wasn't helpful at all.") < 0
    assert scorer.score("No problem at all, thanks.") > 0


def test_contractions_do_not_become_words(scorer: SentimentScorer) -> None:
    # "I'll" is not "ill", "we'll" is not "well", "he'll" is not "hell"
    assert scorer.score("I'll look out for the email.") == 0.0
    assert scorer.score("He'll call me back tomorrow.") == 0.0


def test_agent_politeness_is_not_negativity(scorer: SentimentScorer) -> None:
    for text in (
        "I'm so sorry to hear that.",
        "Thank you for calling Harbourline.",
        "I completely understand how frustrating that must be.",
        "Sorry to keep you waiting, thanks for holding.",
        "Unfortunately I'm afraid that's not something I can change.",
    ):
        assert scorer.score(text, "agent") >= 0, text
    # the same apology from a customer is not masked as an agent formula, but "sorry" alone is neutral
    assert scorer.score("Sorry, could you repeat that?") == 0.0


def test_sarcasm(scorer: SentimentScorer) -> None:
    assert scorer.score("Oh great, another fee.") < 0
    assert scorer.score("Thanks for nothing.") < 0
    assert scorer.score("Oh great, that's a relief.") > 0


def test_words_that_drove_the_score(scorer: SentimentScorer) -> None:
    value, words, ritual = scorer.analyse("My card was declined and you charged me twice!")
    assert value < -0.5
    assert set(words) == {"declined", "charged me twice"}
    assert words[0] == "charged me twice"  # strongest first
    assert ritual is False


def test_ritual_closings(scorer: SentimentScorer) -> None:
    assert scorer.analyse("No, that's all, thanks.")[2] is True
    assert scorer.analyse("Thanks, bye.")[2] is True
    assert scorer.analyse("Brilliant, thanks.")[2] is False


@pytest.mark.parametrize("text", ["", "   ", "Hola, mi tarjeta no funciona.", "你好，我的卡丢了", "12345 !!! ???"])
def test_empty_and_foreign_text_is_neutral(scorer: SentimentScorer, text: str) -> None:
    value = scorer.score(text)
    assert -1.0 <= value <= 1.0
    assert scorer.label(value) == "neutral"


def test_scores_are_bounded(scorer: SentimentScorer) -> None:
    rant = "USELESS! RIDICULOUS! UNACCEPTABLE! " * 20
    assert -1.0 <= scorer.score(rant) < -0.9
    assert 0.9 < scorer.score("Brilliant! Fantastic! Thank you so much! " * 20) <= 1.0


def _ts(seq: int, speaker: str, score: float, words: tuple[str, ...] = (), ritual: bool = False) -> TurnSentiment:
    label = "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"
    return TurnSentiment(seq, speaker, score, label, words, ritual)


def test_trajectory_fields_exact() -> None:
    v = view(
        ("agent", "a"),
        ("customer", "b"),
        ("agent", "c"),
        ("customer", "d"),
        ("customer", "e"),
        ("agent", "f"),
        ("customer", "g"),
        ("customer", "h"),
    )
    scores = [
        _ts(1, "agent", 0.2),
        _ts(2, "customer", -0.2, ("declined",)),
        _ts(3, "agent", 0.0),
        _ts(4, "customer", -0.8, ("ridiculous", "charged twice")),
        _ts(5, "customer", -0.1),
        _ts(6, "agent", 0.4),
        _ts(7, "customer", 0.6, ("sorted",)),
        _ts(8, "customer", 0.3, ("thanks",), ritual=True),
    ]
    s = trajectory(v, scores)
    c = s.parties["customer"]
    assert (c.turns, c.start, c.end, c.minimum) == (5, -0.2, 0.6, -0.8)
    assert c.shift == pytest.approx(0.8)
    assert c.mean == pytest.approx((-0.2 - 0.8 - 0.1 + 0.6 + 0.3) / 5)
    a = s.parties["agent"]
    assert (a.turns, a.start, a.end, a.minimum) == (3, 0.2, 0.4, 0.0)
    assert a.shift == pytest.approx(0.2)
    assert s.trajectory == "improving"
    # label from 0.6 * end + 0.4 * mean = 0.36 - 0.016 = 0.344
    assert s.label == "positive"
    assert len(s.negative_moments) == 1
    m = s.negative_moments[0]
    assert (m.seq, m.score, m.words, m.recovered, m.topic) == (4, -0.8, ("ridiculous", "charged twice"), True, None)
    assert m.drop == pytest.approx(0.6)
    assert s.recovered is True
    # the pipeline fills the topic later
    assert dataclasses.replace(m, topic="refund_chase").topic == "refund_chase"
    assert orjson.loads(orjson.dumps(s.to_dict()))["negative_moments"][0]["seq"] == 4


def test_sharp_drop_is_a_moment_and_not_recovered() -> None:
    v = view(("customer", "a"), ("agent", "b"), ("customer", "c"), ("customer", "d"))
    scores = [_ts(1, "customer", 0.5), _ts(2, "agent", 0.0), _ts(3, "customer", -0.1), _ts(4, "customer", -0.4)]
    s = trajectory(v, scores)
    assert [m.seq for m in s.negative_moments] == [3, 4]  # 3: a drop of 0.6; 4: below -0.3
    assert s.negative_moments[0].drop == pytest.approx(0.6)
    assert s.recovered is False
    assert s.trajectory == "worsening"
    assert s.label == "negative"


def test_end_to_end_on_a_view(scorer: SentimentScorer) -> None:
    v = view(
        ("agent", "Thanks for calling, how can I help?"),
        ("customer", "Hi, my card was declined again and it's still not fixed. This is ridiculous."),
        ("agent", "I'm so sorry to hear that. Let me have a look."),
        ("customer", "Okay."),
        ("agent", "I've removed the block, you can use it now."),
        ("customer", "Brilliant, that's sorted then, thank you."),
        ("customer", "No, that's all, thanks. Bye."),
        ("system", "Call ended"),
    )
    s = scorer.summarise(v)
    assert len(s.turns) == 7  # system turns are not scored
    assert s.negative_moments[0].seq == 2
    assert "still not fixed" in s.negative_moments[0].words
    assert s.parties["customer"].end == s.turns[5].score  # the closing ritual is not the end
    assert s.parties["agent"].minimum is not None and s.parties["agent"].minimum >= 0
    assert s.trajectory == "improving" and s.recovered is True and s.label == "positive"


def test_view_without_customer_turns(scorer: SentimentScorer) -> None:
    v = view(("agent", "Hello?"), ("customer", ""))
    s = scorer.summarise(v)
    assert s.parties["customer"].turns == 0 and s.parties["customer"].end is None
    assert (s.label, s.trajectory, s.negative_moments, s.recovered) == ("neutral", "flat", (), None)


def test_cache_keeps_answers_stable() -> None:
    s = SentimentScorer(cache_size=2)
    texts = ["declined", "lovely", "okay", "declined"]
    first = [s.score(t) for t in texts]
    assert [s.score(t) for t in texts] == first


def _rows(name: str) -> list[dict[str, str]]:
    return [orjson.loads(x) for x in (FIXTURES / name).read_bytes().splitlines() if x.strip()]


@pytest.mark.parametrize(("name", "floor"), [("labelled.jsonl", 0.93), ("heldout.jsonl", 0.70)])
def test_accuracy_floor(scorer: SentimentScorer, name: str, floor: float) -> None:
    """Achieved 0.987 (development set) and 0.750 (held-out) in docs/sentiment.md, minus a margin."""
    rows = _rows(name)
    assert len(rows) >= 60
    correct = sum(scorer.label(scorer.score(r["text"], r["speaker"])) == r["label"] for r in rows)
    assert correct / len(rows) >= floor


def test_plain_vader_mode_differs(scorer: SentimentScorer) -> None:
    plain = SentimentScorer(domain=False)
    assert plain.score("My card was declined.") == 0.0  # VADER alone does not know "declined"
    assert scorer.score("My card was declined.") < 0
