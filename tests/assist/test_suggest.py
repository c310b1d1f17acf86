"""Knowledge and resolution suggestions (signalroom.assist.suggest) on a small made-up knowledge
base and past: ranking, collections, resolutions, confidences, why strings, empty inputs, bad
parameters, determinism and the scikit-learn conventions."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence

import numpy as np
import pytest

from signalroom.assist.ranking import (
    BM25,
    Vocabulary,
    compress,
    expected_calibration_error,
    fit_conditional_logit,
    words,
)
from signalroom.assist.suggest import BM25Suggester, Suggester, SuggestError
from signalroom.assist.types import Article, PastResolution

ARTICLES = [
    Article("card-abroad", "Card declined abroad", "Your card is declined when travelling: turn on travel mode.",
            url="https://help.example/card-abroad", collection="bank"),
    Article("pin-reset", "Reset your PIN", "Forgot the PIN of your card? Reset it in the app.", collection="bank"),
    Article("statement", "Download a statement", "Statements are under documents as PDF files.", collection="bank"),
    Article("refund", "Refund a card payment", "Dispute a card payment to get a refund from the merchant.",
            collection="bank"),
    Article("roaming", "Turn on roaming", "No signal abroad? Turn on data roaming in settings.", collection="telco"),
    Article("sim-swap", "Replace a SIM card", "A lost or broken SIM card is replaced for free.", collection="telco"),
    Article("bill", "Understand your bill", "Your monthly bill: charges, extras and roaming costs.",
            collection="telco"),
]  # fmt: skip

# (collection, article, reason, conversation, resolution): several wordings of each problem.
PROBLEMS = [
    ("bank", "card-abroad", "card declined", "my card keeps getting declined in spain", "Turned on travel mode."),
    ("bank", "card-abroad", "card declined", "payment refused at a shop while on holiday abroad", None),
    ("bank", "card-abroad", "card declined", "card not working overseas, declined at the hotel", "Travel mode on."),
    ("bank", "pin-reset", "pin", "I forgot my pin and cannot use the cash machine", "Reset the PIN in the app."),
    ("bank", "pin-reset", "pin", "locked out after entering the wrong pin three times", "PIN unlocked and reset."),
    ("bank", "statement", "statements", "where can I download my bank statement for the mortgage", None),
    ("bank", "statement", "statements", "need a pdf statement of last year", "Sent the statement link."),
    ("bank", "refund", "refunds", "the shop charged me twice and will not refund", "Opened a card dispute."),
    ("bank", "refund", "refunds", "merchant never delivered, I want my money back", "Dispute raised for refund."),
    ("telco", "roaming", "roaming", "no signal on my phone since I landed in france", "Enabled data roaming."),
    ("telco", "roaming", "roaming", "mobile data does not work abroad", "Roaming switched on."),
    ("telco", "sim-swap", "sim", "my sim card is broken, phone says no sim", "Ordered a replacement SIM."),
    ("telco", "sim-swap", "sim", "lost my phone and sim, need a new sim card", "New SIM sent."),
    ("telco", "bill", "billing", "why is my bill so high this month, extra charges", "Explained the extras."),
    ("telco", "bill", "billing", "what are these roaming costs on my monthly bill", None),
]
PAST = [
    PastResolution(
        interaction=f"demo/{n}-{i}",
        text=f"{text}{suffix}",
        reason=reason,
        article_id=article,
        resolution=resolution,
        collection=collection,
    )
    for n, suffix in enumerate(["", " please help", " thanks", ", any idea?"])
    for i, (collection, article, reason, text, resolution) in enumerate(PROBLEMS)
]


def fitted(**params: object) -> Suggester:
    return Suggester(embedder=None, **params).fit(ARTICLES, PAST)  # type: ignore[arg-type]


def articles_of(suggestions: Sequence[object]) -> list[object]:
    return [s for s in suggestions if s.kind == "article"]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def model() -> Suggester:
    return fitted()


def test_ranks_the_article_that_resolved_similar_contacts_first(model: Suggester) -> None:
    out = model.suggest([("customer", "my card was declined at a restaurant in italy")], collection="bank")
    assert articles_of(out)[0].id == "card-abroad"  # type: ignore[attr-defined]
    out = model.suggest([("customer", "I typed the wrong pin, card blocked")], collection="bank")
    assert articles_of(out)[0].id == "pin-reset"  # type: ignore[attr-defined]


def test_at_most_k_articles_then_the_resolutions(model: Suggester) -> None:
    for k in (1, 2, 3):
        out = model.suggest([("customer", "declined card abroad")], collection="bank", k=k)
        kinds = [s.kind for s in out]
        assert kinds.count("article") == k
        assert kinds == sorted(kinds)  # "article" < "resolution": articles first
        assert kinds.count("resolution") <= model.resolutions


def test_candidates_are_kept_to_the_collection(model: Suggester) -> None:
    telco = {a.id for a in ARTICLES if a.collection == "telco"}
    out = model.suggest([("customer", "my card does not work abroad")], collection="telco", k=5)
    assert {s.id for s in articles_of(out)} <= telco  # type: ignore[attr-defined]
    assert articles_of(out)[0].id == "roaming"  # type: ignore[attr-defined]
    for s in out:
        if s.kind == "resolution":
            assert s.id.startswith("demo/") and s.evidence[0] == s.id


def test_an_unknown_collection_searches_everything_and_says_so(model: Suggester) -> None:
    out = model.suggest([("customer", "no signal abroad, data roaming")], collection="nowhere", k=7)
    assert len(articles_of(out)) == 7
    assert all("'nowhere' is unknown" in s.why for s in out)
    out = model.suggest([("customer", "no signal abroad, data roaming")], collection=None)
    assert articles_of(out)[0].id == "roaming"  # type: ignore[attr-defined]
    assert all("unknown" not in s.why for s in out)


def test_resolution_suggestions_come_from_similar_past_contacts(model: Suggester) -> None:
    out = model.suggest([("customer", "lost my sim card, the phone says no sim")], collection="telco")
    resolutions = [s for s in out if s.kind == "resolution"]
    assert len(resolutions) == 1
    r = resolutions[0]
    past = {p.interaction: p for p in PAST}
    assert past[r.id].article_id == "sim-swap" and r.text == past[r.id].resolution
    assert r.why.startswith("resolved") and "about sim" in r.why
    assert set(r.evidence) <= set(past)
    assert 0.0 <= r.confidence <= 1.0
    more = fitted(resolutions=3).suggest([("customer", "lost my sim card")], collection="telco")
    shown = [s for s in more if s.kind == "resolution"]
    assert 1 <= len(shown) <= 3
    assert len({past[s.id].article_id for s in shown}) == len(shown)  # one per way of resolving
    assert not [s for s in fitted(resolutions=0).suggest([("customer", "lost sim")]) if s.kind == "resolution"]


def test_confidences_are_probabilities_that_fall_with_rank(model: Suggester) -> None:
    for text in ("card declined abroad", "statement pdf", "refund for a double charge", "bill too high"):
        out = articles_of(model.suggest([("customer", text)], collection=None, k=5))
        confidence = [s.confidence for s in out]  # type: ignore[attr-defined]
        assert all(0.0 <= c <= 1.0 for c in confidence)
        assert confidence == sorted(confidence, reverse=True)


def test_why_names_matching_words_and_similar_contacts(model: Suggester) -> None:
    top = articles_of(model.suggest([("customer", "Travelling and my card is DECLINED")], collection="bank"))[0]
    assert "matches words: " in top.why  # type: ignore[attr-defined]
    assert "declined" in top.why and "travelling" in top.why  # type: ignore[attr-defined]  # as written
    assert "similar past contact" in top.why  # type: ignore[attr-defined]
    assert set(top.evidence) <= {p.interaction for p in PAST if p.article_id == "card-abroad"}  # type: ignore[attr-defined]
    reasoned = articles_of(model.suggest([("customer", "card declined")], collection="bank", reason="card declined"))
    assert "about card declined" in reasoned[0].why  # type: ignore[attr-defined]


def test_agent_turns_count_less_and_other_speakers_count_as_the_customer(model: Suggester) -> None:
    turns = [("agent", "Hello, how can I help?"), ("bot", "I forgot my pin"), ("customer", "it is blocked")]
    assert articles_of(model.suggest(turns, collection="bank"))[0].id == "pin-reset"  # type: ignore[attr-defined]
    only_agent = fitted(agent_weight=0.0).suggest([("agent", "is your card declined abroad?")], collection="bank")
    assert only_agent == []


def test_empty_inputs() -> None:
    model = fitted()
    assert model.suggest([]) == []
    assert model.suggest([("customer", "   "), ("customer", "")]) == []
    assert model.suggest([("customer", "zzzz qqqq")], collection="bank") == []  # no known word, no embedding
    empty = Suggester(embedder=None).fit([], [])
    assert empty.suggest([("customer", "card declined")]) == []
    no_past = Suggester(embedder=None).fit(ARTICLES, [])
    out = no_past.suggest([("customer", "reset my pin")], collection="bank")
    assert articles_of(out)[0].id == "pin-reset"  # type: ignore[attr-defined]
    assert not [s for s in out if s.kind == "resolution"]
    assert all(0.0 <= s.confidence <= 1.0 for s in out)
    kb_less = Suggester(embedder=None).fit([], PAST)  # no articles: still the past's resolutions
    out = kb_less.suggest([("customer", "lost my sim card")], collection="telco")
    assert [s.kind for s in out] == ["resolution"]


def test_bad_parameters_and_inputs_are_clear_errors(model: Suggester) -> None:
    assert issubclass(SuggestError, ValueError)
    for k in (0, -1, 1.5, True):
        with pytest.raises(SuggestError, match="k must be"):
            model.suggest([("customer", "card")], k=k)  # type: ignore[arg-type]
    bad = [
        ({"folds": 1}, "folds"),
        ({"neighbours": 0}, "neighbours"),
        ({"resolutions": -1}, "resolutions"),
        ({"calibration": "magic"}, "calibration"),
        ({"agent_weight": 2.0}, "agent_weight"),
        ({"l2": 0.0}, "l2"),
        ({"b": 1.5}, "b must"),
        ({"features": ["article", "nonsense"]}, "nonsense"),
        ({"embedder": "huge"}, "embedder"),
        ({"embedder": 42}, "encode"),
    ]
    for params, message in bad:
        with pytest.raises(SuggestError, match=message):
            Suggester(**{"embedder": None, **params}).fit(ARTICLES, PAST)  # type: ignore[arg-type]
    for params in ({"k1": 0}, {"b": -0.1}, {"agent_weight": 1.5}):
        with pytest.raises(SuggestError):
            BM25Suggester(**params).fit(ARTICLES, PAST)  # type: ignore[arg-type]
    with pytest.raises(SuggestError, match="twice"):
        Suggester(embedder=None).fit([ARTICLES[0], ARTICLES[0]], [])
    with pytest.raises(SuggestError, match="not fitted"):
        Suggester().suggest([("customer", "card")])
    with pytest.raises(SuggestError, match="not fitted"):
        BM25Suggester().suggest([("customer", "card")])
    with pytest.raises(SuggestError, match="pair"):
        model.suggest(["just a string"])  # type: ignore[list-item]
    with pytest.raises(SuggestError, match="no parameter"):
        Suggester().set_params(depth=3)


def test_a_fitted_suggester_pickles(model: Suggester) -> None:
    query = [("customer", "no signal abroad")]
    assert pickle.loads(pickle.dumps(model)).suggest(query, collection="telco") == model.suggest(
        query, collection="telco"
    )


def test_deterministic() -> None:
    query = [("customer", "refund for a payment the shop took twice")]
    first = fitted().suggest(query, collection="bank", k=4)
    second = fitted().suggest(query, collection="bank", k=4)
    assert first == second
    assert fitted(random_state=1).suggest(query, collection="bank", k=4)[0].id == first[0].id


def test_scikit_learn_conventions() -> None:
    model = Suggester(embedder=None, neighbours=7, features=("article", "votes", "prior"))
    params = model.get_params()
    assert params["neighbours"] == 7 and params["features"] == ("article", "votes", "prior")
    assert set(params) == {
        "embedder", "features", "neighbours", "folds", "calibration", "resolutions", "agent_weight",
        "l2", "k1", "b", "random_state",
    }  # fmt: skip
    assert not [name for name in vars(model) if name.endswith("_")]  # nothing learned before fit
    assert model.fit(ARTICLES, PAST) is model
    assert model.trained_ and model.weights_.shape == model.mean_.shape
    assert model.set_params(neighbours=3) is model and model.neighbours == 3
    assert "Suggester(embedder=None" in repr(model)
    assert BM25Suggester(expand=True).get_params() == {"k1": 1.2, "b": 0.75, "expand": True, "agent_weight": 1.0}
    # a feature left out reads 0 and gets no weight
    assert model.weights_[1] == 0.0


class HashEmbedder:
    """A stand-in embedder: each word a fixed random direction (enough to exercise the path)."""

    dim = 16

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in words(text):
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[i] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return out


def test_an_embedder_object_is_used() -> None:
    model = Suggester(embedder=HashEmbedder()).fit(ARTICLES, PAST)
    assert model.embedder_ is model.embedder
    out = model.suggest([("customer", "card declined while travelling")], collection="bank")
    assert articles_of(out)[0].id == "card-abroad"  # type: ignore[attr-defined]
    assert model.scopes_["bank"].article_vectors is not None


def test_bm25_baseline() -> None:
    base = BM25Suggester().fit(ARTICLES, PAST)
    out = base.suggest([("customer", "I need to reset my pin")], collection="bank", k=2)
    assert out[0].id == "pin-reset" and out[0].why.startswith("matches words: ") and "pin" in out[0].why
    assert sum(s.confidence for s in out) <= 1.0 + 1e-9
    assert all(s.kind == "article" for s in out)
    assert base.suggest([("customer", "zzzz")], collection="bank") == []
    assert base.suggest([], collection="bank") == []
    assert {s.id for s in base.suggest([("customer", "card")], collection="telco", k=5)} <= {"sim-swap"}
    # expansion: the past's words reach the article ("holiday" is in no article)
    assert BM25Suggester().fit(ARTICLES, PAST).suggest([("customer", "holiday")], collection="bank") == []
    expanded = BM25Suggester(expand=True).fit(ARTICLES, PAST)
    assert expanded.suggest([("customer", "holiday")], collection="bank")[0].id == "card-abroad"
    assert "unknown" in base.suggest([("customer", "roaming")], collection="mars")[0].why


def test_building_blocks() -> None:
    assert words("Crashes when https://x.example/a @brand streaming 2024 PlayStation") == [
        "crash", "stream", "play", "station",
    ]  # fmt: skip
    vocabulary = Vocabulary()
    docs = [vocabulary.add(words(t)) for t in ("red apple", "green apple apple", "blue sky")]
    bm25 = BM25(docs, len(vocabulary))
    ids, weights = vocabulary.lookup(["apple", "unknown"])
    scores = bm25.scores(ids, weights)
    assert scores[2] == 0 and scores[0] > 0 and scores[1] > 0
    # the conditional logit learns that feature 0 marks the right candidate
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(50):
        x = rng.standard_normal((5, 2))
        y = int(np.argmax(x[:, 0] + 0.1 * rng.standard_normal(5)))
        groups.append(compress(x, y))
    w = fit_conditional_logit([g for g in groups if g is not None], l2=0.1, n_features=2)
    assert w[0] > 3 * abs(w[1])
    assert expected_calibration_error(np.array([0.9, 0.9, 0.1]), np.array([True, True, False])) == pytest.approx(0.1)
